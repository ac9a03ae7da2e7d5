"""`manage.py import_fn_calls`: from a real database laid out exactly like Fn's.

Always against a SQLite file; against PostgreSQL or MariaDB too when the suite runs on them
(the Fn tables then live beside ours in the test database).
"""

import json
import sqlite3

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from calls.models import App, Call

# Fn's DDL at c9198b8525 plus migration 3 (`error`), the same on every database.
FN_TABLES = [
    """CREATE TABLE calls (created_at varchar(256) NOT NULL, started_at varchar(256) NOT NULL,
       completed_at varchar(256) NOT NULL, status varchar(256) NOT NULL,
       id varchar(256) NOT NULL, app_name varchar(256) NOT NULL, path varchar(256) NOT NULL,
       stats text, error text, PRIMARY KEY (id))""",
    """CREATE TABLE logs (id varchar(256) NOT NULL PRIMARY KEY, app_name varchar(256) NOT NULL,
       log text NOT NULL)""",
]
STATS = [
    {"timestamp": "2017-11-27T08:52:53.123-06:00", "metrics": {"cpu_total": 3, "mem_usage": 7}},
    {"timestamp": "2017-11-27T08:52:54.123-06:00", "metrics": {"cpu_total": 5, "mem_usage": 9}},
]
# (id, app, path, status, stats text, error); times in Fn's layout with a local offset.
FN_ROWS = [
    ("01BZYZEWG3M7WG200000000000", "myapp", "/hello", "success", json.dumps(STATS) + "\n", ""),
    ("01BZYZEWG3M7WG300000000000", "myapp", "/hello", "error", "", "container exited"),
    ("01BZYZEWG3M7WG400000000000", "other", "/slow", "timeout", None, None),
]


def fill(cursor, mark):
    for statement in FN_TABLES:
        cursor.execute(statement)
    for call_id, app, path, status, stats, error in FN_ROWS:
        cursor.execute(
            f"INSERT INTO calls VALUES ({', '.join([mark] * 9)})",
            ["2017-11-27T08:52:53.000-06:00", "2017-11-27T08:52:53.100-06:00",
             "2017-11-27T08:52:55.500-06:00", status, call_id, app, path, stats, error],
        )  # fmt: skip
        cursor.execute(
            f"INSERT INTO logs VALUES ({mark}, {mark}, {mark})", [call_id, app, f"log of {call_id}"]
        )


def check_imported():
    first, second, third = (Call.objects.get(pk=row[0]) for row in FN_ROWS)
    assert (first.app_id, first.path, first.status) == ("myapp", "/hello", "success")
    assert first.created_at.isoformat() == "2017-11-27T14:52:53+00:00"
    assert first.duration.total_seconds() == 2.4
    assert first.stats == [
        {"timestamp": "2017-11-27T14:52:53.123Z", "metrics": {"cpu_total": 3, "mem_usage": 7}},
        {"timestamp": "2017-11-27T14:52:54.123Z", "metrics": {"cpu_total": 5, "mem_usage": 9}},
    ]
    assert first.peak_mem_usage == 9
    assert first.log.text == f"log of {first.id}"
    assert (second.stats, second.error) == ([], "container exited")
    assert (third.app_id, third.status, third.stats) == ("other", "timeout", [])


@pytest.fixture
def fn_sqlite(tmp_path):
    path = tmp_path / "fn.db"
    with sqlite3.connect(path) as db:
        fill(db.cursor(), "?")
    db.close()
    return path


@pytest.mark.django_db
def test_it_imports_calls_and_logs_from_fns_sqlite_database(fn_sqlite, capsys):
    call_command("import_fn_calls", "--from", f"sqlite3://{fn_sqlite}")
    check_imported()
    assert "3 calls imported, 0 already present, 0 failed" in capsys.readouterr().out


@pytest.mark.django_db
def test_it_imports_incrementally_with_since_and_a_state_file(fn_sqlite, tmp_path, capsys):
    state = tmp_path / "last-id"
    call_command(
        "import_fn_calls", "--from", f"sqlite:///{fn_sqlite}", "--since", FN_ROWS[0][0],
        "--state-file", str(state), "--batch-size", "1",
    )  # fmt: skip
    assert sorted(Call.objects.values_list("id", flat=True)) == [FN_ROWS[1][0], FN_ROWS[2][0]]
    assert state.read_text() == FN_ROWS[2][0] + "\n"
    with sqlite3.connect(fn_sqlite) as db:
        db.execute(
            "UPDATE calls SET id = '01BZYZEWG3M7WG500000000000' WHERE id = ?", [FN_ROWS[0][0]]
        )
        db.execute(
            "UPDATE logs SET id = '01BZYZEWG3M7WG500000000000' WHERE id = ?", [FN_ROWS[0][0]]
        )
    db.close()
    capsys.readouterr()
    call_command("import_fn_calls", "--from", f"sqlite:///{fn_sqlite}", "--state-file", str(state))
    assert "1 calls imported" in capsys.readouterr().out
    assert Call.objects.count() == 3


@pytest.mark.django_db
def test_it_reports_rows_it_cannot_import_and_imports_the_rest(fn_sqlite, capsys):
    with sqlite3.connect(fn_sqlite) as db:
        db.execute("UPDATE calls SET created_at = 'yesterday' WHERE id = ?", [FN_ROWS[1][0]])
    db.close()
    with pytest.raises(CommandError, match="1 call"):
        call_command("import_fn_calls", "--from", f"sqlite3://{fn_sqlite}")
    assert (
        f"call {FN_ROWS[1][0]}: {FN_ROWS[1][0]}.created_at: 'yesterday'" in capsys.readouterr().err
    )
    assert Call.objects.count() == 2


@pytest.mark.django_db
def test_it_imports_the_rest_when_a_call_id_is_stored_in_another_app(fn_sqlite, tmp_path, capsys):
    App.objects.create(name="elsewhere")
    Call.objects.create(id=FN_ROWS[0][0], app_id="elsewhere", path="/", status="success",
                        created_at=timezone.now())  # fmt: skip
    state = tmp_path / "last-id"
    with pytest.raises(CommandError, match="1 call"):
        call_command("import_fn_calls", "--from", f"sqlite3://{fn_sqlite}", "--state-file", state)
    assert f"call {FN_ROWS[0][0]}: Call {FN_ROWS[0][0]} is stored in another app" in (
        capsys.readouterr().err
    )
    assert Call.objects.filter(app_id="myapp").count() == 1
    assert Call.objects.filter(app_id="other").count() == 1
    assert state.read_text() == FN_ROWS[2][0] + "\n"


def test_it_says_what_is_wrong_with_the_source():
    with pytest.raises(CommandError, match="No SQLite database at /nonexistent/fn.db"):
        call_command("import_fn_calls", "--from", "sqlite3:///nonexistent/fn.db")
    with pytest.raises(CommandError, match="Cannot connect to Fn's database"):
        call_command("import_fn_calls", "--from", "postgres://nobody@127.0.0.1:1/fn")


@pytest.mark.django_db(transaction=True)
def test_it_imports_from_fns_tables_on_the_suites_own_database(capsys):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite is covered by the tests above; this one runs on PostgreSQL/MariaDB")
    settings = connection.settings_dict
    scheme = {"postgresql": "postgres", "mysql": "mysql"}[connection.vendor]
    url = f"{scheme}://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    with connection.cursor() as cursor:
        fill(cursor, "%s")
    try:
        call_command("import_fn_calls", "--from", url)
        check_imported()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE calls")
            cursor.execute("DROP TABLE logs")
