"""GET /v1/apps/{app}/stats: per path over a window, counts by status and percentiles."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import T0

pytestmark = pytest.mark.django_db


def run(make_call, path, seconds, created=T0, status="success", peak=None):
    return make_call(
        path=path,
        status=status,
        created=created,
        started_at=created,
        completed_at=created + timedelta(seconds=seconds),
        metrics=None if peak is None else {"mem_usage": peak},
    )


def test_it_summarizes_each_path_over_the_window(client, make_call, django_assert_max_num_queries):
    for i, seconds in enumerate([1, 2, 3, 4]):
        run(make_call, "/fast", seconds, created=T0 + timedelta(seconds=i), peak=100 * (i + 1))
    run(make_call, "/fast", 10, status="timeout", created=T0 + timedelta(seconds=9))
    run(make_call, "/slow", 60, status="error")
    run(make_call, "/slow", 60, created=T0 - timedelta(hours=2))  # before the window
    from_time = int((T0 - timedelta(minutes=1)).timestamp())
    to_time = int((T0 + timedelta(minutes=1)).timestamp())
    with django_assert_max_num_queries(4):
        response = client.get(f"/v1/apps/myapp/stats?from_time={from_time}&to_time={to_time}")
    assert response.status_code == 200
    body = response.json()
    assert (body["message"], body["app_name"]) == ("Successfully summarized app calls", "myapp")
    assert (body["from_time"], body["to_time"]) == (from_time, to_time)
    fast, slow = body["paths"]
    assert fast["path"] == "/fast"
    assert fast["calls"] == 5
    assert fast["by_status"] == {"success": 4, "timeout": 1}
    # Within the rollups' histograms' 1% of the exact percentiles.
    assert fast["duration_seconds"] == {
        "p50": pytest.approx(3.0, rel=0.01),
        "p95": pytest.approx(8.8, rel=0.01),
        "p99": pytest.approx(9.76, rel=0.01),
    }
    assert fast["peak_mem_usage"] == {
        "p50": pytest.approx(250.0, rel=0.01),
        "p95": pytest.approx(385.0, rel=0.01),
    }
    assert slow["calls"] == 1
    assert slow["by_status"] == {"error": 1}
    assert slow["peak_mem_usage"] == {"p50": None, "p95": None}


def test_it_looks_at_the_last_hour_by_default(client, make_call):
    now = timezone.now()
    run(make_call, "/recent", 1, created=now - timedelta(minutes=5))
    run(make_call, "/old", 1, created=now - timedelta(hours=3))
    body = client.get("/v1/apps/myapp/stats").json()
    assert [path["path"] for path in body["paths"]] == ["/recent"]
    assert body["to_time"] is None
    assert abs(body["from_time"] - int((now - timedelta(hours=1)).timestamp())) <= 5


def test_it_looks_at_the_hour_before_to_time_when_only_that_is_given(client, make_call):
    run(make_call, "/in", 1, created=T0 - timedelta(minutes=30))
    run(make_call, "/before", 1, created=T0 - timedelta(minutes=90))
    to_time = int(T0.timestamp())
    body = client.get(f"/v1/apps/myapp/stats?to_time={to_time}").json()
    assert [path["path"] for path in body["paths"]] == ["/in"]
    assert (body["from_time"], body["to_time"]) == (to_time - 3600, to_time)


def test_it_answers_an_unknown_app_and_bad_times(client, make_call):
    make_call()
    assert client.get("/v1/apps/nodawg/stats").json() == {"error": {"message": "App not found"}}
    response = client.get("/v1/apps/myapp/stats?from_time=soon")
    assert response.status_code == 400
    assert response.json() == {"error": {"message": "from_time is not an epoch time"}}
