"""GET /v1/apps/{app}/calls with fnweb's sort and filters (calls.outliers), and the figures
they read as ingest stores them."""

from datetime import timedelta

import pytest

from calls.models import Call
from calls.outliers import Cursor
from tests.api.conftest import fn_call, post
from tests.api.test_calls_list import ids, listing
from tests.conftest import T0

pytestmark = pytest.mark.django_db


def run(make_call, seconds, created=T0, **fields):
    """A finished call that ran `seconds` (microsecond precise)."""
    started = created + timedelta(milliseconds=1)
    return make_call(
        created=created,
        started_at=started,
        completed_at=started + timedelta(microseconds=round(seconds * 1_000_000)),
        **fields,
    )


@pytest.fixture
def five_calls(make_call):
    """Durations 3, 1, 2, 2 (a tie), and one unfinished; the newest last."""
    calls = [
        run(make_call, s, created=T0 + timedelta(seconds=i)) for i, s in enumerate([3, 1, 2, 2])
    ]
    running = make_call(status="running", created=T0 + timedelta(seconds=9), completed_at=None)
    return calls, running


def test_ingest_stores_the_run_time_and_memory_share_as_it_inserts_and_replaces(api):
    memory = {"mem_usage": 30, "mem_limit": 120}
    stats = [{"timestamp": "2017-11-27T14:52:53.300Z", "metrics": memory}]
    post(api, {"call": fn_call(id="c1", status="running", completed_at=None, stats=stats)})
    figures = Call.objects.values_list("duration_us", "peak_mem_share")
    assert figures.get(pk="c1") == (None, 25)
    post(api, {"call": fn_call(id="c1", completed_at="2017-11-27T14:52:54.700001Z")})
    # started 14:52:53.200: 1.500001 s; the final report carries no stats.
    assert figures.get(pk="c1") == (1_500_001, None)


def test_it_sorts_by_duration_largest_first_leaving_out_unfinished_calls(client, five_calls):
    (c3, c1, c2a, c2b), _ = five_calls
    # The tie goes by id, largest first, as the cursor pages on (duration, id).
    assert ids(listing(client, "?sort=duration")) == [c3.id, c2b.id, c2a.id, c1.id]


@pytest.mark.parametrize(("sort", "metric"), [("peak_mem", "mem_usage"), ("peak_cpu", "cpu_total")])
def test_it_sorts_by_a_peak_leaving_out_calls_without_stats(client, make_call, sort, metric):
    small, large = (make_call(metrics={metric: value}) for value in (10, 900))
    make_call()  # no stats
    assert ids(listing(client, f"?sort={sort}")) == [large.id, small.id]


def test_it_pages_a_sorted_list_with_an_opaque_cursor_through_ties(client, five_calls):
    (c3, c1, c2a, c2b), _ = five_calls
    seen, cursor = [], ""
    for _ in range(4):
        body = listing(client, f"?sort=duration&per_page=1&cursor={cursor}")
        seen += ids(body)
        cursor = body["next_cursor"]
        assert cursor.startswith("duration~")
    assert seen == [c3.id, c2b.id, c2a.id, c1.id]
    assert Cursor.read(cursor) == Cursor("duration", 1_000_000, c1.id)
    assert listing(client, f"?sort=duration&per_page=1&cursor={cursor}")["calls"] == []


def test_it_keeps_fns_cursor_without_a_sort(client, five_calls):
    _, running = five_calls
    body = listing(client, "?per_page=1")
    assert (ids(body), body["next_cursor"]) == ([running.id], running.id)


def test_it_filters_on_duration_from_inclusive_to_exclusive(client, make_call):
    # The heatmap's contract: seconds with 6 decimals, A <= duration < B in microseconds.
    at, inside, edge = (run(make_call, s) for s in (1.5, 1.999999, 2.0))
    run(make_call, 1.499999)
    body = listing(client, "?min_duration=1.500000&max_duration=2.000000&sort=duration")
    assert ids(body) == [inside.id, at.id]
    assert ids(listing(client, "?min_duration=2")) == [edge.id]


def test_it_filters_on_memory_share(client, make_call):
    full = make_call(metrics={"mem_usage": 95, "mem_limit": 100})
    make_call(metrics={"mem_usage": 50, "mem_limit": 100})
    make_call(metrics={"mem_usage": 95})  # no limit, no share
    assert ids(listing(client, "?min_mem_share=95")) == [full.id]


def test_it_combines_sort_and_filters_with_fns_filters(client, make_call):
    slow_other_path = run(make_call, 9, path="/other")
    slow_failed = run(make_call, 8, status="error")
    fast = run(make_call, 1)
    body = listing(client, "?sort=duration&path=/hello&status=success,error")
    assert ids(body) == [slow_failed.id, fast.id]
    assert slow_other_path.id not in ids(listing(client, "?sort=duration&status=error"))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?sort=slowest", "sort must be one of duration, peak_mem, peak_cpu"),
        ("?min_duration=-1", "min_duration must be seconds, at most 6 decimals (e.g. 0.25)"),
        ("?max_duration=0.1234567", "max_duration must be seconds, at most 6 decimals"),
        ("?min_duration=1e3", "min_duration must be seconds"),
        ("?min_duration=2&max_duration=2", "max_duration must be more than min_duration"),
        ("?min_mem_share=lots", "min_mem_share must be a percentage"),
        ("?sort=peak_mem&cursor=duration~MTAgYQ", "cursor is not a cursor of sort=peak_mem"),
        ("?sort=duration&cursor=01ABC", "cursor is not a cursor of sort=duration"),
        ("?sort=duration&cursor=duration~%%%", "cursor is not a cursor of sort=duration"),
        ("?sort=duration&cursor=duration~MS41IGE", "cursor is not a cursor of sort=duration"),
        # "nan 0123": no figure is NaN, and MariaDB's driver cannot send one
        ("?sort=peak_mem&cursor=peak_mem~bmFuIDAxMjM", "cursor is not a cursor of sort=peak_mem"),
    ],
)
def test_it_refuses_bad_values_in_fns_error_shape(client, make_call, query, message):
    make_call()
    body = listing(client, query, status=400)
    assert list(body) == ["error"]
    assert body["error"]["message"].startswith(message)


def test_without_a_sort_a_cursor_is_an_id_as_fn_reads_it(client, make_call):
    """Ingest takes `~` in an id, so an id may look like a sorted list's token."""
    older, _ = make_call(id="duration~0001"), make_call(id="duration~0002")
    body = listing(client, "?cursor=duration~0002")
    assert ids(body) == [older.id]
