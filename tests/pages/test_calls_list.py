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
    assert "995 ms" in html


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
    assert re.search(r"/a</a></th>\s*<td class=\"num\">3</td>", by_path)
    assert re.search(r"/b</a></th>\s*<td class=\"num\">2</td>", by_path)
    assert '<span class="badge badge-error">error 1</span>' in by_path


def test_it_summarizes_the_last_24_hours_when_no_start_is_chosen(client, make_call):
    now = timezone.now()
    make_call(path="/recent", created=now - timedelta(hours=23))
    old = make_call(path="/old", created=now - timedelta(hours=25))
    response = client.get("/apps/myapp/calls/")
    html = response.content.decode()
    by_path = html[html.index('id="by-path"') : html.index('id="calls"')]
    assert "(24 hours; set “Created after” for another span)" in by_path
    assert "/recent</a>" in by_path
    assert "/old</a>" not in by_path
    assert old.id in listed(response)  # the list itself is not limited to the span
    until = (now - timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M")
    by_path = client.get("/apps/myapp/calls/", {"until": until}).content.decode()
    assert "/old</a>" in by_path  # 24 hours before "Created before"
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
    assert not re.search(r"\berror\b", page_query)
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
