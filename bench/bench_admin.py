"""Admin benchmark: the calls list, its searches and filters, and retention, on a month of calls,
under gunicorn with production settings.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fnweb make bench   # 1M, then 10M calls
    DATABASE_URL=mysql://root@127.0.0.1:3306/fnweb make bench         # 1M calls
    ADMIN_CALLS=200000 DATABASE_URL=... .venv/bin/python bench/bench_admin.py  # a quick look

PostgreSQL and MariaDB/MySQL only (on SQLite it says so and stops). For each size in
ADMIN_CALLS (comma-separated) it makes the database fnweb_adminbench on DATABASE_URL's server
(dropped at the end), loads that many calls with logs (30 days up to now, 5 apps, 20 paths, 3
stats points each) with COPY or LOAD DATA, and serves it with gunicorn as `make serve` does,
logged in as a superuser. Then:

1. Each admin view the issue lists: median of 5 requests, in ms.
2. Storage per call: the calls and logs tables with their indexes.
3. The nightly purge (calls over 29 days old, a day's worth) by `calls.retention.purge`, as
   `purge_calls` runs it, against a raw DELETE of the same rows (logs, then calls, in one
   transaction) on a copy of the tables made in the same database; and the latency of a list
   page and a one-call ingest during the purge against the same requests just before it.
"""

import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
NAME = "fnweb_adminbench"
SERVER = urlsplit(os.environ.get("DATABASE_URL", "sqlite://"))
ENV = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",
    "DATABASE_URL": SERVER._replace(path=f"/{NAME}").geturl(),
    "BIND": os.environ.get("BIND", "127.0.0.1:8097"),  # another for a second run beside
    "DATABASE_STATEMENT_TIMEOUT": "0",  # the load's COPY takes minutes
    "WEB_CONCURRENCY": "2",
}
os.environ.update(ENV)
os.environ["DJANGO_SETTINGS_MODULE"] = "fnweb.settings"
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

import orjson  # noqa: E402
from admin_data import (  # noqa: E402
    HISTOGRAMS,
    analyze,
    copy_tables,
    drop_copies,
    load,
    raw_delete,
    settle,
)
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from calls.models import ApiToken, Call, CallLog  # noqa: E402
from calls.retention import purge  # noqa: E402

DEFAULT_SIZES = "1000000,10000000" if connection.vendor == "postgresql" else "1000000"
SIZES = [int(n) for n in os.environ.get("ADMIN_CALLS", DEFAULT_SIZES).split(",")]
BASE = f"http://{ENV['BIND']}"


def mariadb() -> bool:
    """Asked once the database exists: finding out connects."""
    return connection.vendor == "mysql" and connection.mysql_is_mariadb


def recreate_database(drop_only: bool = False) -> None:
    connection.close()
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {NAME}")
        if not drop_only:
            charset = " CHARACTER SET utf8mb4" if connection.vendor == "mysql" else ""
            cursor.execute(f"CREATE DATABASE {NAME}{charset}")


def session_cookie() -> str:
    user = User.objects.create_superuser("bench", password=secrets.token_urlsafe())
    session = SessionStore()
    session.update({SESSION_KEY: str(user.pk), HASH_SESSION_KEY: user.get_session_auth_hash(),
                    BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend"})  # fmt: skip
    session.create()
    return f"sessionid={session.session_key}"


def call_body(points: list[dict] = ()) -> bytes:
    """An ingest of one call created now, with these metrics a second apart from then."""
    now = timezone.now().replace(microsecond=0)
    stats = [{"timestamp": (now + timedelta(seconds=s)).isoformat()[:19] + ".000Z", "metrics": m}
             for s, m in enumerate(points)]  # fmt: skip
    call = {"path": "/etl/run", "status": "success", "created_at": now.isoformat()[:19] + "Z"}
    return orjson.dumps({"call": {**call, "stats": stats}})


def fetch(path: str, cookie: str = "", body: bytes | None = None, token: str = "") -> str:
    request = urllib.request.Request(BASE + path, data=body, headers={"Cookie": cookie})
    if token:
        request.add_header("Authorization", f"Token {token}")
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.read().decode()


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def views(now: datetime) -> list[tuple[str, str, str]]:
    """(name, query string, text the page must show) of each view the issue times."""
    newest = Call.objects.order_by("-id").values_list("id", flat=True).first()
    old = Call.objects.filter(created_at__lt=now - timedelta(days=25)).order_by("-created_at")
    old = old.values_list("id", flat=True).first()
    day = {ago: (now - timedelta(days=ago)).date() for ago in (3, 25)}
    drill = {ago: f"created_at__year={d.year}&created_at__month={d.month}&created_at__day={d.day}"
             for ago, d in day.items()}  # fmt: skip
    return [
        ("change list", "", newest),
        ("search: newest id's prefix, lower case", f"q={newest[:12].lower()}", newest),
        ("search: an id prefix 25 days old", f"q={old[:12]}", old),
        ("search: an app (q=reports)", "q=reports", "/reports/"),
        ("search: a path (q=resize)", "q=resize", "/resize"),
        ("search: a status (q=timeout)", "q=timeout", "Timeout"),
        ("date: a day 3 days back", drill[3], "calls"),
        ("date: a day 25 days back", drill[25], "calls"),
        ("status=error", "status__exact=error", "Error"),
        ("app=etl", "app__name__exact=etl", "/etl/"),
    ]


def latencies(token: str, cookie: str, stop: threading.Event, times: list) -> None:
    """A list page and a one-call ingest in turn until stopped: (list s, ingest s) each."""
    while not stop.is_set():
        listed = timed(lambda: fetch("/admin/calls/call/?app__name__exact=etl", cookie))
        start = time.perf_counter()
        fetch("/v1/apps/etl/calls", body=call_body(), token=token)
        times.append((listed, time.perf_counter() - start))


def during(action, token: str, cookie: str) -> tuple[list, float]:
    times: list = []
    stop = threading.Event()
    thread = threading.Thread(target=latencies, args=(token, cookie, stop, times))
    thread.start()
    try:
        took = timed(action)
    finally:
        stop.set()
        thread.join()
    return times, took


def bytes_per_call(count: int) -> float:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_total_relation_size('calls_call')"
                           " + pg_total_relation_size('calls_calllog')")  # fmt: skip
        else:
            cursor.execute("SELECT SUM(DATA_LENGTH + INDEX_LENGTH) FROM information_schema.TABLES"
                           " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN"
                           " ('calls_call', 'calls_calllog')")  # fmt: skip
        return int(cursor.fetchone()[0]) / count


def run(count: int) -> None:
    now = timezone.now().replace(microsecond=0)
    recreate_database()
    call_command("migrate", verbosity=0)
    if mariadb():  # loaded uncompressed, then compressed by the migration, to compare
        call_command("migrate", "calls", "0008", verbosity=0)
    took = timed(lambda: load(count, now))
    analyze("calls_call", "calls_calllog")
    print(f"fnweb admin benchmark on {connection.vendor}: {count:,} calls loaded in {took:.0f} s")
    cookie, token = session_cookie(), ApiToken.issue("bench")
    gunicorn = ROOT / ".venv" / "bin" / "gunicorn"
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen([gunicorn, "--config", "fnweb/gunicorn.conf.py"], cwd=ROOT,
                                  env={**os.environ, **ENV}, stdout=log, stderr=log)  # fmt: skip
        try:
            for _ in range(100):
                try:
                    fetch("/healthz")
                    break
                except OSError:
                    time.sleep(0.3)
            storage(count, token)
            measure(now, cookie, token)
        finally:
            server.terminate()
            server.wait(timeout=60)


def reads(token: str) -> dict[str, float]:
    """Median seconds of what reads or writes stats and logs, through the API."""
    # The newest loaded call (the ingests below add none with a log).
    call, app = CallLog.objects.order_by("-pk").values_list("pk", "call__app")[0]
    points = max(HISTOGRAMS, key=len)
    actions = {
        "GET a call with its stats": lambda: fetch(f"/v1/apps/{app}/calls/{call}"),
        "GET its log": lambda: fetch(f"/v1/apps/{app}/calls/{call}/log"),
        "a list page (30 calls with stats)": lambda: fetch(f"/v1/apps/{app}/calls"),
        f"ingest of a call with {len(points)} points": lambda: fetch(
            "/v1/apps/etl/calls", token=token, body=call_body(points)
        ),
    }
    return {name: statistics.median(timed(act) for _ in range(21)) for name, act in actions.items()}


def storage(count: int, token: str) -> None:
    """Bytes per call and the reads and ingest above; on MariaDB before and after compressing
    the stats and logs (migration 0009, timed on the loaded tables)."""
    size, before = bytes_per_call(count), reads(token)
    print(f"  storage: {size / 1024:.2f} KiB per call (calls and logs, with indexes)")
    for name, took in before.items():
        print(f"  {name:<50} {took * 1000:8.1f} ms")
    if not mariadb():
        return
    took = timed(lambda: call_command("migrate", "calls", verbosity=0))
    analyze("calls_call", "calls_calllog")
    print(f"  compressed (migration 0009 took {took:.0f} s):"
          f" {bytes_per_call(count) / 1024:.2f} KiB per call, {bytes_per_call(count) / size:.2f}"
          " of uncompressed")  # fmt: skip
    for name, took in reads(token).items():
        print(f"  {name:<50} {took * 1000:8.1f} ms, {took / before[name]:.2f} of uncompressed")


def measure(now: datetime, cookie: str, token: str) -> None:
    for name, query, shown in views(now):
        fetch(f"/admin/calls/call/?{query}", cookie)  # each worker's first request is slower
        fetch(f"/admin/calls/call/?{query}", cookie)
        took = []
        for _ in range(5):
            start = time.perf_counter()
            page = fetch(f"/admin/calls/call/?{query}", cookie)
            took.append(time.perf_counter() - start)
            assert shown in page, (name, shown)
        print(f"  {name:<50} {statistics.median(took) * 1000:8.0f} ms")
    cutoff = now - timedelta(days=29)
    doomed = Call.objects.filter(created_at__lt=cutoff)
    count = doomed.count()
    copy_tables()
    settle()
    under_raw, raw = during(lambda: raw_delete(cutoff), token, cookie)  # the same requests
    raw_settled = raw + settle()
    drop_copies()
    settle()
    before, _ = during(lambda: time.sleep(5), token, cookie)
    under, purged = during(lambda: purge(doomed), token, cookie)
    settled = purged + settle()
    print(f"  purge of {count:,} calls: {purged:.1f} s; raw DELETE {raw:.1f} s;"
          f" ratio {purged / raw:.2f} (target <= 1.3)")  # fmt: skip
    if connection.vendor == "mysql":
        print(f"  ... each until InnoDB purged it: {settled:.1f} s / {raw_settled:.1f} s,"
              f" ratio {settled / raw_settled:.2f}")  # fmt: skip
    for n, what in enumerate(("list page", "ingest")):
        median_before = statistics.median(t[n] for t in before)
        ratio = statistics.median(t[n] for t in under) / median_before
        raw_ratio = statistics.median(t[n] for t in under_raw) / median_before
        print(f"  {what}: median during purge / before {ratio:.2f} (target <= 1.5),"
              f" longest {max(t[n] for t in under) * 1000:.0f} ms;"
              f" during the raw DELETE {raw_ratio:.2f}")  # fmt: skip


def main() -> None:
    if connection.vendor not in ("postgresql", "mysql"):
        print("bench_admin: PostgreSQL or MariaDB/MySQL only (set DATABASE_URL)")
        return
    try:
        for count in SIZES:
            run(count)
    finally:
        recreate_database(drop_only=True)


if __name__ == "__main__":
    main()
