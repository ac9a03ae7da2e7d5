"""GET /v1/apps/{app}/trends: series per bucket from rollups, in the schema."""

from datetime import timedelta

import pytest

from calls.rollups import Rollup
from tests.conftest import T0

pytestmark = pytest.mark.django_db

MINUTE = T0.replace(second=0, microsecond=0)


def at(when) -> int:
    return int(when.timestamp())


def test_it_gives_a_bucket_per_minute_over_an_hour(
    client, make_call, django_assert_max_num_queries
):
    make_call(created=MINUTE, metrics={"mem_usage": 100, "mem_limit": 400, "cpu_total": 7})
    make_call(created=MINUTE + timedelta(seconds=5), status="error", path="/other")
    make_call(created=MINUTE + timedelta(minutes=2), status="timeout")
    url = f"/v1/apps/myapp/trends?from_time={at(MINUTE - timedelta(minutes=30))}"
    with django_assert_max_num_queries(2):
        body = client.get(f"{url}&to_time={at(MINUTE + timedelta(minutes=30))}").json()
    assert body["step_seconds"] == 60
    assert body["message"] == "Successfully computed app trends"
    buckets = {bucket["start"]: bucket for bucket in body["buckets"]}
    assert len(buckets) == 60
    first = buckets[MINUTE.strftime("%Y-%m-%dT%H:%M:00.000Z")]
    assert first["calls"] == 2
    assert first["by_status"] == {"success": 1, "error": 1, "timeout": 0, "cancelled": 0}
    assert first["failed_share"] == 0.5
    assert first["peak_mem_usage"]["max"] == 100
    assert first["mem_limit"] == 400
    assert first["mem_share_percent"]["p50"] == pytest.approx(25, rel=0.01)
    assert first["peak_cpu_total"]["max"] == 7
    assert first["duration_seconds"]["p50"] == pytest.approx(0.995, rel=0.01)
    later = buckets[(MINUTE + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:00.000Z")]
    assert later["failed_share"] == 1
    empty = buckets[(MINUTE + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:00.000Z")]
    assert (empty["calls"], empty["failed_share"], empty["duration_seconds"]["p95"]) == (
        0,
        None,
        None,
    )


def test_it_narrows_to_one_path(client, make_call):
    make_call(created=MINUTE)
    make_call(created=MINUTE, path="/other")
    query = f"path=/other&from_time={at(MINUTE)}&to_time={at(MINUTE + timedelta(minutes=1))}"
    [bucket] = client.get(f"/v1/apps/myapp/trends?{query}").json()["buckets"]
    assert bucket["calls"] == 1


@pytest.mark.parametrize(
    ("window", "step", "buckets"),
    [("1h", 60, 60), ("24h", 3600, 24), ("7d", 3600, 168), ("30d", 86400, 30)],
)
def test_it_chooses_the_step_from_the_window(
    client, make_call, window, step, buckets, django_assert_max_num_queries
):
    make_call()
    with django_assert_max_num_queries(2):
        body = client.get(f"/v1/apps/myapp/trends?window={window}&to_time={at(MINUTE)}").json()
    assert body["step_seconds"] == step
    assert len(body["buckets"]) in (buckets, buckets + 1)  # the bucket holding to_time too


def test_it_reads_no_more_rows_than_buckets_however_many_calls(client, make_call):
    for i in range(30):
        make_call(created=T0 - timedelta(days=i))
    body = client.get(f"/v1/apps/myapp/trends?window=30d&to_time={at(T0)}").json()
    assert sum(bucket["calls"] for bucket in body["buckets"]) == 30
    assert Rollup.objects.filter(step=86400, path="").count() == 30


def test_it_refuses_bad_windows(client, make_call):
    make_call()

    def error(query):
        response = client.get(f"/v1/apps/myapp/trends?{query}")
        assert response.status_code == 400
        return response.json()["error"]["message"]

    assert error("window=2h") == "window must be one of 1h, 24h, 7d, 30d"
    assert error(f"from_time={at(T0)}&to_time={at(T0)}") == "from_time must be before to_time"
    assert (
        error(f"from_time=0&to_time={at(T0)}")
        == "from_time must be at most 400 days before to_time"
    )
    assert client.get("/v1/apps/nodawg/trends").status_code == 404


def test_it_is_in_the_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/v1/apps/{app}/trends"]["get"]
    assert operation["operationId"] == "GetAppsAppTrends"
