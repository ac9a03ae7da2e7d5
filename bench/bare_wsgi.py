"""The floor for reading calls: a WSGI app with no framework that answers GET /<id> with that
call's stored stats text, and GET /?list with the stats of the newest 100 calls, one query on
one connection per thread. bench_hotpaths.py serves it under the same gunicorn config as
fnweb and compares the two."""

import os
import sqlite3
import threading

import environ

DATABASE = environ.Env.db_url_config(os.environ["DATABASE_URL"])
local = threading.local()


def cursor():
    if not hasattr(local, "connection"):
        if DATABASE["ENGINE"].endswith("sqlite3"):
            local.connection = sqlite3.connect(DATABASE["NAME"], check_same_thread=False)
            local.mark = "?"
        else:
            import psycopg

            local.connection = psycopg.connect(
                dbname=DATABASE["NAME"], user=DATABASE["USER"], host=DATABASE["HOST"],
                port=DATABASE["PORT"] or 5432, autocommit=True,
            )  # fmt: skip
            local.mark = "%s"
    return local.connection.cursor()


def application(environ_: dict, start_response) -> list[bytes]:
    c = cursor()
    if environ_.get("QUERY_STRING") == "list":
        c.execute("SELECT CAST(stats AS TEXT) FROM calls_call ORDER BY id DESC LIMIT 100")
    else:
        query = f"SELECT CAST(stats AS TEXT) FROM calls_call WHERE id = {local.mark}"
        c.execute(query, [environ_["PATH_INFO"][1:]])
    # The text as stored (no decoding), as the floor of what any reader must do.
    body = ("[" + ",".join(row[0] for row in c.fetchall()) + "]").encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    start_response("200 OK", headers)
    return [body]
