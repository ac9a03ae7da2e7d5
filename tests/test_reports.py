from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from calls.reports import apps_overview, cover, path_summaries, window_bounds
from calls.sketch import RELATIVE_ACCURACY
from calls.stats import MIB
from tests.conftest import T0

pytestmark = pytest.mark.django_db

BEFORE = T0 - timedelta(days=1)  # a window start before every call of these tests


def near(value: float):
    """Equal within the rollups' histograms' relative error."""
    return pytest.approx(value, rel=RELATIVE_ACCURACY)


def call(make_call, seconds: float | None, offset: int = 0, **fields):
    """A call created `offset` minutes after T0 that ran for `seconds` (None: never ended)."""
    created = T0 + timedelta(minutes=offset)
    started = created + timedelta(milliseconds=100)
    completed = None if seconds is None else started + timedelta(seconds=seconds)
    return make_call(created=created, started_at=started, completed_at=completed, **fields)


def test_it_summarizes_every_path_of_an_app(make_call):
    for i, seconds in enumerate([1, 2, 3, 4, 10]):
        call(make_call, seconds, i, path="/b", metrics={"mem_usage": (i + 1) * MIB})
    call(make_call, 5, 6, path="/a", status="error")
    call(make_call, 7, 7, path="/a", status="timeout")
    call(make_call, 9, 8, path="/a", status="error")

    a, b = path_summaries("myapp", BEFORE)

    assert a == {
        "path": "/a",
        "calls": 3,
        "by_status": {"error": 2, "timeout": 1},
        "duration_seconds": {"p50": near(7.0), "p95": near(8.8), "p99": near(8.96)},
        "peak_mem_usage": {"p50": None, "p95": None},
    }
    assert b["path"] == "/b"
    assert b["calls"] == 5
    assert b["by_status"] == {"success": 5}
    assert b["duration_seconds"] == {"p50": near(3.0), "p95": near(8.8), "p99": near(9.76)}
    assert b["peak_mem_usage"] == {"p50": near(3 * MIB), "p95": near(4.8 * MIB)}


def test_it_counts_the_calls_of_the_minutes_the_window_touches(make_call):
    calls = [call(make_call, 1, offset) for offset in range(5)]  # a minute apart
    minute = timedelta(minutes=1)

    [summary] = path_summaries("myapp", calls[1].created_at, calls[3].created_at)
    assert summary["calls"] == 3
    [summary] = path_summaries("myapp", calls[1].created_at, calls[3].created_at - minute)
    assert summary["calls"] == 2
    assert path_summaries("myapp", calls[3].created_at, None)[0]["calls"] == 2
    assert path_summaries("myapp", BEFORE, calls[0].created_at)[0]["calls"] == 1
    assert path_summaries("myapp", calls[4].created_at + minute, None) == []


def test_it_tiles_a_window_with_the_coarsest_buckets_that_fit():
    day, hour, minute = 86400, 3600, 60
    low, high = day - 2 * minute, 3 * day + 2 * hour + 3 * minute
    assert cover(low, high) == [
        (minute, low, day),
        (day, day, 3 * day),
        (hour, 3 * day, 3 * day + 2 * hour),
        (minute, 3 * day + 2 * hour, high),
    ]
    assert cover(minute, 5 * minute) == [(minute, minute, 5 * minute)]
    assert cover(minute, minute) == []


def test_a_window_up_to_now_reads_the_buckets_holding_now_whole():
    now = timezone.now()
    week_ends = (int(now.timestamp()) // 604800 + 1) * 604800
    since = now - timedelta(days=30)
    assert window_bounds(since, None)[1] == week_ends
    assert window_bounds(since, now + timedelta(seconds=1))[1] == week_ends
    an_hour_ago = int((now - timedelta(hours=1)).timestamp()) // 60 * 60 + 60
    assert window_bounds(since, now - timedelta(hours=1))[1] == an_hour_ago


def test_a_window_ending_in_a_minutes_first_second_keeps_that_minute():
    minute = (timezone.now() - timedelta(hours=1)).replace(second=0, microsecond=0)
    end = window_bounds(minute - timedelta(days=1), minute + timedelta(microseconds=500))[1]
    assert end == int(minute.timestamp()) + 60


def test_it_tiles_a_long_window_with_weeks_then_days_hours_and_minutes():
    week, day, hour, minute = 7 * 86400, 86400, 3600, 60
    low, high = week - day - minute, 4 * week + 2 * day + hour
    assert cover(low, high) == [
        (minute, low, week - day),
        (day, week - day, week),
        (week, week, 4 * week),
        (day, 4 * week, 4 * week + 2 * day),
        (hour, 4 * week + 2 * day, high),
    ]


def test_it_counts_only_finished_calls(make_call):
    call(make_call, None, status="running")
    assert path_summaries("myapp", BEFORE) == []


def test_it_keeps_apps_apart(make_call):
    call(make_call, 1, app="other")
    assert path_summaries("myapp", BEFORE) == []
    assert path_summaries("other", BEFORE)[0]["calls"] == 1


def test_it_reads_rollups_in_one_query(make_call, django_assert_num_queries):
    for i in range(10):
        call(make_call, i + 1, i, path=f"/p{i % 3}")
    with CaptureQueriesContext(connection) as queries:
        with django_assert_num_queries(1):
            path_summaries("myapp", BEFORE)
    assert "calls_rollup" in queries[0]["sql"]
    assert "calls_call" not in queries[0]["sql"]


def test_it_overviews_every_app(make_call, django_assert_num_queries):
    for i, seconds in enumerate([1, 2, 3, 4]):
        call(make_call, seconds, i, app="shop", status="error" if i == 0 else "success")
    newest = call(make_call, None, 9, app="shop", status="timeout")
    make_call(app="quiet", created=T0 - timedelta(days=2)).delete()  # purged, rolled up
    old = call(make_call, 100, -60 * 24, app="idle")  # a day before the window

    with django_assert_num_queries(2 + 3):  # the apps, the window, each app's newest call
        idle, quiet, shop = apps_overview(T0 - timedelta(hours=1))

    assert idle == {
        "name": "idle",
        "calls": 0,
        "failed_share": None,
        "duration_seconds": {"p50": None, "p95": None},
        "newest": old.created_at,
    }

    assert quiet == {
        "name": "quiet",
        "calls": 0,
        "failed_share": None,
        "duration_seconds": {"p50": None, "p95": None},
        "newest": None,
    }
    assert shop["name"] == "shop"
    assert shop["calls"] == 5
    assert shop["failed_share"] == 2 / 5
    assert shop["duration_seconds"] == {"p50": near(2.5), "p95": near(3.85)}
    assert shop["newest"] == newest.created_at
