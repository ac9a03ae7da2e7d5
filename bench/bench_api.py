"""API benchmarks. Every figure is a ratio against a baseline measured in the same run, on the
same database, so machines of different speed give comparable answers.

    make bench                              # SQLite
    DATABASE_URL=postgres://... make bench  # or PostgreSQL, MariaDB

It works in a throwaway test database (test_<name>), created and dropped here.

1. Deep pages: the call list is keyset-paginated on id, so the last page of an app's 50,000
   calls (of 200,000 in 4 apps) costs what the first costs. Baseline: the same pages fetched
   with OFFSET.
2. Lean lists: `stats=false` on a page of 100 calls with 240-point histograms, against the full
   page (bytes and time).
3. Ingest: POSTing calls with 3,600 raw points each (validated, reduced to 240, stored), against
   just parsing the same JSON body.
"""

import json
import os
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fnweb.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from calls.fntime import NS_PER_SECOND, format_timestamp  # noqa: E402
from calls.ids import new_id  # noqa: E402
from calls.models import ApiToken, App, Call  # noqa: E402
from calls.stats import dump_points  # noqa: E402

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CALLS = 200_000
APPS = 4
LISTED = "app1"


def median_of(repeats: int, action) -> float:
    """The median of several timings of action(), in seconds."""
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def fill() -> list[str]:
    """CALLS calls spread over APPS apps; returns the ids of the listed app, newest first."""
    App.objects.bulk_create([App(name=f"app{n}") for n in range(APPS)])
    for chunk in range(0, CALLS, 5000):
        Call.objects.bulk_create(
            Call(id=new_id(at=T0 + timedelta(seconds=i)), app_id=f"app{i % APPS}",
                 path=f"/p{i % 7}", status="success", created_at=T0 + timedelta(seconds=i))
            for i in range(chunk, chunk + 5000)
        )  # fmt: skip
    # As autovacuum and InnoDB's statistics do on a live table, so the planners know the data.
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            cursor.execute("ANALYZE TABLE calls_call")
            cursor.fetchall()
        else:
            cursor.execute("ANALYZE calls_call")
    return list(Call.objects.filter(app_id=LISTED).order_by("-id").values_list("id", flat=True))


def deep_pages(client: Client, ids: list[str]) -> list[tuple[str, float, str]]:
    url = f"/v1/apps/{LISTED}/calls?per_page=100&stats=false"
    first = median_of(20, lambda: client.get(url))
    last = median_of(20, lambda: client.get(f"{url}&cursor={ids[-101]}"))
    calls = Call.objects.filter(app_id=LISTED).order_by("-id").only("id")
    offset_first = median_of(20, lambda: list(calls[:100]))
    offset_last = median_of(20, lambda: list(calls[len(ids) - 100 : len(ids)]))
    return [
        ("keyset: last page / first page", last / first, "target <= 2"),
        ("baseline OFFSET: last page / first page", offset_last / offset_first, "for comparison"),
    ]


def lean_lists(client: Client) -> list[tuple[str, float, str]]:
    points = [
        (i * NS_PER_SECOND, {k: i * 1000 for k in ("cpu_user", "cpu_kernel", "cpu_total",
                                                    "mem_usage", "mem_limit", "net_rx", "net_tx",
                                                    "disk_read", "disk_write")})
        for i in range(240)
    ]  # fmt: skip
    App.objects.create(name="fat")
    Call.objects.bulk_create(
        Call(id=new_id(at=T0 + timedelta(seconds=i)), app_id="fat", path="/p", status="success",
             created_at=T0 + timedelta(seconds=i), stats=dump_points(points))
        for i in range(100)
    )  # fmt: skip
    url = "/v1/apps/fat/calls?per_page=100"
    full_bytes = len(client.get(url).content)
    lean_bytes = len(client.get(url + "&stats=false").content)
    full = median_of(10, lambda: client.get(url))
    lean = median_of(10, lambda: client.get(url + "&stats=false"))
    return [
        (f"stats=false bytes / full bytes ({full_bytes:,} B full)", lean_bytes / full_bytes,
         "target <= 0.05"),
        ("stats=false time / full time", lean / full, "target <= 0.25"),
    ]  # fmt: skip


def ingest(client: Client) -> list[tuple[str, float, str]]:
    token = ApiToken.issue("bench")
    start = int(T0.timestamp()) * NS_PER_SECOND
    stats = [
        {"timestamp": format_timestamp(start + i * NS_PER_SECOND),
         "metrics": {"cpu_total": i % 200, "mem_usage": 2**27 + i, "net_rx": i * 1500}}
        for i in range(3600)
    ]  # fmt: skip
    bodies = [
        json.dumps({"calls": [{"status": "success", "path": "/long", "stats": stats,
                               "created_at": format_timestamp(start + n * NS_PER_SECOND)}]})
        for n in range(20)
    ]  # fmt: skip
    parse = median_of(5, lambda: [json.loads(body) for body in bodies])
    posts = iter(bodies * 5)

    def post_all():
        for _ in range(20):
            response = client.post("/v1/apps/ingest/calls", next(posts),
                                   content_type="application/json",
                                   HTTP_AUTHORIZATION=f"Token {token}")  # fmt: skip
            assert response.status_code == 201, response.content

    posting = median_of(5, post_all)
    return [("ingest 3,600-point calls / json.loads of the same bodies", posting / parse,
             "for tracking")]  # fmt: skip


@contextmanager
def throwaway_database():
    """A test_<name> database for the benchmark, dropped afterwards. On SQLite a file rather
    than Django's in-memory test database, so that threads share it as a server's would."""
    setup_test_environment()
    if connection.vendor == "sqlite":
        folder = tempfile.mkdtemp(prefix="fnweb-bench-")
        connection.settings_dict["TEST"]["NAME"] = str(Path(folder) / "bench.sqlite3")
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)


def report(title: str, results: list[tuple[str, float, str]]) -> None:
    print(title)
    for label, ratio, target in results:
        print(f"  {label:<62} {ratio:8.3f}   {target}")


def main() -> None:
    with throwaway_database():
        client = Client()
        results = deep_pages(client, fill()) + lean_lists(client) + ingest(client)
    report(f"fnweb API benchmark on {connection.vendor}, {CALLS:,} calls in {APPS} apps", results)


if __name__ == "__main__":
    main()
