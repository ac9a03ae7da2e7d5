"""GET /v1/apps/{app}/calls/{call}: Fn's TestCallGet, and the call's summaries."""

import pytest

from calls.fntime import NS_PER_SECOND
from calls.stats import dump_points

pytestmark = pytest.mark.django_db


def test_it_loads_a_call(client, make_call):
    call = make_call()
    response = client.get(f"/v1/apps/myapp/calls/{call.id}")
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Successfully loaded call"
    assert body["call"]["id"] == call.id
    assert body["call"]["status"] == "success"


@pytest.mark.parametrize(
    "url",
    ["/v1/apps/nodawg/calls/{id}", "/v1/apps/myapp/calls/{prefix}", "/v1/apps/myapp/calls/dummy"],
)
def test_it_answers_calls_it_does_not_have(client, make_call, url):
    call = make_call()
    make_call(app="other")
    response = client.get(url.format(id=call.id, prefix=call.id[:3]))
    assert response.status_code == 404
    assert response.json() == {"error": {"message": "Call not found"}}


def test_it_does_not_show_a_call_under_another_app(client, make_call):
    call = make_call(app="other")
    assert client.get(f"/v1/apps/myapp/calls/{call.id}").status_code == 404


def test_it_answers_a_missing_app_name(client, make_call):
    call = make_call()
    response = client.get(f"/v1/apps//calls/{call.id}")
    assert response.status_code == 400
    assert response.json() == {"error": {"message": "Missing app name"}}


def test_it_summarizes_a_calls_stats(client, make_call):
    points = [
        (i * NS_PER_SECOND, {"cpu_total": cpu, "net_rx": rx, "mem_usage": 50, "mem_limit": 200})
        for i, (cpu, rx) in enumerate([(10, 0), (50, 1000), (30, 3000)])
    ]
    call = make_call(stats=dump_points(points))
    response = client.get(f"/v1/apps/myapp/calls/{call.id}/stats")
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Successfully summarized call stats"
    assert body["call_id"] == call.id
    summary = body["summary"]
    assert summary["cpu_total"] == {
        "count": 3, "min": 10, "max": 50, "average": 30.0, "median": 30, "p95": 48.0,
    }  # fmt: skip
    assert summary["net_rx"]["total"] == 3000
    assert summary["net_rx"]["rate"]["max"] == 2000.0
    assert summary["mem_usage"]["share_of_limit"]["median"] == 25.0


def test_it_summarizes_a_call_without_stats_as_empty(client, make_call):
    call = make_call()
    assert client.get(f"/v1/apps/myapp/calls/{call.id}/stats").json()["summary"] == {}
    assert client.get("/v1/apps/myapp/calls/nope/stats").status_code == 404
