"""Import calls and logs straight from an Fn server's own database, incrementally by id.

Fn (reference section 3.2) keeps `calls` with text timestamps in its millisecond RFC 3339
layout and `stats` as JSON text or "", and the log text in `logs`, keyed by call id.
"""

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import environ
import psycopg
import pymysql
from django.core.management.base import BaseCommand, CommandError

from calls.ingest import IngestError, parse_call, store_each

COLUMNS = ("id", "app_name", "path", "status", "created_at", "started_at", "completed_at")
# Columns that older Fn releases do not have: `stats` came with 0.3.202, `error` a day later.
OPTIONAL_COLUMNS = ("stats", "error")


def connect(url: str):
    """A DB-API connection to Fn's database and its parameter placeholder."""
    scheme, _, rest = url.partition("://")
    if scheme in ("sqlite", "sqlite3"):  # Fn's own URL is sqlite3:///path/to/fn.db
        path = "/" + rest.lstrip("/") if rest.startswith("/") else rest
        if not Path(path).is_file():
            raise CommandError(f"No SQLite database at {path}")
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True), "?"
    config = environ.Env.db_url_config(url)
    engine = config.get("ENGINE", "")
    credentials = {
        "host": config["HOST"] or "127.0.0.1",
        "user": config["USER"] or None,
        "password": config["PASSWORD"] or None,
    }
    if engine.endswith("postgresql"):
        return psycopg.connect(
            dbname=config["NAME"], port=config["PORT"] or 5432, **credentials
        ), "%s"
    if engine.endswith("mysql"):
        return pymysql.connect(
            database=config["NAME"], port=int(config["PORT"] or 3306), **credentials
        ), "%s"
    raise CommandError("--from must be a sqlite3://, postgres:// or mysql:// URL")


class Command(BaseCommand):
    help = "Import calls and their logs from an Fn server's database (ids after --since)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="url", required=True, help="Fn's database URL")
        parser.add_argument("--since", default="", help="import only ids after this one")
        parser.add_argument(
            "--state-file",
            help="file holding the last imported id: read as --since, written after each batch "
            "(for cron)",
        )
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, **options):
        state = Path(options["state_file"]) if options["state_file"] else None
        since = options["since"] or (state.read_text().strip() if state and state.exists() else "")
        try:
            connection, mark = connect(options["url"])
        except (psycopg.Error, pymysql.Error) as e:
            raise CommandError(f"Cannot connect to Fn's database: {e}") from None
        imported = present = failed = 0
        with closing(connection):
            cursor = connection.cursor()
            cursor.execute("SELECT * FROM calls WHERE 1 = 0")
            present_columns = {column[0] for column in cursor.description}
            columns = COLUMNS + tuple(c for c in OPTIONAL_COLUMNS if c in present_columns)
            while True:
                cursor.execute(
                    f"SELECT {', '.join(columns)} FROM calls WHERE id > {mark} "
                    f"ORDER BY id LIMIT {int(options['batch_size'])}",
                    [since],
                )
                rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
                if not rows:
                    break
                logs = self.logs(cursor, mark, [row["id"] for row in rows])
                by_app: dict[str, list] = {}
                for row in rows:
                    try:
                        by_app.setdefault(row["app_name"], []).append(
                            parse_call(row["app_name"], fn_row_to_call(row, logs), row["id"])
                        )
                    except (IngestError, ValueError) as e:
                        failed += 1
                        self.stderr.write(f"call {row['id']}: {e}")
                for app, batch in by_app.items():
                    results, errors = store_each(app, batch)
                    for result in results:
                        imported += result["created"]
                        present += not result["created"]
                    for index, error in errors.items():
                        failed += 1
                        self.stderr.write(f"call {batch[index].call.id}: {error.message}")
                since = rows[-1]["id"]
                if state:
                    state.write_text(since + "\n")
                self.stdout.write(
                    f"{imported} calls imported, {present} already present, {failed} failed; "
                    f"up to id {since}"
                )
        if failed:
            raise CommandError(f"{failed} call(s) could not be imported; the others were.")

    def logs(self, cursor, mark: str, ids: list[str]) -> dict[str, str]:
        cursor.execute(
            f"SELECT id, log FROM logs WHERE id IN ({', '.join([mark] * len(ids))})", ids
        )
        return dict(cursor.fetchall())


def fn_row_to_call(row: dict, logs: dict[str, str]) -> dict:
    """One row of Fn's `calls` as the fields ingest takes."""
    call = {key: row[key] for key in ("id", "app_name", "path", "status", "created_at")}
    for key in ("started_at", "completed_at", "error"):
        if row.get(key):
            call[key] = row[key]
    if row.get("stats"):  # Fn wrote "" for no stats
        call["stats"] = json.loads(row["stats"])
    if row["id"] in logs:
        call["log"] = logs[row["id"]]
    return call
