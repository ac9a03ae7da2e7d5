"""The Call model on the real database of this run (SQLite, PostgreSQL or MariaDB)."""

import importlib
import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.db import connection

from calls.fntime import NS_PER_SECOND, parse_timestamp
from calls.ids import new_id
from calls.models import App, Call, CallLog
from calls.outliers import SORTS, Cursor, in_order
from calls.stats import MAX_METRIC, dump_points, parse_points

pytestmark = pytest.mark.django_db

CREATED = datetime(2017, 11, 27, 14, 52, 53, 123000, tzinfo=UTC)


def test_it_round_trips_240_points_of_the_largest_values_unchanged(make_call):
    start = parse_timestamp("2017-11-27T14:52:53.123Z")
    raw = [
        {
            "timestamp": f"2017-11-27T14:{52 + (53 + i) // 60 % 60:02d}:{(53 + i) % 60:02d}.123Z",
            "metrics": {key: MAX_METRIC for key in ("cpu_total", "mem_usage", "net_rx", "custom")},
        }
        for i in range(240)
    ]
    call = make_call()
    call.set_stats(parse_points(raw))
    call.save()

    stored = Call.objects.get(pk=call.pk).stats
    assert stored == raw
    assert len(stored) == 240
    assert parse_points(stored)[-1][0] == start + 239 * NS_PER_SECOND
    assert all(type(v) is int for p in stored for v in p["metrics"].values())


def test_it_derives_peaks_from_the_stats_on_every_write(make_call):
    stats = dump_points(
        [(0, {"cpu_total": 30, "mem_usage": 5}), (NS_PER_SECOND, {"cpu_total": 10, "mem_usage": 9})]
    )
    peaks = ("peak_cpu_total", "peak_mem_usage")
    saved = make_call(stats=stats)  # Call.objects.create(stats=...), no helper in between
    Call.objects.bulk_create(
        [Call(id="bulk", app_id="myapp", path="/p", status="success", created_at=CREATED,
              stats=stats)]
    )  # fmt: skip
    stored = Call.objects.values_list(*peaks)
    assert stored.get(pk=saved.pk) == stored.get(pk="bulk") == (30, 9)

    saved.stats = []
    saved.save()
    assert stored.get(pk=saved.pk) == (None, None)


def test_it_derives_run_time_and_memory_share_on_every_write(make_call):
    stats = dump_points(
        [
            (0, {"mem_usage": 50, "mem_limit": 200}),  # 25 %
            (NS_PER_SECOND, {"mem_usage": 90, "mem_limit": 120}),  # 75 %, the peak share
            (2 * NS_PER_SECOND, {"mem_usage": 100}),  # no limit: no share
        ]
    )
    started = CREATED + timedelta(seconds=1)
    times = {"started_at": started, "completed_at": started + timedelta(seconds=2, microseconds=7)}
    derived = ("duration_us", "peak_mem_share")
    saved = make_call(stats=stats, **times)
    Call.objects.bulk_create(
        [Call(id="bulk", app_id="myapp", path="/p", status="success", created_at=CREATED,
              stats=stats, **times)]
    )  # fmt: skip
    stored = Call.objects.values_list(*derived)
    assert stored.get(pk=saved.pk) == stored.get(pk="bulk") == (2_000_007, 75)

    saved.stats, saved.completed_at = [], None
    saved.save()
    assert stored.get(pk=saved.pk) == (None, None)


def test_it_keeps_fn_ids_of_any_shape():
    App.objects.create(name="old")
    for call_id in ["01BZYZEWG3M7WG200000000000", "5f3e9a1c-0c9b-4f1e-9d7a-0a1b2c3d4e5f"]:
        Call.objects.create(id=call_id, app_id="old", path="/p", status="error", created_at=CREATED)
    assert Call.objects.filter(app_id="old").count() == 2


def test_it_keeps_the_log_in_its_own_table(make_call):
    call = make_call()
    CallLog.objects.create(call=call, text="First line\nSecond line\n")
    assert Call.objects.get(pk=call.pk).log.text == "First line\nSecond line\n"
    call.delete()
    assert not CallLog.objects.exists()


def test_it_has_a_duration_only_when_finished(make_call):
    call = make_call(started_at=CREATED, completed_at=CREATED + timedelta(seconds=2.5))
    assert call.duration == timedelta(seconds=2.5)
    assert make_call(started_at=CREATED, completed_at=None).duration is None


def test_it_has_a_queued_time_once_started(make_call):
    call = make_call(created=CREATED, started_at=CREATED + timedelta(seconds=3))
    assert call.queued == timedelta(seconds=3)
    assert make_call(status="queued", started_at=None, completed_at=None).queued is None


@pytest.mark.parametrize(
    ("text", "statuses"),
    [
        ("", []),
        ("error", ["error"]),
        ("failed", ["error", "timeout"]),
        ("timeout,cancelled,timeout", ["cancelled", "timeout"]),
        ("failed,success,", ["error", "success", "timeout"]),
    ],
)
def test_it_reads_the_statuses_a_filter_names(text, statuses):
    assert Call.statuses_named(text) == statuses


@pytest.mark.parametrize("text", ["exploded", "error,Error", "failed, error"])
def test_it_refuses_a_status_filter_naming_no_status(text):
    with pytest.raises(ValueError, match="xploded|Error| error"):
        Call.statuses_named(text)


def explain(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
        cursor.execute(prefix + sql, params)
        return "\n".join(" ".join(str(col) for col in row) for row in cursor.fetchall())


@pytest.fixture
def many_calls(transactional_db):
    """Enough rows over several apps, paths and statuses for each planner to prefer an index.
    ANALYZE commits on MariaDB, so the tests using them cannot live inside a rolled-back
    transaction."""
    store_calls(4000, apps=20, paths=7)


def store_calls(count: int, apps: int, paths: int, figures=lambda i: {}) -> None:
    """`count` calls, a second apart, spread over apps, paths and statuses, with the fields
    `figures(i)` gives the i-th; then the database's statistics of them."""
    App.objects.bulk_create([App(name=f"app{i}") for i in range(apps)])
    Call.objects.bulk_create(
        (
            Call(
                id=new_id(at=CREATED + timedelta(seconds=i)),
                app_id=f"app{i % apps}",
                path=f"/path{i % paths}",
                status=Call.Status.values[i % 3],
                created_at=CREATED + timedelta(seconds=i),
                **figures(i),
            )
            for i in range(count)
        ),
        batch_size=2000,
    )
    analyze()


def analyze() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            cursor.execute("ANALYZE TABLE calls_call")
            cursor.fetchall()  # MariaDB answers with a status row that must be read
        else:
            cursor.execute("ANALYZE calls_call")


@pytest.mark.usefixtures("many_calls")
@pytest.mark.parametrize(
    # With a path, PostgreSQL reads the ~20 calls it expects here through any index led by
    # (app, path) and sorts them: the sorted lists' ones are as small while their figures
    # are NULL, as these calls' are.
    ("with_path", "index"),
    [(True, "call_app_path_"), (False, "call_app_id")],
)
def test_it_lists_an_apps_calls_newest_first_through_an_index(with_path, index):
    calls = Call.objects.matching(
        "app3",
        "/path2" if with_path else "",
        created_after=CREATED + timedelta(minutes=5),
        created_before=CREATED + timedelta(minutes=50),
    )
    plan = explain(calls.newest_first()[:30])
    assert index in plan, plan


@pytest.mark.usefixtures("many_calls")
def test_it_finds_the_neighbours_of_a_call_of_the_same_status_through_an_index():
    # As the call page asks for them: one step each way along (app, status, id).
    middle = Call.objects.filter(app_id="app3").order_by("id")[100].id
    same_status = Call.objects.matching("app3", statuses=["error"]).values_list("id", flat=True)
    for neighbour in (same_status.oldest_first(middle)[:1], same_status.newest_first(middle)[:1]):
        plan = explain(neighbour)
        assert "call_app_status_id" in plan, plan


@pytest.mark.django_db(transaction=True)  # ANALYZE commits on MariaDB
def test_a_quiet_apps_newest_calls_are_read_down_its_index_not_past_a_busy_apps():
    """Half the calls are the quiet app's, all older than the busy app's: walking the primary
    key back from the newest call (what PostgreSQL picks for `app = X ORDER BY id DESC`,
    expecting every other row to be the app's) would read every busy call first."""
    App.objects.bulk_create([App(name="quiet"), App(name="busy")])
    Call.objects.bulk_create(
        (
            Call(id=new_id(at=CREATED + timedelta(seconds=i)), path="/p", status="success",
                 app_id="quiet" if i < 3000 else "busy", created_at=CREATED + timedelta(seconds=i))
            for i in range(6000)
        ),
        batch_size=2000,
    )  # fmt: skip
    analyze()
    calls = Call.objects.matching("quiet")
    for query in (calls.newest_first()[:51], calls.newest_first().values("created_at")[:1]):
        plan = explain(query)
        assert "call_app_" in plan, plan
        assert not re.search(r"pkey|PRIMARY|Sort|filesort|TEMP B-TREE", plan), plan


@pytest.fixture
def figured_calls(transactional_db):
    """A few apps and paths with many calls each, most finished and with stats, so that a
    page of 51 read in index order beats sorting the calls that match, as at any real size."""
    store_calls(12000, apps=3, paths=2, figures=figures)


def figures(i: int) -> dict:
    """Run times up to a second (unfinished calls too, which have none) and peaks."""
    return {
        "started_at": CREATED + timedelta(seconds=i),
        "completed_at": CREATED + timedelta(seconds=i, milliseconds=i % 997) if i % 5 else None,
        "stats": dump_points([(0, {"cpu_total": i % 89, "mem_usage": i % 83})]),
    }


@pytest.mark.usefixtures("figured_calls")
@pytest.mark.parametrize("sort", list(SORTS))
@pytest.mark.parametrize(
    ("with_path", "with_cursor"), [(False, False), (True, False), (True, True)]
)
def test_it_lists_an_apps_calls_largest_first_through_an_index(sort, with_path, with_cursor):
    # As calls.outliers asks: (app[, path], figure, id), each page below the last one's figure.
    since = CREATED + timedelta(minutes=5)
    calls = Call.objects.matching(
        "app1", "/path1" if with_path else "", created_after=since, sort=sort
    )
    # Halfway down the figures (0-996 ms, 0-88 for the peaks).
    middle = 500_000 if sort == "duration" else 40
    cursor = Cursor(sort, middle, "01ZZ") if with_cursor else None
    plan = explain(in_order(calls, sort, cursor)[:51])
    name = {"duration": "duration", "peak_mem": "mem", "peak_cpu": "cpu"}[sort]
    index = f"call_app_path_{name}" if with_path else f"call_app_{name}"
    assert index in plan, plan
    # Read in the index's order: no sort step over the rows found.
    assert not re.search(r"Sort|filesort|TEMP B-TREE", plan), plan


def test_the_migration_fills_in_the_figures_of_calls_stored_before_it(make_call, monkeypatch):
    migration = importlib.import_module("calls.migrations.0008_outliers")
    monkeypatch.setattr(migration, "BATCH", 2)  # several batches
    memory = {"mem_usage": 30, "mem_limit": 60}
    calls = [make_call(metrics=memory, created=CREATED + timedelta(seconds=i)) for i in range(5)]
    unfinished = make_call(status="running", completed_at=None, metrics={"mem_usage": 1})
    Call.objects.update(duration_us=None, peak_mem_share=None)  # as the new columns start
    migration.backfill(django_apps, SimpleNamespace(connection=connection))
    figures = dict(Call.objects.values_list("pk", "duration_us"))
    assert [figures[call.pk] for call in calls] == [995_000] * 5  # make_call's run time
    assert figures[unfinished.pk] is None
    shares = dict(Call.objects.values_list("pk", "peak_mem_share"))
    assert [shares[call.pk] for call in calls] == [50] * 5
    assert shares[unfinished.pk] is None
