"""The admin's two ways to delete calls, in the batches purge_calls uses: "Delete selected
calls" and "Delete calls older than…" (a count first, then a confirmation)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from calls.models import Call, CallLog
from tests.conftest import deletes_from

LIST = "/admin/calls/call/"
PURGE = "/admin/calls/call/purge/"



def calls_sql(queries) -> list[str]:
    return [q["sql"] for q in queries if "calls_call" in q["sql"]]


def test_it_deletes_selected_calls_with_one_delete_per_table(admin_client, make_call):
    doomed = [make_call(path="/doomed") for _ in range(3)]
    make_call(path="/kept")
    for call in doomed:
        CallLog.objects.create(call=call, text="bye")
    assert 'value="delete_selected"' not in admin_client.get(LIST).content.decode()
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.post(
            LIST,
            {"action": "delete_selected_calls", "_selected_action": [c.pk for c in doomed]},
        )
    assert response.status_code == 302
    assert set(Call.objects.values_list("path", flat=True)) == {"/kept"}
    assert not CallLog.objects.exists()
    assert deletes_from("calls_call", queries) == deletes_from("calls_calllog", queries) == 1


def test_it_counts_the_calls_older_than_asked_before_deleting(admin_client, make_call):
    now = timezone.now()
    make_call(path="/old", created=now - timedelta(days=40))
    make_call(path="/old", created=now - timedelta(days=31))
    make_call(path="/new", created=now - timedelta(days=2))
    assert "Delete calls older than…" in admin_client.get(LIST).content.decode()
    html = admin_client.get(PURGE, {"days": 30}).content.decode()
    assert "2 calls created before" in html
    assert Call.objects.count() == 3
    assert "1 call created before" in admin_client.get(PURGE, {"days": 35}).content.decode()


def test_it_starts_from_the_retention_setting(admin_client, make_call, settings):
    settings.CALLS_RETENTION_DAYS = 7
    make_call(created=timezone.now() - timedelta(days=8))
    html = admin_client.get(PURGE).content.decode()
    assert 'value="7"' in html
    assert "1 call created before" in html


def test_it_deletes_the_calls_older_than_confirmed(admin_client, make_call):
    now = timezone.now()
    old = make_call(path="/old", created=now - timedelta(days=40))
    CallLog.objects.create(call=old, text="bye")
    make_call(path="/new", created=now - timedelta(days=2))
    response = admin_client.post(PURGE, {"days": 30}, follow=True)
    assert response.redirect_chain[-1][0] == LIST
    assert "Deleted 1 calls created before" in response.content.decode()
    assert set(Call.objects.values_list("path", flat=True)) == {"/new"}
    assert not CallLog.objects.exists()


def test_it_refuses_a_bad_number_of_days(admin_client, make_call):
    make_call(created=timezone.now() - timedelta(days=40))
    response = admin_client.post(PURGE, {"days": "0"})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert Call.objects.count() == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_it_refuses_more_days_than_a_date_can_go_back(admin_client, make_call, method):
    make_call(created=timezone.now() - timedelta(days=40))
    response = getattr(admin_client, method)(PURGE, {"days": "1000000"})
    assert response.status_code == 200
    assert "less than or equal to 36500" in response.content.decode()
    assert Call.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own full-disk error")
def test_it_says_why_it_stopped_when_the_database_is_full(admin_client, make_call):
    make_call(created=timezone.now() - timedelta(days=40))
    with connection.cursor() as cursor:
        # Each deleted call writes a page, in a database that may not grow: SQLite's error
        # for a full disk, as the write-ahead log meets it when the disk has no room left.
        cursor.execute("CREATE TABLE filler (data BLOB)")
        cursor.execute(
            "CREATE TRIGGER fill_up AFTER DELETE ON calls_call"
            " BEGIN INSERT INTO filler VALUES (zeroblob(8192)); END"
        )
        [[limit]] = cursor.execute("PRAGMA max_page_count").fetchall()
        cursor.execute("PRAGMA max_page_count = 1")  # as low as it goes: the current size
        try:
            response = admin_client.post(PURGE, {"days": 30}, follow=True)
        finally:
            cursor.execute(f"PRAGMA max_page_count = {limit}")
    assert "Stopped: database or disk is full." in response.content.decode()
    assert Call.objects.count() == 1


def test_it_lets_only_those_who_may_delete_calls_purge(client, make_call):
    staff = User.objects.create_user("viewer", password="x", is_staff=True)
    client.force_login(staff)
    make_call(created=timezone.now() - timedelta(days=40))
    assert client.get(PURGE).status_code == 403
    assert client.post(PURGE, {"days": 30}).status_code == 403
    assert Call.objects.count() == 1
