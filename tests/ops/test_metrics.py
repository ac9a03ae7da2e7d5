"""/metrics: each metric's value after a known ingest, request timing by view, the calls
stored, and the restrictions on who may scrape."""

import ipaddress
from datetime import timedelta

import pytest

from calls.models import App
from calls.stats import MIB
from tests.conftest import T0, growth, labels, scrape


def point(second: int, **metrics) -> dict:
    return {"timestamp": f"2017-11-27T14:53:{second:02d}Z", "metrics": metrics}


BUSY = {
    "id": "01BZYZEWG3M7WG2000000BUSY1",
    "path": "/busy",
    "status": "success",
    "created_at": "2017-11-27T14:52:59Z",
    "started_at": "2017-11-27T14:53:00Z",
    "completed_at": "2017-11-27T14:53:02.500Z",
    "stats": [
        point(0, cpu_total=50, mem_usage=10 * MIB, net_rx=0, net_tx=0, disk_read=0),
        point(1, cpu_total=120, mem_usage=30 * MIB, net_rx=600, net_tx=200, disk_read=0),
        point(2, cpu_total=80, mem_usage=20 * MIB, net_rx=1000, net_tx=500, disk_read=4096),
    ],
}
FAILED = {
    "id": "01BZYZEWG3M7WG2000000FAIL1",
    "path": "/busy",
    "status": "error",
    "created_at": "2017-11-27T14:52:59Z",
    "started_at": "2017-11-27T14:53:00Z",
    "completed_at": "2017-11-27T14:53:00.200Z",
}
# 300 one-second points, which ingest reduces to 240.
LONG = {
    "id": "01BZYZEWG3M7WG2000000LONG1",
    "path": "/long",
    "status": "success",
    "created_at": "2017-11-27T14:52:59Z",
    "stats": [
        {"timestamp": f"2017-11-27T15:{s // 60:02d}:{s % 60:02d}Z", "metrics": {"cpu_total": 1}}
        for s in range(300)
    ],
}


def ingest(api, *calls: dict, status: int = 201) -> None:
    response = api.post(
        "/v1/apps/metered/calls", {"calls": list(calls)}, content_type="application/json"
    )
    assert response.status_code == status, response.content


def test_it_counts_each_ingested_call_and_its_points(api):
    grew = growth(api, lambda: ingest(api, BUSY, FAILED, LONG))
    calls = "fnweb_ingest_calls_total"
    assert grew[(calls, labels(app="metered", status="success"))] == 2  # /busy and /long
    assert grew[(calls, labels(app="metered", status="error"))] == 1
    assert grew[("fnweb_ingest_batches_total", labels(status="accepted"))] == 1
    assert grew[("fnweb_ingest_points_received_total", ())] == 3 + 300
    assert grew[("fnweb_ingest_points_stored_total", ())] == 3 + 240


def test_it_observes_each_calls_duration_and_resources(api):
    grew = growth(api, lambda: ingest(api, BUSY, FAILED))
    success = labels(app="metered", status="success")
    assert grew[("fnweb_call_duration_seconds_count", success)] == 1
    assert grew[("fnweb_call_duration_seconds_sum", success)] == 2.5
    bucket = "fnweb_call_duration_seconds_bucket"
    assert grew[(bucket, labels(**dict(success), le="1.0"))] == 0
    assert grew[(bucket, labels(**dict(success), le="2.5"))] == 1
    error = labels(app="metered", status="error")
    assert grew[("fnweb_call_duration_seconds_sum", error)] == pytest.approx(0.2)

    route = labels(app="metered")
    # Only the first call has stats; the second has nothing to observe.
    assert grew[("fnweb_call_peak_cpu_percent_count", route)] == 1
    assert grew[("fnweb_call_peak_cpu_percent_sum", route)] == 120
    assert grew[("fnweb_call_peak_cpu_percent_bucket", labels(**dict(route), le="100.0"))] == 0
    assert grew[("fnweb_call_peak_cpu_percent_bucket", labels(**dict(route), le="150.0"))] == 1
    assert grew[("fnweb_call_peak_memory_bytes_sum", route)] == 30 * MIB
    assert grew[("fnweb_call_network_bytes_sum", route)] == 1000 + 500
    assert grew[("fnweb_call_disk_bytes_sum", route)] == 4096


def test_it_never_labels_a_metric_with_a_call_id_or_a_path(api):
    ingest(api, BUSY, FAILED, LONG)
    text = api.get("/metrics").content.decode()
    assert "metered" in text
    for call in (BUSY, FAILED, LONG):
        assert call["id"] not in text
        assert call["path"] not in text


def test_it_labels_refusals_for_apps_it_does_not_hold_as_other(api):
    refused = {"calls": [{**FAILED, "status": "exploded"}]}

    def post_to_made_up_apps():
        for n in range(20):
            response = api.post(f"/v1/apps/made-up-{n}/calls", refused, "application/json")
            assert response.status_code == 400

    grew = growth(api, post_to_made_up_apps)
    assert grew[("fnweb_ingest_calls_rejected_total", labels(app="other"))] == 20
    assert "made-up" not in api.get("/metrics").content.decode()


def test_it_counts_rejected_calls_and_batches(api):
    App.objects.create(name="metered")  # a stored app: its name is a label
    refused = {**FAILED, "status": "exploded"}
    grew = growth(api, lambda: ingest(api, BUSY, LONG, refused, status=400))
    assert grew[("fnweb_ingest_calls_rejected_total", labels(app="metered"))] == 3
    assert grew[("fnweb_ingest_batches_total", labels(status="rejected"))] == 1
    assert grew.get(("fnweb_ingest_batches_total", labels(status="accepted")), 0) == 0


def test_it_times_requests_by_view_name_and_status(client, db):
    def requests():
        client.get("/healthz")
        client.get("/healthz")
        client.get("/v1/apps/nope/calls/01BZYZEWG3M7WG200000000000")

    grew = growth(client, requests)
    count = "fnweb_http_request_duration_seconds_count"
    assert grew[(count, labels(view="healthz", status="200"))] == 2
    assert grew[(count, labels(view="api_call", status="404"))] == 1
    assert grew[("fnweb_http_request_duration_seconds_sum", labels(view="healthz", status="200"))]
    assert "01BZYZEWG3M7WG200000000000" not in client.get("/metrics").content.decode()


@pytest.mark.django_db(transaction=True)  # MariaDB's ANALYZE TABLE commits
def test_it_reports_calls_stored_from_the_database_estimate(client, make_call, analyze_calls):
    for second in range(5):
        make_call(created=T0 + timedelta(seconds=second))
    analyze_calls()
    assert scrape(client)[("fnweb_calls_stored", ())] == 5


def test_it_lets_only_allowed_addresses_scrape(client, db, settings):
    settings.METRICS_ALLOWED_IPS = [ipaddress.ip_network("10.0.0.0/8")]
    refused = client.get("/metrics")
    assert refused.status_code == 403
    assert refused.json() == {"error": {"message": "Not allowed to read metrics"}}
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200


def test_it_asks_for_the_bearer_token_when_one_is_set(client, db, settings):
    settings.METRICS_BEARER_TOKEN = "s3cret"
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret").status_code == 200


def test_it_asks_for_both_when_both_are_set(client, db, settings):
    settings.METRICS_ALLOWED_IPS = [ipaddress.ip_network("192.0.2.7")]
    settings.METRICS_BEARER_TOKEN = "s3cret"
    token = {"HTTP_AUTHORIZATION": "Bearer s3cret"}
    assert client.get("/metrics", **token).status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7", **token).status_code == 200


def test_it_is_closed_when_reads_need_a_login_unless_a_restriction_opens_it(
    client, db, settings
):
    settings.READ_REQUIRES_LOGIN = True
    refused = client.get("/metrics")
    assert refused.status_code == 403
    assert refused.json() == {"error": {"message": "Not allowed to read metrics"}}
    settings.METRICS_BEARER_TOKEN = "s3cret"
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret").status_code == 200
    settings.METRICS_BEARER_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = [ipaddress.ip_network("10.0.0.0/8")]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
