"""Reading an Fn server's own database: its URL forms, its schemas over the years, its log bytes.

Fn (reference sections 3 and 8) keeps `calls` with text times in its millisecond RFC 3339
layout, `stats` as JSON text or "", and each call's log in `logs`, keyed by call id. Later
releases changed the tables, and an importer meets them all:
- c9198b8525 / 0.3.205: `calls.app_name` and `calls.path` (0.3.205 added `calls.error`);
- 0.3.392: `app_id` instead of `app_name` in calls and logs (the name is in `apps`);
- 0.3.563: `calls.fn_id` instead of `calls.path` (the function's name is in `fns`);
- 0.3.689: no calls or logs tables at all.
"""

import json
import re
import sqlite3
import ssl
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import psycopg
import pymysql

from calls.ids import ALPHABET, encode

DRIVER_ERRORS = (sqlite3.Error, psycopg.Error, pymysql.Error)
# Shown as the path of calls that Fn's migration 21 left with neither a path nor a function.
NO_FUNCTION = "-"
# The log column as bytes where Fn may hold bytes that are not UTF-8 (SQLite does not check),
# and its size in bytes, so that logs (up to 1 MiB each) are fetched a bounded amount at a time.
LOG_COLUMN = {"sqlite": "CAST(log AS BLOB)", "postgres": "log", "mysql": "log"}
LOG_SIZE = {"sqlite": "length(CAST(log AS BLOB))", "postgres": "octet_length(log)",
            "mysql": "length(log)"}  # fmt: skip
# Fn's MySQL URL is Go's DSN after the scheme: user:pass@tcp(host:3306)/db.
GO_TCP_ADDRESS = re.compile(r"tcp\(([^)]*)\)")


class FnDatabaseError(Exception):
    """Fn's database cannot be opened or read as an Fn database."""


def id_ms(call_id: str) -> int:
    """The Unix milliseconds an Fn call id starts with (its first 10 characters)."""
    if len(call_id) < 10 or any(char not in ALPHABET for char in call_id[:10].upper()):
        raise FnDatabaseError(f"{call_id!r} is not an Fn call id")
    value = 0
    for char in call_id[:10].upper():
        value = value * 32 + ALPHABET.index(char)
    return value


def window_start(call_id: str, window_ms: int) -> str:
    """The smallest id made `window_ms` before `call_id`: every id of that time or later sorts
    after it, so `id > window_start(...)` is a range on Fn's primary key."""
    if not call_id:
        return ""
    # The 16 characters after the time are 80 bits; the prefix alone sorts before them all.
    return encode(max(id_ms(call_id) - window_ms, 0) << 80)[:10]


def clean_log(raw: bytes | str) -> tuple[str, bool]:
    """A log as text we can store everywhere, and whether bytes had to be replaced: bytes that
    are not UTF-8 and NULs (which PostgreSQL cannot store) become U+FFFD."""
    data = raw if isinstance(raw, bytes) else raw.encode()
    text = data.decode(errors="replace").replace("\x00", "\ufffd")
    return text, text.encode() != data


def call_fields(row: dict) -> tuple[str, dict]:
    """One row of `FnDatabase.calls()` as its app's name and the fields ingest takes."""
    if row["app_name"] is None:
        raise ValueError(f"app id {row['app_id']!r} is not in Fn's apps table")
    call = {
        "id": row["id"],
        "path": row["path"] or NO_FUNCTION,
        "status": row["status"],
        "created_at": row["created_at"],
    }
    for key in ("started_at", "completed_at", "error"):
        if row[key]:
            call[key] = row[key]
    if row["stats"]:  # Fn wrote "" for no stats
        call["stats"] = json.loads(row["stats"])
    return row["app_name"], call


def connect(url: str) -> "FnDatabase":
    """Fn's database, read only, from the URL Fn itself is given (its DB_URL)."""
    scheme, _, rest = url.partition("://")
    try:
        if scheme in ("sqlite3", "sqlite"):  # Fn's own URL is sqlite3:///path/to/fn.db
            path = "/" + rest.lstrip("/") if rest.startswith("/") else rest
            if not Path(path).is_file():
                raise FnDatabaseError(f"No SQLite database at {path}")
            # Percent-encoded, or a '?' or '#' in the path would end it in the file: URI.
            connection = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True)
            # Other text columns may hold bytes that are not UTF-8 too: keep the row.
            connection.text_factory = lambda data: data.decode(errors="replace")
            return FnDatabase(connection, "sqlite")
        if scheme in ("postgres", "postgresql", "pgx"):
            # libpq reads the whole URL, its query options (sslmode=...) included. Autocommit:
            # a follower must not hold a transaction open on Fn's database between rounds.
            return FnDatabase(psycopg.connect("postgresql://" + rest, autocommit=True), "postgres")
        if scheme == "mysql":
            # Autocommit also lets each read see what Fn committed since (REPEATABLE READ).
            return FnDatabase(pymysql.connect(**mysql_options(rest), autocommit=True), "mysql")
    except DRIVER_ERRORS as e:
        raise FnDatabaseError(f"Cannot connect to Fn's database: {e}") from None
    raise FnDatabaseError("--from must be a sqlite3://, postgres:// or mysql:// URL")


def mysql_options(rest: str) -> dict:
    """PyMySQL's arguments for `user:pass@host:port/db?options`, Fn's tcp(host:port) form too.
    Of the Go driver's options, `tls` and `charset` are ours to follow; any other is refused
    rather than silently dropped."""
    parts = urlsplit("mysql://" + GO_TCP_ADDRESS.sub(r"\1", rest, count=1))
    query = dict(parse_qsl(parts.query))
    options = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 3306,
        "user": unquote(parts.username or "") or None,
        "password": unquote(parts.password or ""),
        "database": parts.path.lstrip("/"),
        "charset": query.pop("charset", "utf8mb4").split(",")[0],
    }
    tls = query.pop("tls", "false")
    if tls == "true":
        options["ssl"] = ssl.create_default_context()
    elif tls == "skip-verify":
        options["ssl"] = {"verify_mode": False}
    elif tls != "false":
        raise FnDatabaseError(f"tls={tls}: only true, skip-verify or false are supported")
    if query:
        raise FnDatabaseError(f"MySQL URL option {next(iter(query))} is not supported")
    return options


class FnDatabase:
    """Fn's calls and logs tables, whichever release wrote them."""

    def __init__(self, connection, dialect: str):
        self.connection = connection
        self.dialect = dialect
        columns = self.columns("calls")
        if columns is None:
            raise FnDatabaseError(
                "Fn's database has no calls table: Fn 0.3.689 and later keep no calls"
            )
        self.has_logs = self.columns("logs") is not None
        self.calls_query = calls_query(columns)

    def close(self) -> None:
        self.connection.close()

    def execute(self, sql: str, params: list):
        """A cursor over `sql`, written with `?` placeholders whatever the database."""
        cursor = self.connection.cursor()
        cursor.execute(sql if self.dialect == "sqlite" else sql.replace("?", "%s"), params)
        return cursor

    def query(self, sql: str, params: list) -> list[tuple]:
        return self.execute(sql, params).fetchall()

    def columns(self, table: str) -> set[str] | None:
        cursor = self.connection.cursor()
        try:
            cursor.execute(f"SELECT * FROM {table} WHERE 1 = 0")
        except DRIVER_ERRORS:
            return None
        cursor.fetchall()
        return {column[0].lower() for column in cursor.description}

    def ids_after(self, after: str, limit: int) -> list[str]:
        """The next ids after `after`, in order: a range on the primary key, reading no row."""
        rows = self.query("SELECT id FROM calls WHERE id > ? ORDER BY id LIMIT ?", [after, limit])
        return [call_id for (call_id,) in rows]

    def newest_id(self) -> str:
        return self.query("SELECT MAX(id) FROM calls", [])[0][0] or ""

    def calls(self, ids: list[str]) -> list[dict]:
        """These calls' rows (those still there), with their app's and function's names."""
        if not ids:
            return []
        cursor = self.execute(self.calls_query.format(marks=marks(ids)), ids)
        names = [column[0].lower() for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def logs(self, ids: list[str], max_bytes: int) -> Iterator[list[tuple[str, str, bool]]]:
        """The logs Fn has for these calls, as (id, text, bytes replaced) in chunks of about
        `max_bytes` (at least one log each), so memory stays bounded whatever the batch."""
        if not self.has_logs or not ids:
            return
        sizes = self.query(
            f"SELECT id, {LOG_SIZE[self.dialect]} FROM logs WHERE id IN ({marks(ids)})", ids
        )
        chunk: list[str] = []
        total = 0
        for call_id, size in sizes:
            if chunk and total + size > max_bytes:
                yield self.read_logs(chunk)
                chunk, total = [], 0
            chunk.append(call_id)
            total += size
        if chunk:
            yield self.read_logs(chunk)

    def read_logs(self, ids: list[str]) -> list[tuple[str, str, bool]]:
        rows = self.query(
            f"SELECT id, {LOG_COLUMN[self.dialect]} FROM logs WHERE id IN ({marks(ids)})", ids
        )
        return [(call_id, *clean_log(log)) for call_id, log in rows]


def marks(ids: list[str]) -> str:
    return ", ".join(["?"] * len(ids))


def calls_query(columns: set[str]) -> str:
    """The SELECT giving every schema's calls the same columns; `{marks}` for the ids."""
    if "app_name" in columns:
        app, app_id, joins = "c.app_name", "NULL", ""
    elif "app_id" in columns:
        app, app_id, joins = "a.name", "c.app_id", " LEFT JOIN apps a ON a.id = c.app_id"
    else:
        raise FnDatabaseError("Fn's calls table has neither app_name nor app_id")
    if "path" in columns:
        path = "c.path"
    elif "fn_id" in columns:
        # The function's name where the path was; its id when Fn no longer has the function.
        path = "COALESCE(f.name, c.fn_id)"
        joins += " LEFT JOIN fns f ON f.id = c.fn_id"
    else:
        raise FnDatabaseError("Fn's calls table has neither path nor fn_id")
    optional = {key: f"c.{key}" if key in columns else "NULL" for key in ("stats", "error")}
    return (
        f"SELECT c.id AS id, {app} AS app_name, {app_id} AS app_id, {path} AS path, "
        "c.status AS status, c.created_at AS created_at, c.started_at AS started_at, "
        f"c.completed_at AS completed_at, {optional['stats']} AS stats, "
        f"{optional['error']} AS error FROM calls c{joins} WHERE c.id IN ({{marks}})"
    )
