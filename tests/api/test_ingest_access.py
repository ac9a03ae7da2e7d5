"""POST /v1/apps/{app}/calls: who may ingest, and what ingest counts in the metrics."""

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from calls.models import Call
from tests.api.conftest import fn_call, post, raw_stats
from tests.conftest import growth, labels

pytestmark = pytest.mark.django_db


def test_it_needs_a_token(client):
    response = client.post(
        "/v1/apps/myapp/calls", {"call": fn_call()}, content_type="application/json"
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {
        "error": {"message": "Authentication credentials were not provided."}
    }
    assert not Call.objects.exists()


@pytest.mark.parametrize("header", ["Token wrong", "Token", "Token a b"])
def test_it_refuses_a_wrong_token(client, token, header):
    body = post(client, {"call": fn_call()}, status=401, HTTP_AUTHORIZATION=header)
    assert body["error"]["message"].startswith("Invalid token")


def test_it_takes_the_token_as_bearer_too(client, token):
    # The Fn CLI sends its FN_TOKEN as `Authorization: Bearer <token>`.
    post(client, {"call": fn_call(id="c1")}, HTTP_AUTHORIZATION=f"Bearer {token}")
    body = post(client, {"call": fn_call(id="c2")}, status=401, HTTP_AUTHORIZATION="Bearer no")
    assert body == {"error": {"message": "Invalid token"}}
    assert list(Call.objects.values_list("id", flat=True)) == ["c1"]


def test_it_lets_staff_ingest_with_their_session_and_the_permission_to_add_calls(client):
    ops = User.objects.create(username="ops", is_staff=True)
    ops.user_permissions.add(Permission.objects.get_by_natural_key("add_call", "calls", "call"))
    client.force_login(ops)
    post(client, {"call": fn_call(id="c1")})
    client.force_login(User.objects.create(username="superuser", is_staff=True, is_superuser=True))
    post(client, {"call": fn_call(id="c2")})
    for refused in (
        User.objects.create(username="viewer"),
        User.objects.create(username="staff-without-the-permission", is_staff=True),
    ):
        client.force_login(refused)
        body = post(client, {"call": fn_call(id="c3")}, status=403)
        assert body["error"]["message"].startswith("You do not have permission")
    assert sorted(Call.objects.values_list("id", flat=True)) == ["c1", "c2"]


def test_it_needs_the_csrf_token_with_a_staff_session():
    # A page on another site must not be able to ingest through a signed-in browser.
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(User.objects.create(username="ops", is_staff=True, is_superuser=True))
    body = post(browser, {"call": fn_call(id="c1")}, status=403)
    assert body["error"]["message"].startswith("CSRF Failed")
    assert not Call.objects.exists()
    browser.get("/admin/")  # a page with a form sets the CSRF cookie
    post(browser, {"call": fn_call(id="c1")}, HTTP_X_CSRFTOKEN=browser.cookies["csrftoken"].value)
    assert Call.objects.filter(pk="c1").exists()


def test_it_counts_what_it_ingests_and_rejects_in_the_metrics(api):
    good = {"calls": [fn_call(id="m1", stats=raw_stats(700)), fn_call(id="m2")]}
    bad = {"calls": [fn_call(), fn_call(), fn_call(status="exploded")]}
    grew = growth(api, lambda: (post(api, good), post(api, bad, status=400)))

    ok = labels(app="myapp", status="success")
    assert grew[("fnweb_ingest_calls_total", ok)] == 2
    assert grew[("fnweb_ingest_points_received_total", ())] == 700
    assert grew[("fnweb_ingest_points_stored_total", ())] == 240
    assert grew[("fnweb_ingest_batches_total", labels(status="accepted"))] == 1
    assert grew[("fnweb_ingest_batches_total", labels(status="rejected"))] == 1
    assert grew[("fnweb_ingest_calls_rejected_total", labels(app="myapp"))] == 3
    assert grew[("fnweb_call_duration_seconds_count", ok)] == 2
    # Sent again, nothing is stored, so nothing is counted.
    assert growth(api, lambda: post(api, good))[("fnweb_ingest_calls_total", ok)] == 0


def test_it_observes_a_call_reported_running_then_finished_once(api):
    # A running report already has a start and stats; only the final one is observed.
    running = fn_call(id="r1", status="running", completed_at=None, stats=raw_stats(5, mem_usage=7))
    finished = fn_call(id="r1", stats=raw_stats(10, mem_usage=9))
    grew = growth(api, lambda: (post(api, {"call": running}), post(api, {"call": finished})))
    route = labels(app="myapp")
    running, success = (labels(**dict(route), status=s) for s in ("running", "success"))
    assert grew[("fnweb_ingest_calls_total", running)] == 1
    assert grew[("fnweb_ingest_calls_total", success)] == 1
    assert grew[("fnweb_call_duration_seconds_count", success)] == 1
    assert grew[("fnweb_call_peak_memory_bytes_count", route)] == 1
    assert grew[("fnweb_call_peak_memory_bytes_sum", route)] == 9
    assert grew[("fnweb_call_peak_cpu_percent_count", route)] == 1
    assert grew[("fnweb_call_network_bytes_count", route)] == 1
