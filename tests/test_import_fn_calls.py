"""`manage.py import_fn_calls`: from real databases laid out exactly like Fn's, at each release.

Always against SQLite files; against PostgreSQL or MariaDB too when the suite runs on them (the
Fn tables then live beside ours in the test database, written through a connection of their own
as an Fn server's would be). The tables are Fn's own DDL (its sql.go and migrations 3, 10, 16,
18-24 in api/datastore/sql/), the same on the three databases.
"""

import io
import json
import os
import signal
import sqlite3
import threading
import time
from datetime import timedelta

import psycopg
import pymysql
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from calls import fndb
from calls.ids import new_id
from calls.models import App, Call

CALLS_BEFORE_APP_IDS = """CREATE TABLE calls (created_at varchar(256) NOT NULL,
    started_at varchar(256) NOT NULL, completed_at varchar(256) NOT NULL,
    status varchar(256) NOT NULL, id varchar(256) NOT NULL, app_name varchar(256) NOT NULL,
    path varchar(256) NOT NULL, stats text{error}, PRIMARY KEY (id))"""
APPS_BY_NAME = "CREATE TABLE apps (name varchar(256) NOT NULL PRIMARY KEY, config text NOT NULL)"
APPS_WITH_IDS = """CREATE TABLE apps (id varchar(256), name varchar(256) NOT NULL PRIMARY KEY,
    config text NOT NULL, annotations text NOT NULL, syslog_url text, created_at varchar(256),
    updated_at varchar(256))"""
APPS_KEYED_BY_ID = """CREATE TABLE apps (id varchar(256) NOT NULL PRIMARY KEY,
    name varchar(256) NOT NULL UNIQUE, config text NOT NULL, annotations text NOT NULL,
    syslog_url text, created_at varchar(256), updated_at varchar(256))"""
FNS = """CREATE TABLE fns (id varchar(256) NOT NULL PRIMARY KEY, name varchar(256) NOT NULL,
    app_id varchar(256) NOT NULL, image varchar(256) NOT NULL, memory int NOT NULL,
    timeout int NOT NULL, idle_timeout int NOT NULL, config text NOT NULL,
    annotations text NOT NULL, created_at varchar(256) NOT NULL,
    updated_at varchar(256) NOT NULL, CONSTRAINT name_app_id_unique UNIQUE (app_id, name))"""

SCHEMAS = {
    "c9198b8525": [
        APPS_BY_NAME,
        CALLS_BEFORE_APP_IDS.format(error=""),
        """CREATE TABLE logs (id varchar(256) NOT NULL PRIMARY KEY,
           app_name varchar(256) NOT NULL, log text NOT NULL)""",
    ],
    "0.3.205": [  # migration 3: calls.error
        APPS_BY_NAME,
        CALLS_BEFORE_APP_IDS.format(error=", error text"),
        """CREATE TABLE logs (id varchar(256) NOT NULL PRIMARY KEY,
           app_name varchar(256) NOT NULL, log text NOT NULL)""",
    ],
    "0.3.392": [  # migration 10: app_id instead of app_name
        APPS_WITH_IDS,
        """CREATE TABLE calls (created_at varchar(256) NOT NULL,
           started_at varchar(256) NOT NULL, completed_at varchar(256) NOT NULL,
           status varchar(256) NOT NULL, id varchar(256) NOT NULL,
           app_id varchar(256) NOT NULL, path varchar(256) NOT NULL, stats text, error text,
           PRIMARY KEY (id))""",
        """CREATE TABLE logs (id varchar(256) NOT NULL PRIMARY KEY,
           app_id varchar(256) NOT NULL, log text NOT NULL)""",
    ],
    "0.3.563": [  # migrations 16, 18-21: fns, calls.fn_id instead of calls.path
        APPS_KEYED_BY_ID,
        FNS,
        """CREATE TABLE calls (created_at varchar(256) NOT NULL,
           started_at varchar(256) NOT NULL, completed_at varchar(256) NOT NULL,
           status varchar(256) NOT NULL, id varchar(256) NOT NULL, app_id varchar(256),
           fn_id varchar(256), stats text, error text, PRIMARY KEY (id))""",
        """CREATE TABLE logs (id varchar(256) NOT NULL PRIMARY KEY, app_id varchar(256),
           fn_id varchar(256), log text NOT NULL)""",
    ],
    "0.3.689": [APPS_KEYED_BY_ID, FNS],  # migrations 23-24 dropped calls and logs
}
CREATED, STARTED, COMPLETED = (
    "2017-11-27T08:52:53.000-06:00", "2017-11-27T08:52:53.100-06:00",
    "2017-11-27T08:52:55.500-06:00",
)  # fmt: skip


class FnTables:
    """An Fn database at one release, filled the way Fn fills it."""

    def __init__(self, db, url: str, mark: str, version: str):
        self.db, self.url, self.mark, self.version = db, url, mark, version
        self.tables = [statement.split()[2] for statement in SCHEMAS[version]]
        for statement in SCHEMAS[version]:
            self.execute(statement)

    def execute(self, sql: str, params=()) -> None:
        cursor = self.db.cursor()
        cursor.execute(sql.replace("?", self.mark), params)
        self.db.commit()

    def insert(self, table: str, **values) -> None:
        columns = ", ".join(values)
        self.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['?'] * len(values))})",
            list(values.values()),
        )

    def app_id(self, app: str) -> str:
        return f"A{app.upper()}"

    def add_call(self, call_id, app="myapp", path="/hello", status="success", stats="",
                 error="") -> None:  # fmt: skip
        """A call as Fn's InsertCall writes it, creating its app (and function) as needed."""
        times = {"created_at": CREATED, "started_at": STARTED, "completed_at": COMPLETED}
        row = dict(id=call_id, status=status, stats=stats, **times)
        if self.version != "c9198b8525":
            row["error"] = error
        if self.version in ("c9198b8525", "0.3.205"):
            return self.insert("calls", app_name=app, path=path, **row)
        self.ensure_app(app)
        if self.version == "0.3.392":
            return self.insert("calls", app_id=self.app_id(app), path=path, **row)
        fn_id = f"F{app.upper()}{path.strip('/').upper()}"
        if not self.exists("fns", fn_id):
            self.insert("fns", id=fn_id, name=path.strip("/"), app_id=self.app_id(app),
                        image="fnproject/hello", memory=128, timeout=30, idle_timeout=30,
                        config="{}", annotations="{}", created_at=CREATED,
                        updated_at=CREATED)  # fmt: skip
        return self.insert("calls", app_id=self.app_id(app), fn_id=fn_id, **row)

    def ensure_app(self, app: str) -> None:
        if not self.exists("apps", self.app_id(app)):
            self.insert("apps", id=self.app_id(app), name=app, config="{}", annotations="{}")

    def exists(self, table: str, key: str) -> bool:
        cursor = self.db.cursor()
        cursor.execute(f"SELECT 1 FROM {table} WHERE id = {self.mark}", [key])
        return cursor.fetchone() is not None

    def add_log(self, call_id: str, log, app="myapp") -> None:
        """A call's log as Fn's InsertLog writes it, after the call."""
        if self.version in ("c9198b8525", "0.3.205"):
            return self.insert("logs", id=call_id, app_name=app, log=log)
        return self.insert("logs", id=call_id, app_id=self.app_id(app), log=log)

    def drop(self) -> None:
        for table in reversed(self.tables):
            self.execute(f"DROP TABLE {table}")
        self.db.close()


def sqlite_fn_tables(path, version: str) -> FnTables:
    # Shared with the test's "Fn server" thread, one at a time.
    db = sqlite3.connect(path, check_same_thread=False)
    return FnTables(db, f"sqlite3://{path}", "?", version)


def server_fn_tables(version: str) -> FnTables:
    """Fn's tables beside ours in the suite's own PostgreSQL or MariaDB test database."""
    settings = connection.settings_dict
    credentials = {"host": settings["HOST"], "port": int(settings["PORT"]),
                   "user": settings["USER"], "password": settings["PASSWORD"] or ""}  # fmt: skip
    if connection.vendor == "postgresql":
        db = psycopg.connect(dbname=settings["NAME"], **credentials)
        scheme = "postgres"
    else:
        db = pymysql.connect(database=settings["NAME"], **credentials)
        scheme = "mysql"
    url = f"{scheme}://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    return FnTables(db, url, "%s", version)


@pytest.fixture(params=["sqlite", "server"])
def fn_tables(request, tmp_path):
    """`fn_tables(version)`: Fn's tables at that release in a SQLite file, then (a second run
    of the test) in the suite's own database when that is PostgreSQL or MariaDB."""
    if request.param == "server" and connection.vendor == "sqlite":
        pytest.skip("the suite runs on SQLite; the SQLite run covers it")
    made = []

    def make(version: str = "0.3.205") -> FnTables:
        if request.param == "sqlite":
            made.append(sqlite_fn_tables(tmp_path / f"fn-{len(made)}.db", version))
        else:
            made.append(server_fn_tables(version))
        return made[-1]

    yield make
    for tables in made:
        tables.drop()


STATS = [
    {"timestamp": "2017-11-27T08:52:53.123-06:00", "metrics": {"cpu_total": 3, "mem_usage": 7}},
    {"timestamp": "2017-11-27T08:52:54.123-06:00", "metrics": {"cpu_total": 5, "mem_usage": 9}},
]
IDS = [f"01BZYZEWG3M7WG{n}00000000000" for n in range(2, 10)]


def run(fn: FnTables, *args, state=None) -> tuple[str, str]:
    """One import run; its stdout (the report line) and its stderr."""
    extra = ["--state-file", str(state)] if state else []
    out, err = io.StringIO(), io.StringIO()
    call_command("import_fn_calls", "--from", fn.url, *extra, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("version", ["c9198b8525", "0.3.205", "0.3.392", "0.3.563"])
def test_it_imports_calls_and_logs_from_every_fn_schema_with_calls(fn_tables, version):
    fn = fn_tables(version)
    fn.add_call(IDS[0], stats=json.dumps(STATS) + "\n", error="")
    fn.add_call(IDS[1], status="error", error="container exited")
    fn.add_call(IDS[2], app="other", path="/slow", status="timeout", stats=None)
    for call_id, app in ((IDS[0], "myapp"), (IDS[1], "myapp"), (IDS[2], "other")):
        fn.add_log(call_id, f"log of {call_id}", app=app)
    out, _ = run(fn)
    assert out.startswith("3 calls imported, 3 logs (0 with bytes replaced), 0 failed")
    first, second, third = (Call.objects.get(pk=call_id) for call_id in IDS[:3])
    # From 0.3.563 on, Fn keeps the function instead of the path: its name stands there.
    path = "hello" if version == "0.3.563" else "/hello"
    assert (first.app_id, first.path, first.status) == ("myapp", path, "success")
    assert first.created_at.isoformat() == "2017-11-27T14:52:53+00:00"
    assert first.duration.total_seconds() == 2.4
    assert first.stats == [
        {"timestamp": "2017-11-27T14:52:53.123Z", "metrics": {"cpu_total": 3, "mem_usage": 7}},
        {"timestamp": "2017-11-27T14:52:54.123Z", "metrics": {"cpu_total": 5, "mem_usage": 9}},
    ]
    assert first.log.text == f"log of {IDS[0]}"
    assert second.error == ("" if version == "c9198b8525" else "container exited")
    assert (third.app_id, third.status, third.stats) == ("other", "timeout", [])
    assert third.path == ("slow" if version == "0.3.563" else "/slow")


@pytest.mark.django_db
def test_it_says_when_fn_keeps_no_calls(fn_tables):
    fn = fn_tables("0.3.689")
    with pytest.raises(CommandError, match="no calls table: Fn 0.3.689 and later keep no calls"):
        run(fn)


@pytest.mark.django_db
def test_it_imports_a_call_written_after_newer_ones_were_imported(fn_tables, tmp_path):
    fn = fn_tables()
    state = tmp_path / "newest-id"
    fn.add_call(IDS[0])
    fn.add_call(IDS[2])
    run(fn, state=state)
    assert state.read_text() == IDS[2] + "\n"
    fn.add_call(IDS[1])  # a longer call that arrived before IDS[2] and finished after it
    out, _ = run(fn, state=state)
    assert out.startswith("1 calls imported")
    assert Call.objects.filter(pk=IDS[1]).exists()
    assert state.read_text() == IDS[2] + "\n"
    out, _ = run(fn, state=state)
    assert out.startswith("0 calls imported, 0 logs (0 with bytes replaced), 0 failed")
    assert Call.objects.count() == 3


@pytest.mark.django_db
def test_it_reads_back_only_as_far_as_the_window(fn_tables, tmp_path):
    fn = fn_tables()
    state = tmp_path / "newest-id"
    now = timezone.now()
    newest, late = new_id(at=now), new_id(at=now - timedelta(minutes=2))
    fn.add_call(newest)
    run(fn, state=state)
    fn.add_call(late)
    out, _ = run(fn, "--window", "1m", state=state)
    assert out.startswith("0 calls imported")
    out, _ = run(fn, "--window", "5m", state=state)
    assert out.startswith("1 calls imported")


@pytest.mark.django_db
def test_it_imports_a_log_written_after_its_call_was_imported(fn_tables, tmp_path):
    fn = fn_tables()
    state = tmp_path / "newest-id"
    fn.add_call(IDS[0])
    run(fn, state=state)
    assert not hasattr(Call.objects.get(pk=IDS[0]), "log")
    fn.add_log(IDS[0], "written after the call\n")
    out, _ = run(fn, state=state)
    assert out.startswith("0 calls imported, 1 logs")
    assert Call.objects.get(pk=IDS[0]).log.text == "written after the call\n"
    out, _ = run(fn, state=state)
    assert out.startswith("0 calls imported, 0 logs")


@pytest.mark.django_db
def test_it_validates_app_names_reports_bad_rows_and_moves_on(fn_tables, tmp_path):
    fn = fn_tables()
    state = tmp_path / "newest-id"
    fn.add_call(IDS[0], app="bad/app")
    fn.add_call(IDS[1])
    fn.add_call(IDS[2], stats="{not json")
    with pytest.raises(CommandError, match="2 call"):
        run(fn, "--batch-size", "2", state=state)
    assert list(Call.objects.values_list("pk", flat=True)) == [IDS[1]]
    assert not App.objects.filter(name="bad/app").exists()
    assert state.read_text() == IDS[2] + "\n"


@pytest.mark.django_db
def test_it_reports_rows_it_cannot_import_and_imports_the_rest(fn_tables, capsys):
    fn = fn_tables()
    fn.add_call(IDS[0])
    fn.add_call(IDS[1])
    fn.execute("UPDATE calls SET created_at = 'yesterday' WHERE id = ?", [IDS[1]])
    with pytest.raises(CommandError, match="1 call"):
        call_command("import_fn_calls", "--from", fn.url)
    assert f"call {IDS[1]}: {IDS[1]}.created_at: 'yesterday'" in capsys.readouterr().err
    assert Call.objects.count() == 1


@pytest.mark.django_db
def test_it_imports_the_rest_when_a_call_id_is_stored_in_another_app(fn_tables, tmp_path):
    fn = fn_tables()
    for call_id in IDS[:3]:
        fn.add_call(call_id)
        fn.add_log(call_id, "a log")
    App.objects.create(name="elsewhere")
    Call.objects.create(id=IDS[0], app_id="elsewhere", path="/", status="success",
                        created_at=timezone.now())  # fmt: skip
    state = tmp_path / "newest-id"
    with pytest.raises(CommandError, match="1 call"):
        run(fn, state=state)
    assert not hasattr(Call.objects.get(pk=IDS[0]), "log")  # not the log of Fn's call
    assert Call.objects.filter(app_id="myapp").count() == 2
    assert state.read_text() == IDS[2] + "\n"


@pytest.mark.django_db
def test_it_replaces_log_bytes_that_are_not_utf8_and_nuls(tmp_path):
    fn = sqlite_fn_tables(tmp_path / "fn.db", "0.3.205")
    fn.add_call(IDS[0])
    fn.add_call(IDS[1])
    fn.add_call(IDS[2])
    # Fn's SQLite driver stores stderr's bytes as they came, valid UTF-8 or not.
    fn.add_log(IDS[0], b"caf\xe9 \xff\n")
    fn.add_log(IDS[1], "nul\x00byte\n")
    fn.add_log(IDS[2], "fine \ufffd\n")
    out, _ = run(fn)
    assert out.startswith("3 calls imported, 3 logs (2 with bytes replaced), 0 failed")
    assert Call.objects.get(pk=IDS[0]).log.text == "caf\ufffd \ufffd\n"
    assert Call.objects.get(pk=IDS[1]).log.text == "nul\ufffdbyte\n"
    assert Call.objects.get(pk=IDS[2]).log.text == "fine \ufffd\n"


@pytest.mark.django_db
def test_it_reads_a_sqlite_file_whose_path_holds_hash_and_question_mark(tmp_path):
    folder = tmp_path / "fn #1?x=y"
    folder.mkdir()
    fn = sqlite_fn_tables(folder / "fn%20.db", "0.3.205")
    fn.add_call(IDS[0])
    out, _ = run(fn)
    assert out.startswith("1 calls imported")


def test_it_fetches_logs_in_chunks_of_bounded_size(tmp_path):
    fn = sqlite_fn_tables(tmp_path / "fn.db", "0.3.205")
    for call_id in IDS[:5]:
        fn.add_call(call_id)
        fn.add_log(call_id, "x" * 1000)
    db = fndb.connect(fn.url)
    chunks = list(db.logs(IDS[:5], max_bytes=2500))
    db.close()
    assert [len(chunk) for chunk in chunks] == [2, 2, 1]
    assert sorted(call_id for chunk in chunks for call_id, _, _ in chunk) == IDS[:5]


def test_it_reads_new_ids_as_a_range_on_fns_primary_key(tmp_path):
    fn = sqlite_fn_tables(tmp_path / "fn.db", "0.3.205")
    plan = fn.db.execute("EXPLAIN QUERY PLAN SELECT id FROM calls WHERE id > ? ORDER BY id LIMIT ?",
                         ["", 500]).fetchall()  # fmt: skip
    assert "USING COVERING INDEX sqlite_autoindex_calls_1 (id>?)" in plan[0][-1]


def test_it_reads_fns_own_mysql_url_and_keeps_its_options():
    assert fndb.mysql_options("fn:p%40ss@tcp(db.example:3307)/funcs?charset=utf8mb4") == {
        "host": "db.example", "port": 3307, "user": "fn", "password": "p@ss",
        "database": "funcs", "charset": "utf8mb4",
    }  # fmt: skip
    assert fndb.mysql_options("root@tcp(db)/funcs?tls=skip-verify")["ssl"] == {"verify_mode": False}
    with pytest.raises(fndb.FnDatabaseError, match="option parseTime is not supported"):
        fndb.mysql_options("root@tcp(db:3306)/funcs?parseTime=true")


@pytest.mark.django_db
def test_it_imports_from_fns_mysql_url_form():
    if connection.vendor != "mysql":
        pytest.skip("needs the suite on MariaDB/MySQL")
    fn = server_fn_tables("0.3.205")
    try:
        fn.add_call(IDS[0])
        settings = connection.settings_dict
        fn.url = (
            f"mysql://{settings['USER']}@tcp({settings['HOST']}:{settings['PORT']})/"
            f"{settings['NAME']}?charset=utf8mb4"
        )
        out, _ = run(fn)
    finally:
        fn.drop()
    assert out.startswith("1 calls imported")


def test_it_passes_postgres_url_options_to_libpq():
    with pytest.raises(CommandError, match="sslmode"):
        call_command("import_fn_calls", "--from", "postgres://fn@127.0.0.1:1/fn?sslmode=bogus")


def test_it_says_what_is_wrong_with_the_source():
    with pytest.raises(CommandError, match="No SQLite database at /nonexistent/fn.db"):
        call_command("import_fn_calls", "--from", "sqlite3:///nonexistent/fn.db")
    with pytest.raises(CommandError, match="Cannot connect to Fn's database"):
        call_command("import_fn_calls", "--from", "postgres://nobody@127.0.0.1:1/fn")


@pytest.mark.django_db(transaction=True)
def test_it_follows_calls_written_while_it_runs_until_sigterm(fn_tables, tmp_path):
    fn = fn_tables()
    fn.add_call(IDS[0])
    state = tmp_path / "newest-id"

    def fn_server():
        """Writes calls as the follower goes on, one older than a call it already has, then
        stops it as systemd would."""
        wait_for(lambda: state.exists())
        fn.add_call(IDS[2])
        wait_for(lambda: state.read_text() == IDS[2] + "\n")
        fn.add_call(IDS[1])
        fn.add_log(IDS[1], "written while following\n")
        fn.add_call(IDS[3])
        wait_for(lambda: state.read_text() == IDS[3] + "\n")
        os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=fn_server)
    thread.start()
    try:
        out, _ = run(fn, "--follow", "--interval", "50ms", state=state)
    finally:
        thread.join()
    assert sorted(Call.objects.values_list("pk", flat=True)) == IDS[:4]
    assert Call.objects.get(pk=IDS[1]).log.text == "written while following\n"
    lines = out.splitlines()
    assert len(lines) >= 3
    assert lines[0].startswith("1 calls imported")
    assert sum(int(line.split()[0]) for line in lines) == 4


def wait_for(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
