"""Rollups kept by ingest: each finished call counted once, at every step, kept after a purge,
and percentiles from them within the stated relative error of exact ones from the rows."""

import random
from collections import defaultdict
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

from calls import ingest
from calls.fields import sketch_of
from calls.fntime import format_datetime
from calls.models import Call
from calls.reports import apps_overview, path_summaries
from calls.retention import purge
from calls.rollups import (
    ALL_PATHS,
    DAY,
    FINISHED,
    HOUR,
    MINUTE,
    STEPS,
    WEEK,
    Observation,
    Partial,
    Rollup,
    aggregate,
    bucket_start,
    record,
)
from calls.sketch import RELATIVE_ACCURACY, ZERO, key_of
from calls.stats import percentile
from tests.conftest import T0

pytestmark = pytest.mark.django_db

BEFORE = T0 - timedelta(days=3)


def fn_call(call_id, created, seconds=1.0, status="success", path="/hello", mem=None):
    started = created + timedelta(milliseconds=10)
    call = {
        "id": call_id,
        "status": status,
        "path": path,
        "created_at": format_datetime(created),
        "started_at": format_datetime(started),
    }
    if status not in Call.UNFINISHED:
        call["completed_at"] = format_datetime(started + timedelta(seconds=seconds))
    if mem is not None:
        metrics = {"mem_usage": mem, "mem_limit": 128 * 2**20, "cpu_total": 3}
        call["stats"] = [{"timestamp": call["started_at"], "metrics": metrics}]
    return call


def send(*calls, app="myapp"):
    return ingest.receive(app, {"calls": list(calls)}, 1000)


def test_it_counts_only_the_statuses_that_end_a_call():
    assert set(FINISHED) == set(Call.Status.values) - Call.UNFINISHED


def test_it_counts_a_call_once_at_each_step_when_it_finishes():
    send(fn_call("a", T0, status="running"))
    assert not Rollup.objects.exists()
    send(fn_call("a", T0, seconds=2, mem=2**20))
    send(fn_call("a", T0, seconds=2, mem=2**20))  # a resend of the final report
    send(fn_call("a", T0, status="running"))  # a stale report
    rows = Rollup.objects.filter(path="/hello").order_by("step")
    assert [(row.step, row.success, row.max_peak_mem) for row in rows] == [
        (MINUTE, 1, 2**20),
        (HOUR, 1, 2**20),
        (DAY, 1, 2**20),
        (WEEK, 1, 2**20),
    ]
    assert [row.start for row in rows] == [
        T0.replace(second=0, microsecond=0),
        T0.replace(minute=0, second=0, microsecond=0),
        T0.replace(hour=0, minute=0, second=0, microsecond=0),
        # Weeks from the epoch's, a Thursday.
        T0.replace(hour=0, minute=0, second=0, microsecond=0)
        - timedelta(days=(T0.weekday() - 3) % 7),
    ]
    assert rows[0].mem_share == {key_of(100 / 128): 1}  # a MiB of 128, in percent
    assert rows[0].max_mem_limit == 128 * 2**20


def test_it_adds_a_batch_to_the_buckets_already_there():
    send(fn_call("a", T0), fn_call("b", T0, status="error"))
    send(fn_call("c", T0 + timedelta(seconds=1), status="timeout"), fn_call("d", T0, path="/x"))
    [hello, x] = path_summaries("myapp", BEFORE)
    assert hello["by_status"] == {"error": 1, "success": 1, "timeout": 1}
    assert x["by_status"] == {"success": 1}
    assert Rollup.objects.count() == 12  # minute, hour, day, week of /hello, /x and all paths
    assert Rollup.objects.get(path=ALL_PATHS, step=MINUTE).success == 2


def test_it_writes_a_batch_into_its_locked_rows_in_one_statement(
    django_assert_num_queries,
):
    send(fn_call("a", T0))
    stored = {row.pk: row.success for row in Rollup.objects.all()}
    observations = [
        Observation("myapp", "/hello", "error", T0, 1.0, None, None, None, None),
        Observation("myapp", "/hello", "success", T0, 2.0, None, None, None, None),
    ]
    with transaction.atomic(), django_assert_num_queries(2):  # the lock, then one upsert
        record(observations)
    rows = {row.pk: row for row in Rollup.objects.all()}
    assert rows.keys() == stored.keys()  # the upsert only ever updates
    assert {row.pk: row.success for row in rows.values()} == {pk: 2 for pk in stored}
    assert {row.error for row in rows.values()} == {1}
    assert all(len(row.duration) == 2 for row in rows.values())  # 1 s, merged with 2 s


def test_it_keeps_rollups_when_calls_are_purged():
    send(fn_call("a", T0), fn_call("b", T0, status="error"))
    purge(Call.objects.all())
    assert path_summaries("myapp", BEFORE)[0]["calls"] == 2


@pytest.mark.parametrize(
    ("days", "window", "open_ended"),
    [
        # A window of whole minutes, with calls on both sides, over minutes, hours and a day ...
        (2, timedelta(hours=29, minutes=25, seconds=13), False),
        # ... and over weeks, and days and hours on both sides of them ...
        (45, timedelta(days=31, hours=5, minutes=7, seconds=13), False),
        # ... and up to now, which reads the buckets holding now whole.
        (45, timedelta(days=31, hours=5, minutes=7, seconds=13), True),
    ],
)
def test_its_percentiles_stay_within_the_stated_error_of_exact_ones_from_the_rows(
    days, window, open_ended
):
    rng = random.Random(12)
    calls = [
        fn_call(
            f"call{i:05d}",
            T0 - timedelta(seconds=rng.randrange(days * DAY)),
            seconds=round(rng.lognormvariate(0, 1.5), 3),
            status=rng.choice(["success", "success", "error", "timeout"]),
            path=rng.choice(["/a", "/b", "/c"]),
            mem=rng.randrange(1, 2**30),
        )
        for i in range(1500)
    ]
    for i in range(0, len(calls), 500):
        send(*calls[i : i + 500])
    until = T0 - timedelta(minutes=42)
    since = until - window
    rows = Call.objects.filter(created_at__gte=since.replace(second=0, microsecond=0))
    if open_ended:
        until = None
    else:
        rows = rows.filter(
            created_at__lt=until.replace(second=0, microsecond=0) + timedelta(minutes=1)
        )
    summaries = path_summaries("myapp", since, until)
    assert [s["path"] for s in summaries] == ["/a", "/b", "/c"]
    for summary in summaries:
        mine = rows.filter(path=summary["path"])
        durations = sorted(call.duration.total_seconds() for call in mine)
        memory = sorted(mine.values_list("peak_mem_usage", flat=True))
        assert summary["calls"] == len(durations) > 100
        for q in (50, 95, 99):
            assert summary["duration_seconds"][f"p{q}"] == pytest.approx(
                percentile(durations, q), rel=RELATIVE_ACCURACY
            )
        for q in (50, 95):
            assert summary["peak_mem_usage"][f"p{q}"] == pytest.approx(
                percentile(memory, q), rel=RELATIVE_ACCURACY
            )
    [app] = apps_overview(since)
    recent = sorted(
        c.duration.total_seconds()
        for c in Call.objects.filter(created_at__gte=since.replace(second=0, microsecond=0))
    )
    assert app["calls"] == len(recent)
    assert app["duration_seconds"]["p95"] == pytest.approx(
        percentile(recent, 95), rel=RELATIVE_ACCURACY
    )


def test_a_batch_adds_each_call_to_its_eight_buckets_once():
    """aggregate() bins a call into its path's minute, then adds minutes to the hours, days,
    weeks and all paths' buckets: the same as adding every call to each of its buckets."""
    rng = random.Random(3)
    seen = [
        Observation(
            app="myapp",
            path=rng.choice(["/a", "/b"]),
            status=rng.choice([*FINISHED, "running"]),
            created_at=T0 + timedelta(seconds=rng.uniform(-7200, 7200)),
            duration=rng.choice([None, rng.lognormvariate(-1, 2)]),
            peak_mem=rng.uniform(1, 2**30),
            mem_share=rng.uniform(0, 100),
            mem_limit=rng.choice([None, 2**28]),
            peak_cpu=rng.uniform(0, 400),
        )
        for _ in range(300)
    ]
    expected = defaultdict(Partial)
    for one in seen:
        for path in (one.path, ALL_PATHS):
            for step in STEPS:
                if one.status in FINISHED:
                    expected[(one.app, path, step, bucket_start(one.created_at, step))].add(one)
    assert aggregate(seen) == expected
    assert len(expected) > 16  # minutes, hours, days and weeks of both paths and of all


@pytest.mark.django_db(transaction=True)  # migrating: SQLite's schema editor wants no atomic
def test_the_weeks_migration_merges_the_days_already_stored_into_weeks():
    rng = random.Random(5)
    send(
        *(
            fn_call(f"c{i:03d}", T0 - timedelta(hours=rng.randrange(24 * 20)), path=path)
            for i, path in enumerate(["/a", "/b"] * 60)
        )
    )
    weeks = Rollup.objects.filter(step=WEEK).order_by("path", "start")
    kept = list(weeks.values_list("path", "start", "success", "duration", "max_duration"))
    assert len(kept) >= 9  # three weeks or more, of /a, /b and all paths

    MigrationExecutor(connection).migrate([("calls", "0010_sketch_json")])
    assert not weeks.exists()
    MigrationExecutor(connection).migrate([("calls", "0011_rollup_weeks")])

    assert list(weeks.values_list("path", "start", "success", "duration", "max_duration")) == kept


def test_it_reads_histograms_in_the_form_before_migration_0011():
    """What a server still on older code writes during an upgrade."""
    assert sketch_of({"z": 2, "-5": 1, "12": 3}) == {ZERO: 2, -5: 1, 12: 3}
    assert sketch_of([[ZERO, -5, 12], [2, 1, 3]]) == {ZERO: 2, -5: 1, 12: 3}
