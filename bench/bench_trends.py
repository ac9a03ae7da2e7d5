"""Trends benchmark on PostgreSQL: summaries and trends read rollups, so a 30-day window costs
what an hour costs, whatever the number of calls.

    .venv/bin/python bench/bench_trends.py [--calls 1000000] \
        [--database-url postgres://postgres@127.0.0.1:5432/fnweb_trendbench]

1. Loads --calls calls (COPY; 30% of them in the last 24 hours, the rest over 29 days before,
   in 4 apps of 6 paths) and their rollups (aggregated here a day at a time with the code
   ingest uses, then COPY), unless the database already holds that many; then it only adds
   calls from the newest one up to now, at the same rate, so the last hour is as full.
2. Serves fnweb under gunicorn with production settings (DEBUG off, 2 workers) and times, as
   the median of 15 requests after a warm-up, the overview at 1h and 30d, the app's calls page
   (24h and 30d summaries), the trends page (with its heatmap and sizing), the trends, stats
   and sizing endpoints and the slowest calls at 1h and 30d, and the live poll with a cursor
   a minute and a month old.
   Targets: each under 0.25 s, and 30d / 1h under 1.5.
3. Ingest throughput with rollups kept against without (rollups.record made a no-op), posting
   batches of 100 finished calls in this process. Target: >= 0.8.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ARGS = argparse.ArgumentParser(description=__doc__.split("\n")[0])
ARGS.add_argument("--calls", type=int, default=1_000_000)
ARGS.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/fnweb_trendbench")
OPTIONS = ARGS.parse_args()
os.environ["DATABASE_URL"] = OPTIONS.database_url
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fnweb.settings")
os.environ.setdefault("DEBUG", "true")
# Loading COPYs a million rows in one statement; the server below keeps the production timeout.
os.environ["DATABASE_STATEMENT_TIMEOUT"] = "0"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from pg import create_database  # noqa: E402

from calls import rollups  # noqa: E402
from calls.fields import json_of_sketch, orjson_text  # noqa: E402
from calls.fntime import format_datetime  # noqa: E402
from calls.ids import new_id  # noqa: E402
from calls.models import ApiToken, App, Call, CallPath  # noqa: E402
from calls.rollups import FINISHED, PEAKS, SKETCHES, Observation  # noqa: E402

APPS = [f"app{n}" for n in range(4)]
PATHS = [f"/fn{n}" for n in range(6)]
STATUSES = ["success"] * 90 + ["error"] * 6 + ["timeout"] * 3 + ["cancelled"]
CALL_COLUMNS = (
    "id", "app_name", "path", "status", "created_at", "started_at", "completed_at", "error",
    "stats", "peak_cpu_total", "peak_mem_usage", "duration_us",
)  # fmt: skip
ROLLUP_COLUMNS = ("app_name", "path", "step", "start", *FINISHED, *SKETCHES, *PEAKS)
PORT = 8742


def load(total: int, now: datetime) -> None:
    """`total` calls and their rollups, a day at a time, newest day holding 30% of them."""
    App.objects.bulk_create([App(name=app) for app in APPS], ignore_conflicts=True)
    for app in APPS:
        CallPath.record(app, set(PATHS))
    rng = random.Random(1)
    today = round(total * 0.3)
    for day in range(30):
        count = today if day == 0 else (total - today) // 29
        end = now - timedelta(days=day)
        seen = [
            observation(rng, end - timedelta(seconds=rng.uniform(0, 86400))) for _ in range(count)
        ]
        copy_calls(seen)
        copy_rollups(seen)
        print(f"  loaded day -{day}: {count:,} calls", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE calls_call")
        cursor.execute("ANALYZE calls_rollup")


def top_up(total: int, now: datetime) -> None:
    """Calls from the newest loaded one up to now, at the newest day's rate: a database loaded
    by an earlier run would otherwise hold fewer calls, or none, in the hour before now."""
    newest = Call.objects.filter(app__in=APPS).order_by("-created_at").first().created_at
    count = round(total * 0.3 * (now - newest) / timedelta(days=1))
    if count:
        rng = random.Random(int(now.timestamp()))
        gap = (now - newest).total_seconds()
        seen = [
            observation(rng, now - timedelta(seconds=rng.uniform(0, gap))) for _ in range(count)
        ]
        copy_calls(seen)
        copy_rollups(seen)
        print(f"  topped up the {gap / 60:.0f} minutes since the load: {count:,} calls", flush=True)


def observation(rng: random.Random, created: datetime) -> Observation:
    return Observation(
        app=rng.choice(APPS),
        path=rng.choice(PATHS),
        status=rng.choice(STATUSES),
        created_at=created,
        duration=rng.lognormvariate(-1, 1.5),
        peak_mem=rng.uniform(20, 500) * 2**20,
        mem_share=None,
        mem_limit=None,
        peak_cpu=rng.uniform(1, 400),
    )


def copy_calls(seen: list[Observation]) -> None:
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY calls_call ({', '.join(CALL_COLUMNS)}) FROM STDIN") as copy,
    ):
        for o in seen:
            started = o.created_at + timedelta(milliseconds=5)
            completed = started + timedelta(seconds=o.duration)
            run_us = (completed - started) // timedelta(microseconds=1)
            copy.write_row(
                (new_id(at=o.created_at), o.app, o.path, o.status, o.created_at, started,
                 completed, "", "[]", o.peak_cpu, o.peak_mem, run_us)
            )  # fmt: skip


def copy_rollups(seen: list[Observation]) -> None:
    """The day's buckets, aggregated as rollups.record() does, written with COPY. The 24 hours
    loaded before (newer) share a bucket per step and path with these, and the week: those are
    merged."""
    partials = rollups.aggregate(seen)
    oldest, last = min(o.created_at for o in seen), max(o.created_at for o in seen)
    straddling = rollups.Rollup.objects.filter(
        Q(start__gte=rollups.bucket_start(oldest, rollups.DAY))
        | Q(step=rollups.WEEK, start__gte=rollups.bucket_start(oldest, rollups.WEEK)),
        start__lte=last,
    )
    stored = {(row.app_name, row.path, row.step, row.start): row for row in straddling}
    for key, row in stored.items():
        if key in partials:
            partials.pop(key).apply(row)
            row.save()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY calls_rollup ({', '.join(ROLLUP_COLUMNS)}) FROM STDIN") as copy,
    ):
        for key, partial in partials.items():
            row = rollups.Rollup(app_name=key[0], path=key[1], step=key[2], start=key[3])
            partial.apply(row)
            values = [getattr(row, column) for column in ROLLUP_COLUMNS]
            copy.write_row(
                [orjson_text(json_of_sketch(v)) if isinstance(v, dict) else v for v in values]
            )


def serve() -> subprocess.Popen:
    env = os.environ | {
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "BIND": f"127.0.0.1:{PORT}",
        "WEB_CONCURRENCY": "2",
        "LOG_LEVEL": "WARNING",
        "DATABASE_STATEMENT_TIMEOUT": "10",
    }
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--config", "fnweb/gunicorn.conf.py"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def timed(path: str) -> float:
    """The median of 15 requests' times in seconds, after one to warm up (with 7, a 10 ms
    request's median moved by half from one run to the next)."""
    url = f"http://127.0.0.1:{PORT}{path}"
    timings = []
    for _ in range(16):
        start = time.perf_counter()
        with urllib.request.urlopen(url, timeout=60) as response:
            response.read()
            assert response.status == 200, path
        timings.append(time.perf_counter() - start)
    return statistics.median(timings[1:])


def pages(now: datetime) -> list[tuple[str, float, float]]:
    month_ago = now - timedelta(days=30)
    pairs = {
        "overview /?window=": ("/?window=1h", "/?window=30d"),
        "app page /apps/app0/calls/ (24h / 30d summaries)": (
            "/apps/app0/calls/",
            f"/apps/app0/calls/?since={month_ago:%Y-%m-%dT%H:%M}",
        ),
        "trends page /apps/app0/trends/": (
            "/apps/app0/trends/?window=1h",
            "/apps/app0/trends/?window=30d",
        ),
        "path trends page ?path=/fn1": (
            "/apps/app0/trends/?window=1h&path=/fn1",
            "/apps/app0/trends/?window=30d&path=/fn1",
        ),
        "slowest calls /apps/app0/calls/?sort=duration": (
            "/apps/app0/calls/?sort=duration&window=1h",
            "/apps/app0/calls/?sort=duration&window=30d",
        ),
        "GET /v1/apps/app0/trends": (
            "/v1/apps/app0/trends?window=1h",
            "/v1/apps/app0/trends?window=30d",
        ),
        "GET /v1/apps/app0/stats": (
            "/v1/apps/app0/stats",
            f"/v1/apps/app0/stats?from_time={int(month_ago.timestamp())}",
        ),
        "GET /v1/apps/app0/sizing": (
            "/v1/apps/app0/sizing?window=1h",
            "/v1/apps/app0/sizing?window=30d",
        ),
        # Columns: its cursor a minute old, then a month old (a tab paused that long).
        "GET /v1/apps/app0/live (after: 1 min / 30 days)": (
            f"/v1/apps/app0/live?after={new_id(at=now - timedelta(minutes=1))}",
            f"/v1/apps/app0/live?after={new_id(at=month_ago)}",
        ),
    }
    return [(name, timed(hour), timed(month)) for name, (hour, month) in pairs.items()]


def ingest_ratio() -> float:
    """Calls per second posted with rollups kept / without, in 60 alternating rounds (with 20
    the ratio of one run to the next moved by 0.1)."""
    token = ApiToken.issue(f"bench-{time.time()}")
    # Host: one of the default ALLOWED_HOSTS (the test client's "testserver" is not).
    client = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST="localhost")
    rng = random.Random(2)
    record = rollups.record
    elapsed = {True: 0.0, False: 0.0}
    for round_ in range(62):
        keep = round_ % 2 == 0
        rollups.record = record if keep else lambda observations: list(observations)
        now = timezone.now()
        body = {"calls": []}
        for _ in range(100):
            created = now - timedelta(seconds=rng.uniform(0, 60))
            started = created + timedelta(milliseconds=5)
            body["calls"].append({
                "id": new_id(at=created), "status": "success", "path": rng.choice(PATHS),
                "created_at": format_datetime(created), "started_at": format_datetime(started),
                "completed_at": format_datetime(started + timedelta(seconds=rng.uniform(0, 3))),
                "stats": [{"timestamp": format_datetime(started + timedelta(seconds=s)),
                           "metrics": {"cpu_total": s, "mem_usage": 2**20 * s, "mem_limit": 2**28}}
                          for s in range(30)],
            })  # fmt: skip
        data = json.dumps(body)
        start = time.perf_counter()
        response = client.post("/v1/apps/ingest/calls", data, content_type="application/json")
        if round_ >= 2:  # the first two warm up
            elapsed[keep] += time.perf_counter() - start
        assert response.status_code == 201, response.content
    rollups.record = record
    return elapsed[False] / elapsed[True]


def main() -> None:
    create_database(OPTIONS.database_url)
    call_command("migrate", verbosity=0)
    now = timezone.now()
    stored = Call.objects.estimated_count()
    if stored < OPTIONS.calls * 0.95:
        print(f"Loading {OPTIONS.calls:,} calls (found about {stored:,})", flush=True)
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE calls_call, calls_calllog, calls_rollup")
        started = time.perf_counter()
        load(OPTIONS.calls, now)
        print(f"  in {time.perf_counter() - started:.0f} s", flush=True)
    else:
        top_up(OPTIONS.calls, now)
    rows = rollups.Rollup.objects.count()
    server = serve()
    try:
        results = pages(timezone.now())
    finally:
        server.terminate()
        server.wait()
    ratio = ingest_ratio()
    print(f"\nfnweb trends benchmark: about {Call.objects.estimated_count():,} calls,"
          f" {rows:,} rollup rows, PostgreSQL, gunicorn (DEBUG off, 2 workers)")  # fmt: skip
    print(f"  {'':<52} {'1h':>8} {'30d':>8} {'30d/1h':>7}")
    for name, hour, month in results:
        ok = max(hour, month) < 0.25 and month / hour < 1.5
        print(
            f"  {name:<52} {hour:7.3f}s {month:7.3f}s {month / hour:7.2f}  {'ok' if ok else 'MISS'}"
        )
    print(f"  ingest with rollups / without (calls per second): {ratio:.2f}  target >= 0.8")


if __name__ == "__main__":
    main()
