"""`purge_calls`: old calls and their logs go, in batches of one DELETE each; everything else
stays."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from calls import retention
from calls.models import App, Call, CallLog
from tests.conftest import deletes_from


@pytest.fixture
def aged(make_call):
    """`aged(days, **fields)` stores a call created that many days ago, with a log."""

    def make(days: int, **fields) -> Call:
        call = make_call(created=timezone.now() - timedelta(days=days), **fields)
        CallLog.objects.create(call=call, text="hello\n")
        return call

    return make


def purge(*args) -> str:
    out = StringIO()
    call_command("purge_calls", *args, stdout=out)
    return out.getvalue()


def remaining() -> set[str]:
    return set(Call.objects.values_list("path", flat=True))


def test_it_deletes_calls_older_than_the_given_days_with_their_logs(aged):
    aged(40, path="/old")
    aged(31, path="/old")
    aged(29, path="/new")
    output = purge("--older-than", "30d")
    assert remaining() == {"/new"}
    assert CallLog.objects.count() == 1
    assert App.objects.filter(name="myapp").exists()  # apps stay
    assert "Deleted 2 calls created before" in output


def test_it_takes_plain_numbers_of_days(aged):
    aged(40, path="/old")
    purge("--older-than", "30")
    assert remaining() == set()


def test_it_deletes_only_the_given_apps_calls(aged):
    aged(40, app="keep", path="/kept")
    aged(40, app="drop", path="/dropped")
    purge("--older-than", "30d", "--app", "drop")
    assert remaining() == {"/kept"}


def test_it_deletes_only_calls_in_the_given_status(aged):
    aged(40, path="/failed", status="error")
    aged(40, path="/fine", status="success")
    purge("--older-than", "30d", "--status", "error")
    assert remaining() == {"/fine"}


def test_it_only_counts_on_a_dry_run(aged):
    aged(40, path="/old")
    aged(35, path="/old")
    aged(1, path="/new")
    output = purge("--older-than", "30d", "--dry-run")
    assert output.startswith("2 calls created before")
    assert remaining() == {"/old", "/new"}
    assert Call.objects.count() == 3


def test_it_deletes_in_batches_deleting_from_each_table_once(aged):
    for days in range(40, 45):
        aged(days)
    with CaptureQueriesContext(connection) as queries:
        output = purge("--older-than", "30d", "--batch-size", "2")
    assert deletes_from("calls_call", queries) == deletes_from("calls_calllog", queries) == 3
    assert output.splitlines()[:3] == ["deleted 2 calls", "deleted 4 calls", "deleted 5 calls"]
    assert Call.objects.count() == 0
    assert CallLog.objects.count() == 0


def test_it_grows_its_batches_when_none_is_given(aged, monkeypatch):
    monkeypatch.setattr(retention, "FIRST_BATCH", 1)
    monkeypatch.setattr(retention, "BATCH_SECONDS", 3600)  # each batch under it: they double
    for days in range(40, 47):
        aged(days)
    output = purge("--older-than", "30d")
    assert output.splitlines()[:3] == ["deleted 1 calls", "deleted 3 calls", "deleted 7 calls"]
    assert Call.objects.count() == 0


def test_it_deletes_the_oldest_calls_first(aged):
    aged(50, path="/oldest")
    aged(40, path="/older")
    aged(45, path="/old")
    retention.purge(Call.objects.filter(path__in=["/oldest", "/old"]), batch_size=1)
    assert remaining() == {"/older"}


def test_it_applies_the_retention_setting_without_older_than(aged, settings):
    settings.CALLS_RETENTION_DAYS = 7
    aged(8, path="/old")
    aged(6, path="/new")
    purge()
    assert remaining() == {"/new"}


def test_it_needs_older_than_or_the_retention_setting(aged, settings):
    settings.CALLS_RETENTION_DAYS = None
    aged(400)
    with pytest.raises(CommandError, match="Give --older-than DAYS or set CALLS_RETENTION_DAYS"):
        purge()
    assert Call.objects.count() == 1


@pytest.mark.parametrize(
    "args",
    [("--older-than", "a month"), ("--older-than", "30d", "--status", "gone"),
     ("--older-than", "30d", "--batch-size", "0")],
)  # fmt: skip
def test_it_refuses_bad_options(aged, args):
    aged(400)
    with pytest.raises(CommandError):
        purge(*args)
    assert Call.objects.count() == 1


@pytest.mark.parametrize("command", ["purge_calls", "purge_rollups"])
def test_it_refuses_more_days_than_a_date_can_go_back(command, db):
    # A million days back is before year 1: an argument error, not an OverflowError.
    with pytest.raises(CommandError, match="invalid days value: '1000000d'"):
        call_command(command, "--older-than", "1000000d")
