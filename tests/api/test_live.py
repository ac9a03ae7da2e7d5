"""GET /v1/apps/{app}/live: the calls after a cursor and the watched calls as they are now, in
bounded work per poll (EXPLAIN says which index each read goes through)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from calls import ingest, storing
from calls.api.live import LIVE_MAX
from calls.ids import new_id
from calls.models import Call, CallPath
from tests.conftest import T0
from tests.test_admin_plans import full_scans, plan

pytestmark = pytest.mark.django_db
URL = "/v1/apps/myapp/live"


def poll(client, expect=200, **query) -> dict:
    response = client.get(URL, query)
    assert response.status_code == expect, response.content
    return response.json()


def test_it_gives_the_calls_after_the_cursor_newest_first(client, make_call):
    first = make_call(created=T0)
    second = make_call(created=T0 + timedelta(seconds=1), status="error", error="boom\n" * 100)
    third = make_call(created=T0 + timedelta(seconds=2), metrics={"mem_usage": 5, "cpu_total": 7})
    body = poll(client, after=first.id)
    assert body["message"] == "Successfully listed live calls"
    assert [call["id"] for call in body["calls"]] == [third.id, second.id]
    assert body["next_after"] == third.id
    assert body["more"] is False
    assert body["watched"] == []
    newest = body["calls"][0]
    assert newest == {
        **third.to_fn_json(with_stats=False),
        "peak_cpu_total": 7.0,
        "peak_mem_usage": 5.0,
    }
    assert "stats" not in newest
    # The start of the error the list shows, not all of it.
    assert body["calls"][1]["error"] == ("boom\n" * 100)[:200]


def test_it_gives_nothing_new_and_keeps_the_cursor(client, make_call):
    call = make_call()
    assert poll(client, after=call.id) | {"message": ""} == {
        "message": "", "next_after": call.id, "more": False, "calls": [], "watched": []
    }  # fmt: skip


def test_without_a_cursor_every_call_is_new(client, make_call):
    call = make_call()
    body = poll(client)
    assert [row["id"] for row in body["calls"]] == [call.id]
    assert body["next_after"] == call.id


def test_it_shows_a_watched_call_finishing(client, make_call):
    created = T0 + timedelta(seconds=1)
    running = make_call(created=created, status="running", completed_at=None)
    cursor = make_call(created=T0 + timedelta(seconds=2)).id
    body = poll(client, after=cursor, watch=running.id)
    assert body["calls"] == []
    assert [(row["id"], row["status"]) for row in body["watched"]] == [(running.id, "running")]
    assert body["watched"][0]["completed_at"] == "0001-01-01T00:00:00.000Z"

    # The finished report arrives as the API's ingest would store it.
    report = {
        "id": running.id, "status": "success", "path": "/hello",
        "created_at": "2017-11-27T14:52:54.123Z", "started_at": "2017-11-27T14:52:54.200Z",
        "completed_at": "2017-11-27T14:52:56.000Z",
    }  # fmt: skip
    storing.store("myapp", [ingest.parse_call("myapp", report, "call")])
    [finished] = poll(client, after=cursor, watch=running.id)["watched"]
    assert (finished["status"], finished["completed_at"]) == ("success", report["completed_at"])


def test_it_gives_watched_calls_of_this_app_only_whatever_the_filters(client, make_call):
    mine = make_call(status="queued", started_at=None, completed_at=None)
    other = make_call(app="otherapp")
    body = poll(client, after=mine.id, watch=f"{mine.id},{other.id},NOSUCHCALL", status="error")
    assert [row["id"] for row in body["watched"]] == [mine.id]


def test_it_honours_the_path_and_status_filters(client, make_call):
    cursor = make_call(created=T0).id
    make_call(created=T0 + timedelta(seconds=1), path="/other", status="error")
    wanted = make_call(created=T0 + timedelta(seconds=2), status="timeout")
    newest = make_call(created=T0 + timedelta(seconds=3), status="success")
    body = poll(client, after=cursor, path="/hello", status="failed")
    assert [row["id"] for row in body["calls"]] == [wanted.id]
    # Past the calls read that do not match, so the next poll starts after them.
    assert body["next_after"] == newest.id


def test_it_reads_at_most_a_pages_worth_and_says_there_is_more(client, make_call):
    cursor = make_call(created=T0).id
    for second in range(1, LIVE_MAX + 3):
        make_call(created=T0 + timedelta(seconds=second))
    body = poll(client, after=cursor)
    assert body["more"] is True
    assert len(body["calls"]) == LIVE_MAX
    newest = Call.objects.order_by("-id").first().id
    assert (body["calls"][0]["id"], body["next_after"]) == (newest, newest)
    assert poll(client, after=newest)["more"] is False


def test_it_counts_calls_of_other_statuses_towards_the_cap(client, make_call):
    cursor = make_call(created=T0).id
    for second in range(1, LIVE_MAX + 2):
        make_call(created=T0 + timedelta(seconds=second))
    body = poll(client, after=cursor, status="error")
    assert (body["calls"], body["more"]) == ([], True)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"after": "a b"}, "after is not a call id"),
        ({"after": "x" * 256}, "after is not a call id"),
        ({"watch": "A,,B"}, "watch must be call ids separated by commas"),
        ({"watch": "A,B/C"}, "watch must be call ids separated by commas"),
        ({"watch": ",".join(["A"] * (LIVE_MAX + 1))}, f"watch must name at most {LIVE_MAX} calls"),
        ({"status": "exploded"}, f"status {Call.STATUS_FILTER_RULE}"),
        ({"after": "a\x00b"}, "after must not contain NUL characters"),
    ],
)
def test_it_refuses_bad_input_in_fns_error_shape(client, make_call, query, message):
    make_call()
    assert poll(client, expect=400, **query) == {"error": {"message": message}}


def test_it_answers_fns_404_for_an_unknown_app(client):
    assert poll(client, expect=404) == {"error": {"message": "App not found"}}
    response = client.get("/v1/apps/nope/live", {"after": "A"})
    assert response.json() == {"error": {"message": "App not found"}}


def test_a_poll_costs_at_most_three_queries(client, make_call, django_assert_num_queries):
    call = make_call(status="running", completed_at=None)
    with django_assert_num_queries(3):  # calls after, watched, and the app when both are empty
        poll(client, after=call.id, watch="A")
    with django_assert_num_queries(2):
        poll(client, after=call.id, watch=call.id)


def test_it_needs_read_access_as_the_other_reads_do(client, make_call, settings):
    make_call()
    settings.READ_REQUIRES_LOGIN = True
    assert client.get(URL).status_code in (401, 403)


# ANALYZE commits on MariaDB, so this test cannot live inside a rolled-back transaction.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("query", "indexes"),
    [
        ({}, {"call_app_id"}),
        ({"path": "/path2", "status": "error"}, {"call_app_path_id"}),
    ],
)
def test_each_poll_reads_through_an_index(client, analyze_calls, query, indexes):
    """Constant work: a range of (app, id) or (app, path, id) after the cursor, LIMIT 51, and
    the watched calls by primary key, never a scan of the table or of a status."""
    for app in range(20):
        CallPath.record(f"app{app}", {f"/path{n}" for n in range(7)})
    Call.objects.bulk_create(
        Call(id=new_id(at=T0 + timedelta(minutes=i)), app_id=f"app{i % 20}",
             path=f"/path{i % 7}", status="error" if i % 20 == 3 else "success",
             created_at=T0 + timedelta(minutes=i))
        for i in range(6000)
    )  # fmt: skip
    analyze_calls()
    # Far back (a tab paused for a while): the LIMIT, not the cursor, bounds the read.
    cursor = Call.objects.filter(app_id="app3").order_by("-id")[200].id
    with CaptureQueriesContext(connection) as queries:
        response = client.get(
            "/v1/apps/app3/live", {"after": cursor, "watch": f"{cursor},A", **query}
        )
        assert response.status_code == 200
    after, watched = [q["sql"] for q in queries if '"calls_call"' in q["sql"].replace("`", '"')]
    for sql in (after, watched):
        assert not full_scans(plan(sql)), (sql, plan(sql))
    assert any(index in line for line in plan(after) for index in indexes), plan(after)
    assert f"LIMIT {LIVE_MAX + 1}" in after
    # By primary key, or by (app, id) with both columns given (SQLite's choice).
    keys = ("pkey", "PRIMARY", "autoindex", "call_app_id (app_name=? AND id=?)")
    assert any(key in line for line in plan(watched) for key in keys), plan(watched)
