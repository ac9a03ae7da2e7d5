"""GET /v1/apps/{app}/calls/{call}: Fn's TestCallGet, and the call's summaries."""

import json

import orjson
import pytest
from django.db import connection

from calls.fields import COMPACT_START, keeps_key_order, stats_text
from calls.fntime import NS_PER_SECOND, parse_timestamp
from calls.models import Call
from calls.stats import dump_points

pytestmark = pytest.mark.django_db

START_NS = parse_timestamp("2017-11-27T14:52:53.123Z")
FN_ORDER = ["id", "status", "app_name", "path", "completed_at", "created_at", "started_at"]


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


# Stats stored as compact JSON are served as stored; older rows (the standard library's
# spaces and \u escapes) and PostgreSQL's jsonb are decoded and written again. Each is the same
# bytes on the wire.

POINTS = [
    (START_NS + i * NS_PER_SECOND, {"zeta": i, "cpu_total": 2**64 - 1, "mé\u2028tric": 3})
    for i in range(3)
]


def wire(client, call) -> tuple[bytes, bytes]:
    one = client.get(f"/v1/apps/myapp/calls/{call.id}")
    listed = client.get("/v1/apps/myapp/calls")
    assert one.status_code == listed.status_code == 200
    return one.content, listed.content


def test_it_stores_stats_as_the_compact_json_the_wire_carries(make_call):
    call = make_call(stats=dump_points(POINTS))
    text = Call.objects.annotate(text=stats_text()).values_list("text", flat=True).get()
    if keeps_key_order():
        assert text == orjson.dumps(dump_points(POINTS)).decode()
        assert text.startswith(COMPACT_START)
    assert json.loads(text) == call.stats


def test_it_serves_stats_byte_for_byte_however_they_were_stored(client, make_call):
    call = make_call(stats=dump_points(POINTS))
    served = wire(client, call)
    body = json.loads(served[0])
    assert list(body["call"]) == [*FN_ORDER, "stats"]
    assert body["call"]["stats"] == dump_points(POINTS)
    assert b"\\u2028" in served[0]
    assert "\u2028".encode() not in served[0]
    # As the standard library wrote the column before stats were stored compact.
    older = json.dumps(dump_points(POINTS))
    assert older.startswith('[{"timestamp": "')
    with connection.cursor() as cursor:
        cursor.execute("UPDATE calls_call SET stats = %s WHERE id = %s", [older, call.id])
    assert wire(client, call) == served


def test_it_leaves_out_stats_a_call_has_none_of(client, make_call):
    call = make_call(stats=[], error="boom")
    body = json.loads(wire(client, call)[0])
    assert list(body["call"]) == [*FN_ORDER, "error"]
