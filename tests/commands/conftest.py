"""Fn's own databases for the import tests: its tables at each release (its sql.go and
migrations 3, 10, 16, 18-24 in api/datastore/sql/), the same DDL on the three databases, as
SQLite files or beside our tables in the test database (written through a connection of their
own, as an Fn server's would be)."""

import io
import sqlite3

import psycopg
import pymysql
import pytest
from django.core.management import call_command
from django.db import connection

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
