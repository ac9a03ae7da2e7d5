"""GET /v1/apps/{app}/sizing: right-sizing per path from rollups, in the schema."""

from datetime import timedelta

import pytest

from calls.stats import MIB
from tests.conftest import T0

pytestmark = pytest.mark.django_db


def at(when) -> int:
    return int(when.timestamp())


WINDOW = f"from_time={at(T0 - timedelta(hours=1))}&to_time={at(T0 + timedelta(hours=1))}"


def test_it_sizes_every_path_over_the_window(client, make_call, django_assert_max_num_queries):
    for i in range(50):
        metrics = {"mem_usage": (10 + i % 3) * MIB, "mem_limit": 128 * MIB, "cpu_total": 95}
        make_call(created=T0 + timedelta(seconds=i), metrics=metrics)
    make_call(created=T0, path="/full", metrics={"mem_usage": 127 * MIB, "mem_limit": 128 * MIB})
    make_call(created=T0 - timedelta(days=1), path="/old")
    with django_assert_max_num_queries(2):
        body = client.get(f"/v1/apps/myapp/sizing?{WINDOW}").json()
    assert body["message"] == "Successfully computed app sizing"
    assert (body["from_time"], body["to_time"]) == (at(T0) - 3600, at(T0) + 3600)
    full, hello = body["paths"]
    assert hello["path"] == "/hello"
    assert (hello["calls"], hello["memory_calls"], hello["cpu_calls"]) == (50, 50, 50)
    assert hello["mem_limit"] == 128 * MIB
    assert hello["peak_mem_usage"]["max"] == 12 * MIB
    assert hello["memory_advice"] == {
        "action": "lower",
        "memory_mib": 32,
        "text": "could run in 32 MiB",
    }
    assert (hello["cpu_saturated_calls"], hello["cpu_saturated"]) == (50, True)
    assert full["near_limit_calls"] == 1
    assert full["memory_advice"]["text"] == "needs 50 calls, has 1"


def test_it_narrows_to_one_path(client, make_call):
    make_call(created=T0)
    make_call(created=T0, path="/other")
    [path] = client.get(f"/v1/apps/myapp/sizing?path=/other&{WINDOW}").json()["paths"]
    assert path["path"] == "/other"
    assert path["memory_advice"]["action"] is None


def test_it_refuses_bad_windows(client, make_call):
    make_call()
    response = client.get("/v1/apps/myapp/sizing?window=2h")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "window must be one of 1h, 24h, 7d, 30d"
    assert client.get("/v1/apps/nodawg/sizing").status_code == 404


def test_it_is_in_the_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/v1/apps/{app}/sizing"]["get"]
    assert operation["operationId"] == "GetAppsAppSizing"
    assert "PathSizing" in schema["components"]["schemas"]
