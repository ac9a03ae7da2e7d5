"""Ingest under real concurrency on PostgreSQL and MariaDB: each test runs requests in
threads, each thread on its own database connection, as gunicorn's workers do. SQLite lets
one writer in at a time, so nothing races there and these tests skip it.

A race is a race: each test runs several rounds, and each fails on the code before its fix
in most runs, not in every one.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django import db
from django.db import connection
from django.test import Client
from django.utils import timezone

from calls import retention
from calls.fntime import format_datetime
from calls.models import ApiToken, App, Call, CallLog
from calls.rollups import STEPS, Rollup
from tests.api.conftest import fn_call

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def not_on_sqlite():
    if connection.vendor == "sqlite":
        pytest.skip("SQLite lets one writer in at a time, so requests never race there")


@pytest.fixture
def key() -> str:
    App.objects.create(name="myapp")
    return ApiToken.issue("racer")


def send_together(key: str, bodies: list[dict]) -> list[int]:
    """POST each body at the same moment from its own thread; the status codes."""
    start = threading.Barrier(len(bodies))

    def send(body: dict) -> int:
        try:
            client = Client(HTTP_AUTHORIZATION=f"Token {key}")
            start.wait()
            response = client.post("/v1/apps/myapp/calls", body, content_type="application/json")
            assert response["Content-Type"] == "application/json; charset=utf-8"
            return response.status_code
        finally:
            db.connection.close()

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(send, bodies))


def test_it_stores_each_call_once_when_eight_senders_resend_overlapping_batches(key):
    # Sender s sends ids s to s + 9 of the round: each id arrives up to eight times, in
    # batches that overlap by one to nine calls.
    for round_ in range(12):
        ids = [f"resend{round_}-{i:02d}" for i in range(17)]
        bodies = [{"calls": [fn_call(id=call_id) for call_id in ids[s : s + 10]]} for s in range(8)]
        assert send_together(key, bodies) == [201] * 8
    assert Call.objects.count() == 12 * 17


def test_it_keeps_a_finished_call_final_when_a_stale_report_races_it(key):
    for round_ in range(10):
        call_id = f"final{round_}"
        Call.objects.create(
            id=call_id, app_id="myapp", path="/hello", status="queued",
            created_at=timezone.now(),
        )  # fmt: skip
        running = fn_call(id=call_id, status="running", completed_at=None, log="half\n")
        finished = fn_call(id=call_id, status="success", log="done\n")
        statuses = send_together(key, [{"call": running}, {"call": finished}])
        assert statuses == [201, 201]
        stored = Call.objects.get(pk=call_id)
        assert (stored.status, CallLog.objects.get(pk=call_id).text) == ("success", "done\n")
        assert format_datetime(stored.completed_at) == "2017-11-27T14:53:03.000Z"


def test_it_never_deadlocks_on_batches_of_the_same_calls_in_opposite_order(key):
    for round_ in range(6):
        ids = [f"order{round_}-{i:02d}" for i in range(30)]
        Call.objects.bulk_create(
            Call(id=call_id, app_id="myapp", path="/hello", status="queued",
                 created_at=timezone.now())
            for call_id in ids
        )  # fmt: skip
        forward = [fn_call(id=call_id, status="running", completed_at=None) for call_id in ids]
        bodies = [{"calls": forward}, {"calls": forward[::-1]}] * 2
        assert send_together(key, bodies) == [201] * 4
        assert set(Call.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
            "running"
        }


def test_it_lets_final_reports_and_a_purge_of_the_same_calls_both_finish(key):
    old = timezone.now() - timedelta(days=60)
    ids = [f"old-{i:03d}" for i in range(300)]
    Call.objects.bulk_create(
        Call(id=call_id, app_id="myapp", path="/hello", status="running", created_at=old)
        for call_id in ids
    )  # fmt: skip
    CallLog.objects.bulk_create(CallLog(call_id=call_id, text="so far") for call_id in ids)
    reports = [
        {"calls": [fn_call(id=call_id, log="done") for call_id in ids[i::4]]} for i in range(4)
    ]

    def purge() -> int:
        try:
            cutoff = timezone.now() - timedelta(days=30)
            return retention.purge(Call.objects.filter(created_at__lt=cutoff), batch_size=25)
        finally:
            db.connection.close()

    with ThreadPoolExecutor(1) as pool:
        purged = pool.submit(purge)
        statuses = send_together(key, reports)
        purged.result()  # raises what the purge raised
    assert statuses == [201] * 4
    # Whichever came first, nothing is half done: a call left is finished with its log.
    for call in Call.objects.filter(pk__in=ids):
        assert (call.status, call.log.text) == ("success", "done")
    assert not CallLog.objects.exclude(call_id__in=Call.objects.values("pk")).exists()


def test_it_counts_each_call_once_in_rollups_when_eight_senders_share_their_buckets(key):
    # Every batch adds to the same rollup rows (three paths, one minute); sender s sends
    # calls 5s to 5s + 9, odd senders in reverse, so most calls arrive twice at once.
    for round_ in range(6):
        ids = [f"hot{round_}-{i:02d}" for i in range(40)]
        calls = [fn_call(id=call_id, path=f"/p{i % 3}") for i, call_id in enumerate(ids)]
        batches = [calls[s * 5 : s * 5 + 10] for s in range(8)]
        bodies = [{"calls": batch[::-1] if s % 2 else batch} for s, batch in enumerate(batches)]
        assert send_together(key, bodies) == [201] * 8
    for step in STEPS:
        for paths in (Rollup.objects.exclude(path=""), Rollup.objects.filter(path="")):
            counted = paths.filter(step=step).values_list("success", flat=True)
            assert sum(counted) == Call.objects.count() == 6 * 40
