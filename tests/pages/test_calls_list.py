import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from calls.pages.paging import PER_PAGE
from tests.conftest import T0

pytestmark = pytest.mark.django_db


def listed(response) -> list[str]:
    """The call ids of the list's rows, in order."""
    return re.findall(r'name="ids" value="([^"]+)"', response.content.decode())


@pytest.fixture
def calls(make_call):
    """Six calls a minute apart: /a and /b alternating, every third an error."""
    return [
        make_call(
            path="/a" if i % 2 else "/b",
            created=T0 + timedelta(minutes=i),
            status="error" if i % 3 == 0 else "success",
            metrics={"mem_usage": (i + 1) * 1024 * 1024, "cpu_total": 10 * i},
        )
        for i in range(6)
    ]


def test_it_lists_calls_newest_first(client, calls):
    response = client.get("/apps/myapp/calls/")
    assert response.status_code == 200
    assert listed(response) == [call.id for call in reversed(calls)]
    html = response.content.decode()
    assert f'href="/apps/myapp/calls/{calls[0].id}/"' in html
    assert '<span class="badge badge-error">error</span>' in html
    assert "6.0 MiB" in html
    assert "50.0 %" in html
    assert "995\u00a0ms" in html


def test_it_filters_by_path_and_status(client, calls):
    response = client.get("/apps/myapp/calls/", {"path": "/b", "status": "error"})
    assert listed(response) == [calls[0].id]
    response = client.get("/apps/myapp/calls/", {"status": "success"})
    assert listed(response) == [calls[5].id, calls[4].id, calls[2].id, calls[1].id]


def test_it_filters_by_creation_time_exclusively(client, calls):
    response = client.get(
        "/apps/myapp/calls/", {"since": "2017-11-27T14:53", "until": "2017-11-27T14:56"}
    )
    # created 14:52:53 + i minutes: 14:53:53, 14:54:53, 14:55:53
    assert listed(response) == [calls[3].id, calls[2].id, calls[1].id]


def test_it_keeps_filters_in_the_form(client, calls):
    html = client.get("/apps/myapp/calls/", {"path": "/a", "status": "error"}).content.decode()
    assert '<option value="/a" selected>/a</option>' in html
    assert '<option value="error" selected>Error</option>' in html
    assert 'href="/apps/myapp/calls/">Reset</a>' in html


@pytest.mark.parametrize(
    "query",
    [
        {"status": "sleeping"},
        {"path": "/nowhere"},
        {"since": "yesterday"},
        {"since": "2017-11-27T15:00", "until": "2017-11-27T14:00"},
        {"cursor": "a\x00b"},
        {"until": "0001-01-01T00:30"},
    ],
)
def test_it_rejects_bad_filters(client, calls, query):
    response = client.get("/apps/myapp/calls/", query)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert listed(response) == []


def test_it_summarizes_each_path_of_the_window(client, calls):
    response = client.get("/apps/myapp/calls/", {"since": "2017-11-27T14:53"})
    html = response.content.decode()
    assert "created after 2017-11-27 14:53" in html
    by_path = html[html.index('id="by-path"') : html.index('id="calls"')]
    span = "since=2017-11-27T14%3A53"
    assert f'<a href="?{span}&amp;path=%2Fa">3</a>' in by_path
    assert f'<a href="?{span}&amp;path=%2Fb">2</a>' in by_path
    assert f'<a class="badge badge-error" href="?{span}&amp;path=%2Fa&amp;status=error">' in by_path


def test_it_summarizes_the_last_24_hours_when_no_start_is_chosen(client, make_call):
    now = timezone.now()
    make_call(path="/recent", created=now - timedelta(hours=23))
    old = make_call(path="/old", created=now - timedelta(hours=25))
    response = client.get("/apps/myapp/calls/")
    html = response.content.decode()
    by_path = html[html.index('id="by-path"') : html.index('id="calls"')]
    assert "(24 hours from the hour; pick another span above)" in by_path
    assert 'href="?window=24h&amp;path=%2Frecent"' in by_path
    assert "/recent</a>" in by_path
    assert "/old</a>" not in by_path
    assert old.id in listed(response)  # the list itself is not limited to the span
    until = (now - timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M")
    by_path = client.get("/apps/myapp/calls/", {"until": until}).content.decode()
    assert "/old</a>" in by_path  # 24 hours before "Created before"
    # From the hour, as a 24-hour chart's first bucket.
    day_before = (now - timedelta(hours=48)).strftime("%Y-%m-%dT%H%%3A00%%3A00")
    assert f'href="?since={day_before}&' in by_path
    assert "/recent</a>" not in by_path


def test_it_pages_by_id_without_offset(client, make_call):
    made = [make_call(created=T0 + timedelta(seconds=i)) for i in range(PER_PAGE + 5)]
    newest_first = [call.id for call in reversed(made)]
    with CaptureQueriesContext(connection) as queries:
        first = client.get("/apps/myapp/calls/")
    assert listed(first) == newest_first[:PER_PAGE]
    assert f"cursor={newest_first[PER_PAGE - 1]}" in first.content.decode()
    assert "Newer" not in first.content.decode()
    assert not any("OFFSET" in query["sql"].upper() for query in queries)

    second = client.get("/apps/myapp/calls/", {"cursor": newest_first[PER_PAGE - 1]})
    assert listed(second) == newest_first[PER_PAGE:]
    assert "Older" not in second.content.decode()
    assert f"after={newest_first[PER_PAGE]}" in second.content.decode()

    back = client.get("/apps/myapp/calls/", {"after": newest_first[PER_PAGE]})
    assert listed(back) == newest_first[:PER_PAGE]
    assert "Newer" not in back.content.decode()


def test_it_keeps_filters_across_pages(client, make_call):
    for i in range(PER_PAGE + 1):
        make_call(created=T0 + timedelta(seconds=i), status="error")
    html = client.get("/apps/myapp/calls/", {"status": "error"}).content.decode()
    assert re.search(r'href="\?status=error&amp;cursor=\w+" rel="next"', html)


def test_it_never_loads_stats_error_or_log(client, make_call):
    make_call(stats=[{"timestamp": "2017-11-27T14:52:54.000Z", "metrics": {"cpu_total": 1}}])
    with CaptureQueriesContext(connection) as queries:
        client.get("/apps/myapp/calls/")
    page_query = next(q["sql"] for q in queries if "peak_cpu_total" in q["sql"])
    assert not re.search(r"\bstats\b", page_query)
    # The error's start only, for its first line.
    start = r"(?i)SUBSTR(ING)?\([^)]*\)"  # SUBSTRING on PostgreSQL
    assert re.search(start, page_query)
    assert not re.search(r"\berror\b", re.sub(start, "", page_query))
    assert not any("calllog" in query["sql"] for query in queries)


def test_it_takes_the_same_queries_however_long_the_list(
    client, make_call, django_assert_num_queries
):
    make_call()
    with django_assert_num_queries(4):
        client.get("/apps/myapp/calls/")
    for i in range(30):
        make_call(path=f"/p{i % 4}", created=T0 + timedelta(seconds=i + 1))
    with django_assert_num_queries(4):
        client.get("/apps/myapp/calls/")


def test_it_explains_how_to_ingest_into_an_empty_app(client, make_call):
    make_call().delete()
    html = client.get("/apps/myapp/calls/").content.decode()
    assert "No calls in this app yet" in html
    assert "/v1/apps/myapp/calls" in html
    assert "create_api_token" in html


def test_it_says_when_no_call_matches(client, calls):
    html = client.get("/apps/myapp/calls/", {"since": "2030-01-01T00:00"}).content.decode()
    assert "No calls match these filters" in html


def test_it_answers_404_for_an_unknown_app(client):
    assert client.get("/apps/nope/calls/").status_code == 404
    assert client.get("/apps/a%00b/calls/").status_code == 404


def test_it_asks_for_login_when_reads_need_it(client, admin_client, calls, settings):
    settings.READ_REQUIRES_LOGIN = True
    response = client.get("/apps/myapp/calls/?status=error")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=/apps/myapp/calls/")
    assert admin_client.get("/apps/myapp/calls/").status_code == 200


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"since": "garbage"}, "Created after (UTC): Enter a valid date/time."),
        ({"since": "9999-12-31T23:59:59-14:00"}, "Created after (UTC): Enter a time before"),
        ({"until": "9999-12-31T23:59:59-14:00"}, "Created before (UTC): Enter a time before"),
        ({"status": "sleeping"}, "Status: must be one of success, error, timeout"),
        ({"window": "5y"}, "Created in the last: Select a valid choice."),
        ({"window": "1h", "since": "2017-11-27T14:53"}, "“Created in the last” or times"),
    ],
)
def test_it_shows_a_bad_filter_with_its_label_and_searches_nothing(client, calls, query, message):
    response = client.get("/apps/myapp/calls/", query)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "Nothing was searched" in html
    for shown_only_after_a_search in ("By path", "Tick 2", "No calls", "created after"):
        assert shown_only_after_a_search not in html
    if (field := next(iter(query))) != "window" or len(query) == 1:
        assert re.search(rf'<[^>]+name="{field}"[^>]*aria-invalid="true"', html)


def test_it_filters_by_several_statuses_or_failed(client, make_call):
    made = {
        status: make_call(status=status, created=T0 + timedelta(seconds=i))
        for i, status in enumerate(["error", "timeout", "cancelled", "success"])
    }
    failed = client.get("/apps/myapp/calls/", {"status": "failed"})
    assert listed(failed) == [made["timeout"].id, made["error"].id]
    assert '<option value="failed" selected>' in failed.content.decode()
    several = client.get("/apps/myapp/calls/", {"status": "cancelled,error"})
    assert listed(several) == [made["cancelled"].id, made["error"].id]
    assert '<option value="cancelled,error" selected>cancelled, error</option>' in (
        several.content.decode()
    )


def test_it_lists_the_calls_of_a_window_and_links_the_other_spans(client, make_call):
    now = timezone.now()
    recent = make_call(status="error", created=now - timedelta(minutes=30))
    make_call(status="error", created=now - timedelta(hours=3))
    response = client.get("/apps/myapp/calls/", {"status": "error", "window": "1h"})
    assert listed(response) == [recent.id]
    html = response.content.decode()
    assert "1 of 1" in html
    assert '<a href="?status=error&amp;window=1h" aria-current="true">1h</a>' in html
    assert '<a href="?status=error&amp;window=7d">7d</a>' in html
    assert '<a href="?status=error">any time</a>' in html
    assert f'href="/apps/myapp/calls/{recent.id}/?window=1h"' in html  # carried on


def test_it_counts_the_calls_matched_exactly_or_says_at_least(client, make_call):
    now = timezone.now()
    for i in range(PER_PAGE + 2):
        make_call(created=now - timedelta(days=3, seconds=i))
    make_call(created=now - timedelta(hours=1))
    make_call(created=now - timedelta(hours=2))
    whole = client.get("/apps/myapp/calls/").content.decode()
    assert f"{PER_PAGE} of at least {PER_PAGE + 1} (those of the span above" in whole
    week = client.get("/apps/myapp/calls/", {"window": "7d"}).content.decode()
    assert f"{PER_PAGE} of {PER_PAGE + 4}" in week
    older = client.get("/apps/myapp/calls/", {"until": (now - timedelta(days=1)).isoformat()})
    assert f"{PER_PAGE} of at least {PER_PAGE + 1}" in older.content.decode()
    day = client.get("/apps/myapp/calls/", {"window": "24h"}).content.decode()
    assert "2 of 2" in day


def test_it_shows_the_first_line_of_each_error(client, make_call):
    make_call(status="error", error="container exited with code 1\nstack trace\n")
    make_call(status="timeout", error="x" * 500, created=T0 + timedelta(seconds=1))
    html = client.get("/apps/myapp/calls/").content.decode()
    assert "container exited with code 1 …</td>" in html
    assert f"{'x' * 79}…</td>" in html
