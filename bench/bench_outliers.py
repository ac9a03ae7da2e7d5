"""Outliers benchmark on PostgreSQL: the calls lists sorted by run time, peak memory or peak
CPU ("the slowest in the last hour") cost about what the newest-first list costs, at any
depth, and what the sort's indexes and the migration's backfill cost.

    .venv/bin/python bench/bench_outliers.py [--calls 1000000] [--backfill 100000] \
        [--database-url postgres://postgres@127.0.0.1:5432/fnweb_outlierbench]

1. Backfill: --backfill calls stored as before migration 0008 (no run time or memory share,
   none of its indexes), then the migration's backfill and its six indexes, timed.
2. Lists: --calls calls over 30 days (30% in the last 24 hours, 4 apps of 6 paths, COPY),
   the indexes built (timed), then the median of 7 in-process requests (DEBUG off) of the
   newest-first list (the baseline) and of sorted and filtered lists, the first page and one
   50 pages deep, on the page and on /v1; and the plan of "slowest in the last hour".
3. Ingest: batches of 100 finished calls posted in this process, with the six indexes
   against without them (dropped), in alternating blocks. The ratio is the cost to report.
"""

import argparse
import importlib
import json
import os
import random
import re
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ARGS = argparse.ArgumentParser(description=__doc__.split("\n")[0])
ARGS.add_argument("--calls", type=int, default=1_000_000)
ARGS.add_argument("--backfill", type=int, default=100_000)
ARGS.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/fnweb_outlierbench")
OPTIONS = ARGS.parse_args()
os.environ |= {
    "DATABASE_URL": OPTIONS.database_url,
    "DJANGO_SETTINGS_MODULE": "fnweb.settings",
    "DEBUG": "false",
    "SECRET_KEY": "bench-" + "x" * 50,
    "ALLOWED_HOSTS": "testserver,localhost",
    "SECURE_SSL_REDIRECT": "false",
    "LOG_LEVEL": "WARNING",
    # Loading with COPY and building indexes over a million rows take longer than 10 s.
    "DATABASE_STATEMENT_TIMEOUT": "0",
}

import django  # noqa: E402

django.setup()

from django.apps import apps as django_apps  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from pg import create_database  # noqa: E402

from calls.fntime import format_datetime  # noqa: E402
from calls.ids import new_id  # noqa: E402
from calls.models import ApiToken, App, Call, CallPath  # noqa: E402

APPS = [f"app{n}" for n in range(4)]
PATHS = [f"/fn{n}" for n in range(6)]
STATUSES = ["success"] * 90 + ["error"] * 6 + ["timeout"] * 3 + ["cancelled"]
COLUMNS = (
    "id", "app_name", "path", "status", "created_at", "started_at", "completed_at", "error",
    "stats", "peak_cpu_total", "peak_mem_usage", "duration_us", "peak_mem_share",
)  # fmt: skip
# Migration 0008's.
NAMES = {"call_app_duration", "call_app_path_duration", "call_app_mem", "call_app_path_mem",
         "call_app_cpu", "call_app_path_cpu"}  # fmt: skip
INDEXES = [index for index in Call._meta.indexes if index.name in NAMES]


def drop_indexes() -> None:
    with connection.schema_editor() as editor:
        for index in INDEXES:
            editor.execute(f"DROP INDEX IF EXISTS {index.name}")


def create_indexes() -> float:
    started = time.perf_counter()
    with connection.schema_editor() as editor:
        for index in INDEXES:
            editor.add_index(Call, index)
    return time.perf_counter() - started


def load(total: int, now: datetime, figures: bool) -> None:
    """`total` calls over 30 days, the newest day holding 30%; without `figures` the run time
    and memory share are left NULL, as before migration 0008."""
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE calls_call, calls_calllog, calls_rollup")
    App.objects.bulk_create([App(name=app) for app in APPS], ignore_conflicts=True)
    for app in APPS:
        CallPath.record(app, set(PATHS))
    rng = random.Random(1)
    today = round(total * 0.3)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY calls_call ({', '.join(COLUMNS)}) FROM STDIN") as copy,
    ):
        for day in range(30):
            count = today if day == 0 else (total - today) // 29
            for _ in range(count):
                created = now - timedelta(days=day, seconds=rng.uniform(0, 86400))
                started = created + timedelta(milliseconds=5)
                running = rng.random() < 0.01
                run_us = round(rng.lognormvariate(-1, 1.5) * 1_000_000)
                share = rng.uniform(5, 100)
                copy.write_row(
                    (new_id(at=created), rng.choice(APPS), rng.choice(PATHS),
                     "running" if running else rng.choice(STATUSES), created, started,
                     None if running else started + timedelta(microseconds=run_us), "",
                     json.dumps([{"timestamp": format_datetime(started), "metrics": {
                         "mem_usage": round(share * 2**20), "mem_limit": 100 * 2**20}}]),
                     rng.uniform(1, 400), share * 2**20,
                     None if running or not figures else run_us,
                     share if figures else None)
                )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE calls_call")


def backfill_cost(count: int) -> tuple[float, float]:
    """Seconds of the migration's backfill and of building its indexes, over `count` calls."""
    drop_indexes()
    load(count, timezone.now(), figures=False)
    migration = importlib.import_module("calls.migrations.0008_outliers")
    started = time.perf_counter()
    migration.backfill(django_apps, SimpleNamespace(connection=connection))
    backfill = time.perf_counter() - started
    assert not Call.objects.filter(duration_us__isnull=True, completed_at__isnull=False).exists()
    return backfill, create_indexes()


def timed(client: Client, path: str) -> float:
    """The median of 7 requests' times in seconds, after one to warm up."""
    timings = []
    for _ in range(8):
        started = time.perf_counter()
        response = client.get(path)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.content[:300])
    return statistics.median(timings[1:])


def deep(client: Client, path: str, pages: int, api: bool) -> str:
    """The address of the page `pages` pages down the list at `path`, followed by cursor."""
    url = path
    for _ in range(pages):
        response = client.get(url)
        if api:
            cursor = response.json()["next_cursor"]
        else:
            cursor = re.search(r'cursor=([^"&]+)" rel="next"', response.content.decode())[1]
        url = f"{path}{'&' if '?' in path else '?'}cursor={cursor}"
    return url


def lists(client: Client, now: datetime) -> list[tuple[str, float]]:
    hour_ago = now - timedelta(hours=1)
    since, until = f"{hour_ago:%Y-%m-%dT%H:%M:%S}", f"{now:%Y-%m-%dT%H:%M:%S}"
    page = "/apps/app0/calls/"
    api = "/v1/apps/app0/calls?stats=false&per_page=100"
    paths = {
        "page newest first (baseline)": page,
        "page newest first, 50 pages deep": deep(client, page, 50, api=False),
        "page slowest first": f"{page}?sort=duration",
        "page slowest first, 50 pages deep": deep(client, f"{page}?sort=duration", 50, False),
        "page slowest in the last hour": f"{page}?sort=duration&window=1h",
        "page slowest in the last 30 days": f"{page}?sort=duration&window=30d",
        "page most memory, one path, last hour": f"{page}?sort=peak_mem&path=/fn1&window=1h",
        "page most CPU, last 24 hours": f"{page}?sort=peak_cpu&window=24h",
        "page a heatmap cell (path, 1 h, 0.5-1 s)": f"{page}?path=/fn1&since={since}"
        f"&until={until}&min_duration=0.500000&max_duration=1.000000&sort=duration",
        "page memory share >= 95 %, newest first": f"{page}?min_mem_share=95",
        "api newest first (baseline)": api,
        "api slowest first": f"{api}&sort=duration",
        "api slowest first, 50 pages deep": deep(client, f"{api}&sort=duration", 50, api=True),
        "api slowest in the last hour": f"{api}&sort=duration"
        f"&from_time={int(hour_ago.timestamp())}",
    }
    return [(name, timed(client, path)) for name, path in paths.items()]


def slowest_last_hour_plan(now: datetime) -> str:
    from calls.outliers import in_order

    calls = Call.objects.filter(app_id="app0", created_at__gt=now - timedelta(hours=1))
    sql, params = in_order(calls.for_list(), "duration")[:51].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def ingest_ratio() -> float:
    """Seconds per batch with the six indexes / without, alternating blocks of 10 batches."""
    token = ApiToken.issue(f"bench-{time.time()}")
    client = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST="localhost")
    rng = random.Random(2)
    elapsed = {True: 0.0, False: 0.0}
    for block in range(6):
        indexed = block % 2 == 0
        if indexed and block:
            create_indexes()
        elif not indexed:
            drop_indexes()
        for batch in range(11):
            now = timezone.now()
            body = {"calls": []}
            for _ in range(100):
                created = now - timedelta(seconds=rng.uniform(0, 60))
                started = created + timedelta(milliseconds=5)
                body["calls"].append({
                    "id": new_id(at=created), "status": "success", "path": rng.choice(PATHS),
                    "created_at": format_datetime(created),
                    "started_at": format_datetime(started),
                    "completed_at": format_datetime(started + timedelta(seconds=rng.uniform(0, 3))),
                    "stats": [{"timestamp": format_datetime(started + timedelta(seconds=s)),
                               "metrics": {"cpu_total": s, "mem_usage": 2**20 * s,
                                           "mem_limit": 2**28}} for s in range(30)],
                })  # fmt: skip
            data = json.dumps(body)
            started = time.perf_counter()
            response = client.post("/v1/apps/app0/calls", data, content_type="application/json")
            if batch:  # the first of each block warms up
                elapsed[indexed] += time.perf_counter() - started
            assert response.status_code == 201, response.content
    create_indexes()
    return elapsed[True] / elapsed[False]


def main() -> None:
    create_database(OPTIONS.database_url)
    call_command("migrate", verbosity=0)
    backfill, indexing = backfill_cost(OPTIONS.backfill)
    print(f"Backfill of {OPTIONS.backfill:,} calls: {backfill:.1f} s, then the six indexes"
          f" {indexing:.1f} s", flush=True)  # fmt: skip
    drop_indexes()
    now = timezone.now()
    started = time.perf_counter()
    load(OPTIONS.calls, now, figures=True)
    print(f"Loaded {OPTIONS.calls:,} calls in {time.perf_counter() - started:.0f} s", flush=True)
    indexing = create_indexes()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE calls_call")
    print(f"The six indexes over {OPTIONS.calls:,} calls: {indexing:.1f} s", flush=True)
    results = lists(Client(), timezone.now())
    plan = slowest_last_hour_plan(timezone.now())
    ratio = ingest_ratio()
    print(f"\nfnweb outliers benchmark: {OPTIONS.calls:,} calls, PostgreSQL, in process"
          " (DEBUG off), median of 7")  # fmt: skip
    baseline = {"page": results[0][1], "api": results[10][1]}
    for name, seconds in results:
        ratio_ = seconds / baseline[name.split()[0]]
        print(f"  {name:<48} {seconds:7.3f} s  {ratio_:5.2f}x the baseline")
    print(f"\nslowest in the last hour (app0), the list's query:\n{plan}")
    print(f"\ningest, seconds per batch with the six indexes / without: {ratio:.2f}")


if __name__ == "__main__":
    main()
