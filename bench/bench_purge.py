"""Retention benchmark: how a purge of a million old calls compares with a raw DELETE of them,
and whether it holds up reads and ingest.

    make bench                              # runs this after bench/bench_api.py
    DATABASE_URL=postgres://... make bench  # or PostgreSQL, MariaDB
    PURGE_CALLS=200000 python bench/bench_purge.py  # a smaller table, for a quick look

In a throwaway database it stores PURGE_CALLS (default 1,000,000) calls created 60 days ago,
each with a log, and a few recent ones, then measures, from a second thread, what a dashboard
reader and a sender see: one request after another, alternating a list page
(`GET /v1/apps/live/calls`) and a one-call ingest (`POST`). Baseline: the same requests for a
few seconds with no purge. Then `calls.retention.purge` (what `purge_calls` and the admin run)
deletes the old calls in its batches while the requests go on. The figures are the requests'
latencies during the purge divided by the baseline's: the median shows the general slowdown,
p99 and the longest (also in milliseconds) how long the unlucky requests waited. On PostgreSQL
and MariaDB, also the purge's time against a raw DELETE of the same rows (logs then calls, one
transaction) on a copy of both tables, made in the same run and deleted under the same requests.
"""

import itertools
import os
import statistics
import threading
import time
from datetime import timedelta

os.environ.setdefault("DATABASE_STATEMENT_TIMEOUT", "0")  # copying the tables takes minutes

from bench_api import report, throwaway_database  # noqa: E402 isort: skip (sets Django up)
from admin_data import analyze, copy_tables, drop_copies, raw_delete, settle  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from calls.ids import new_id  # noqa: E402
from calls.models import ApiToken, App, Call, CallLog  # noqa: E402
from calls.retention import purge  # noqa: E402

OLD_CALLS = int(os.environ.get("PURGE_CALLS", 1_000_000))
BASELINE_SECONDS = 5


def fill(now) -> None:
    """OLD_CALLS calls 60 days old, each with a log as Fn keeps one, and 100 recent calls in
    app `live`, which the reader lists."""
    App.objects.bulk_create([App(name="old"), App(name="live")])
    start = now - timedelta(days=60)
    for chunk in range(0, OLD_CALLS, 5000):
        calls = [
            Call(id=new_id(at=start + timedelta(milliseconds=i)), app_id="old", path="/p",
                 status="success", created_at=start + timedelta(milliseconds=i))
            for i in range(chunk, min(chunk + 5000, OLD_CALLS))
        ]  # fmt: skip
        Call.objects.bulk_create(calls)
        CallLog.objects.bulk_create(CallLog(call=call, text="log\n") for call in calls)
    Call.objects.bulk_create(
        Call(id=new_id(at=now - timedelta(seconds=i)), app_id="live", path="/p",
             status="success", created_at=now - timedelta(seconds=i))
        for i in range(100)
    )  # fmt: skip


def requests(stop: threading.Event, token: str, reads: list, writes: list) -> None:
    """Alternate a list page and a one-call ingest until stopped, timing each."""
    client = Client()
    body = '{"call": {"path": "/p", "status": "success", "created_at": "%s"}}'
    try:
        for n in itertools.count():
            if stop.is_set():
                return
            start = time.perf_counter()
            if n % 2:
                created = timezone.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
                response = client.post("/v1/apps/live/calls", body % created,
                                       content_type="application/json",
                                       HTTP_AUTHORIZATION=f"Token {token}")  # fmt: skip
                assert response.status_code == 201, response.content
                writes.append(time.perf_counter() - start)
            else:
                response = client.get("/v1/apps/live/calls?per_page=30&stats=false")
                assert response.status_code == 200, response.content
                reads.append(time.perf_counter() - start)
    finally:
        connections.close_all()


def measure(token: str, action) -> tuple[list[float], list[float], float]:
    """Latencies of reads and ingests while action() runs, and how long it took."""
    reads: list[float] = []
    writes: list[float] = []
    stop = threading.Event()
    thread = threading.Thread(target=requests, args=(stop, token, reads, writes))
    thread.start()
    start = time.perf_counter()
    try:
        action()
    finally:
        took = time.perf_counter() - start
        stop.set()
        thread.join()
    return reads, writes, took


def p99(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=100)[98]


def main() -> None:
    raw, raw_latencies = None, ([], [])
    with throwaway_database():
        now = timezone.now()
        fill(now)
        token = ApiToken.issue("bench")
        cutoff = now - timedelta(days=30)
        measure(token, lambda: time.sleep(1))  # warm-up: first requests import and compile
        if connection.vendor != "sqlite":  # copies made the way each server makes them
            analyze("calls_call", "calls_calllog")
            copy_tables()
            settle()
            *raw_latencies, raw = measure(token, lambda: raw_delete(cutoff))
            raw_settled = raw + settle()
            drop_copies()
            settle()
        base_reads, base_writes, _ = measure(token, lambda: time.sleep(BASELINE_SECONDS))
        old = Call.objects.filter(created_at__lt=cutoff)
        reads, writes, took = measure(token, lambda: purge(old))
        settled = took + settle()
        assert not Call.objects.filter(app_id="old").exists()
    results = []
    if raw:
        results.append((f"purge / raw DELETE ({took:.1f} s / {raw:.1f} s)", took / raw,
                        "target <= 1.3"))  # fmt: skip
        if connection.vendor == "mysql":
            results.append((f"... each until InnoDB purged it ({settled:.1f} / {raw_settled:.1f})",
                            settled / raw_settled, "target <= 1.3"))  # fmt: skip
    kinds = (("list page", reads, base_reads, raw_latencies[0]),
             ("ingest", writes, base_writes, raw_latencies[1]))  # fmt: skip
    for name, during, before, during_raw in kinds:
        if during_raw:
            results.append((f"{name}: median during the raw DELETE / median before",
                            statistics.median(during_raw) / statistics.median(before),
                            "(what deleting costs at all)"))  # fmt: skip
        results += [
            (f"{name}: median during purge / median before",
             statistics.median(during) / statistics.median(before), "target <= 1.5"),
            (f"{name}: p99 during purge / p99 before", p99(during) / p99(before), "tracked"),
            (f"{name}: longest during purge / longest before ({max(during) * 1000:.0f} ms)",
             max(during) / max(before), "tracked"),
        ]  # fmt: skip
    report(
        f"fnweb purge benchmark on {connection.vendor}: {OLD_CALLS:,} calls purged in "
        f"{took:.0f} s ({OLD_CALLS / took:,.0f}/s) while {len(reads) + len(writes):,} "
        "requests ran",
        results,
    )


if __name__ == "__main__":
    main()
