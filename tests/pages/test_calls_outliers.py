"""The calls list sorted by a figure and narrowed by duration and memory share (calls.outliers)."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from calls.pages.paging import PER_PAGE
from tests.conftest import T0
from tests.pages.test_calls_list import listed

pytestmark = pytest.mark.django_db


def run(make_call, milliseconds, created=T0, **fields):
    started = created + timedelta(milliseconds=1)
    return make_call(
        created=created,
        started_at=started,
        completed_at=started + timedelta(milliseconds=milliseconds),
        **fields,
    )


def test_it_lists_the_slowest_first_and_shows_their_run_time(client, make_call):
    slow, fast = run(make_call, 4200), run(make_call, 10, created=T0 + timedelta(seconds=1))
    make_call(status="running", completed_at=None, created=T0 + timedelta(seconds=2))
    response = client.get("/apps/myapp/calls/", {"sort": "duration"})
    assert response.status_code == 200
    assert listed(response) == [slow.id, fast.id]  # the unfinished call has no run time
    html = response.content.decode()
    assert "slowest first; 2 of 2" in html
    assert '<th scope="col" class="num" aria-sort="descending">Duration</th>' in html
    assert '<td class="num sorted" data-label="Duration">4.2\u00a0s</td>' in html
    assert '<option value="duration" selected>slowest first</option>' in html
    assert '<a href="?sort=duration" aria-current="true">slowest first</a>' in html
    assert '<a href="?">newest first</a>' in html


@pytest.mark.parametrize(("sort", "metric"), [("peak_mem", "mem_usage"), ("peak_cpu", "cpu_total")])
def test_it_lists_the_largest_peaks_first(client, make_call, sort, metric):
    small = make_call(metrics={metric: 1 << 20, "mem_limit": 1 << 22})
    large = make_call(metrics={metric: 3 << 20, "mem_limit": 1 << 22})
    make_call()  # no stats, no peaks
    response = client.get("/apps/myapp/calls/", {"sort": sort})
    assert listed(response) == [large.id, small.id]
    html = response.content.decode()
    if sort == "peak_mem":
        assert '3.0 MiB <span class="share">75.0 % of limit</span>' in html


def test_it_pages_a_sorted_list_both_ways_on_the_figure_and_id(client, make_call):
    # Two run times only, so pages cut through ties and only the id tells calls apart.
    made = [
        run(make_call, 100 + 100 * (i % 2), created=T0 + timedelta(seconds=i))
        for i in range(PER_PAGE + 5)
    ]
    order = sorted(made, key=lambda call: (call.duration, call.id), reverse=True)
    order = [call.id for call in order]
    query = {"sort": "duration", "window": ""}
    with CaptureQueriesContext(connection) as queries:
        first = client.get("/apps/myapp/calls/", query)
    assert listed(first) == order[:PER_PAGE]
    assert not any("OFFSET" in q["sql"].upper() for q in queries)
    html = first.content.decode()
    older = re.search(
        r'href="\?sort=duration&amp;window=&amp;cursor=(duration~[\w-]+)" rel="next">Smaller', html
    )
    assert older, html

    second = client.get("/apps/myapp/calls/", {**query, "cursor": older[1]})
    assert listed(second) == order[PER_PAGE:]
    newer = re.search(r'after=(duration~[\w-]+)" rel="prev">← Larger', second.content.decode())
    back = client.get("/apps/myapp/calls/", {**query, "after": newer[1]})
    assert listed(back) == order[:PER_PAGE]


def test_it_lists_exactly_the_calls_of_a_heatmap_cell(client, make_call):
    # The heatmap's links: path, since, until, seconds with 6 decimals, sorted by duration.
    inside = [run(make_call, ms, created=T0 + timedelta(minutes=1)) for ms in (250, 499.999)]
    run(make_call, 500, created=T0 + timedelta(minutes=1))  # the upper bound is exclusive
    run(make_call, 249.999, created=T0 + timedelta(minutes=1))
    run(make_call, 300, created=T0 + timedelta(minutes=1), path="/other")
    run(make_call, 300, created=T0 + timedelta(minutes=9))
    cell = {
        "path": "/hello",
        "since": "2017-11-27T14:53:00",
        "until": "2017-11-27T14:55:00",
        "min_duration": "0.250000",
        "max_duration": "0.500000",
        "sort": "duration",
    }
    response = client.get("/apps/myapp/calls/", cell)
    assert listed(response) == [inside[1].id, inside[0].id]
    # The summaries cannot count run times: the count is of what was read.
    assert "2 of 2" in response.content.decode()


def test_it_filters_on_memory_share_and_shows_it(client, make_call):
    full = make_call(metrics={"mem_usage": 95 << 20, "mem_limit": 100 << 20})
    make_call(metrics={"mem_usage": 10 << 20, "mem_limit": 100 << 20})
    response = client.get("/apps/myapp/calls/", {"min_mem_share": "90"})
    assert listed(response) == [full.id]
    assert "95.0 % of limit" in response.content.decode()


def test_its_links_keep_the_sort_and_filters(client, make_call):
    now = timezone.now()
    run(make_call, 300, created=now - timedelta(minutes=5))
    html = client.get(
        "/apps/myapp/calls/", {"sort": "peak_cpu", "min_duration": "0.1", "window": "1h"}
    ).content.decode()
    assert '<a href="?sort=peak_cpu&amp;min_duration=0.1&amp;window=24h">24h</a>' in html
    assert '<a href="?min_duration=0.1&amp;window=1h&amp;sort=duration">slowest first</a>' in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"sort": "slowest"}, "Order: must be one of duration, peak_mem, peak_cpu"),
        ({"min_duration": "1,5"}, "Duration at least (s): must be seconds, at most 6 decimals"),
        ({"max_duration": "0.0000001"}, "Duration under (s): must be seconds"),
        ({"min_duration": "2", "max_duration": "1"}, "must be more than min_duration"),
        ({"min_mem_share": "-5"}, "Peak memory at least (% of limit): must be a percentage"),
        ({"sort": "peak_cpu", "after": "duration~MTAgYQ"}, "is not a cursor of sort=peak_cpu"),
        ({"sort": "duration", "cursor": "01ABC"}, "is not a cursor of sort=duration"),
    ],
)
def test_it_refuses_bad_values_with_the_forms_message(client, make_call, query, message):
    make_call()
    response = client.get("/apps/myapp/calls/", query)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "Nothing was searched" in html
    assert listed(response) == []


def test_a_cells_first_microsecond_is_in_its_list(client, make_call):
    """A bucket of the trends takes in its start; so does the list its cells link to."""
    minute = T0.replace(second=0, microsecond=0) + timedelta(minutes=1)
    first = run(make_call, 300, created=minute)
    run(make_call, 300, created=minute - timedelta(microseconds=1))  # the minute before
    response = client.get("/apps/myapp/calls/", {"since": f"{minute:%Y-%m-%dT%H:%M}"})
    assert listed(response) == [first.id]


def test_a_sorted_list_is_not_counted_as_exact(client, make_call):
    """A sort leaves out the calls without its figure, which the summaries count."""
    for mib in (1, 2):
        make_call(created=T0, metrics={"mem_usage": mib * 2**20, "mem_limit": 2**27})
    make_call(created=T0)  # no stats, so no peak memory
    since = (T0 - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.get("/apps/myapp/calls/", {"sort": "peak_mem", "since": since})
    assert len(listed(response)) == 2
    assert "2 of 2" in response.content.decode()
