"""Import benchmark: a million calls from an Fn server's SQLite database, and following it.

    make bench                                     # runs this after bench/bench_purge.py
    IMPORT_CALLS=100000 python bench/bench_import.py  # a smaller database, for a quick look

It writes two Fn databases with Fn's 0.3.205 tables (calls with stats and error, logs): a big
one of IMPORT_CALLS (default 1,000,000) calls and a small one of 1% of that (at least
10,000), both with the same rate of calls per hour, so a re-read window holds as many calls in
either. Every call has a short log, one in ten a histogram of 30 points.

1. Import: `import_fn_calls` from the big database into a throwaway fnweb database; the rate
   in calls per second and the process's peak memory (ru_maxrss) before and after.
2. Follow: the cost of one round on an idle Fn database (what each `--follow` round runs:
   re-read the window of ids, find nothing to do; timed as a one-shot run with the state file,
   which adds opening Fn's database), on the big database divided by the same on the small
   one. The read is a range on Fn's primary key, so it must not grow: target <= 2.
"""

import json
import os
import resource
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

from bench_api import median_of, report, throwaway_database  # first: it sets Django up
from django.core.management import call_command
from django.db import connection

from calls.ids import new_id
from calls.models import Call

CALLS = int(os.environ.get("IMPORT_CALLS", 1_000_000))
SMALL = max(CALLS // 100, 10_000)
PER_HOUR = 1_000  # the window (2 h) holds 2,000 calls in either database
NOW = datetime.now(UTC)
STATS = json.dumps(
    [{"timestamp": (NOW + timedelta(seconds=s)).isoformat(),
      "metrics": {"cpu_total": s * 7, "mem_usage": 1000 + s}} for s in range(30)]
)  # fmt: skip


def fn_database(path: Path, calls: int, app: str) -> str:
    """An Fn SQLite database of `calls` calls ending now; its URL."""
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE calls (created_at varchar(256) NOT NULL, started_at varchar(256) NOT NULL,"
        " completed_at varchar(256) NOT NULL, status varchar(256) NOT NULL,"
        " id varchar(256) NOT NULL, app_name varchar(256) NOT NULL, path varchar(256) NOT NULL,"
        " stats text, error text, PRIMARY KEY (id))"
    )
    db.execute(
        "CREATE TABLE logs (id varchar(256) NOT NULL PRIMARY KEY,"
        " app_name varchar(256) NOT NULL, log text NOT NULL)"
    )
    step = timedelta(hours=1) / PER_HOUR
    for chunk in range(0, calls, 10_000):
        rows = []
        for n in range(chunk, min(chunk + 10_000, calls)):
            created = NOW - (calls - n) * step
            rows.append((created.isoformat(timespec="milliseconds"),
                         (created + timedelta(milliseconds=5)).isoformat(timespec="milliseconds"),
                         (created + timedelta(seconds=1)).isoformat(timespec="milliseconds"),
                         "success" if n % 20 else "error", new_id(at=created), app,
                         f"/fn{n % 7}", STATS if n % 10 == 0 else "", ""))  # fmt: skip
        db.executemany("INSERT INTO calls VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        db.executemany("INSERT INTO logs VALUES (?, ?, ?)",
                       [(row[4], app, f"call {row[4]} says hello\n") for row in rows])  # fmt: skip
        db.commit()
    db.close()
    return f"sqlite3://{path}"


def import_from(url: str, state: Path) -> None:
    call_command("import_fn_calls", "--from", url, "--state-file", str(state), stdout=StringIO())


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="fnweb-bench-import-") as name:
        measure(Path(name))


def measure(folder: Path) -> None:
    big = fn_database(folder / "big.db", CALLS, "big")
    small = fn_database(folder / "small.db", SMALL, "small")
    with throwaway_database():
        import_from(small, folder / "small.state")
        before = peak_mib()
        start = time.perf_counter()
        import_from(big, folder / "big.state")
        took = time.perf_counter() - start
        after = peak_mib()
        assert Call.objects.filter(app_id="big").count() == CALLS
        # Idle rounds, alternating so that both see the same machine load.
        rounds = {big: [], small: []}
        for _ in range(5):
            for url, state in ((big, "big.state"), (small, "small.state")):
                rounds[url].append(median_of(3, lambda: import_from(url, folder / state)))  # noqa: B023
    per_round = {url: statistics.median(times) for url, times in rounds.items()}
    ratio = per_round[big] / per_round[small]
    report(
        f"fnweb import benchmark on {connection.vendor}: {CALLS:,} Fn calls imported from "
        f"SQLite in {took:.0f} s ({CALLS / took:,.0f} calls/s); peak memory {after:.0f} MiB "
        f"({before:.0f} MiB before the import); an idle follow round takes "
        f"{per_round[big] * 1000:.0f} ms at {CALLS:,} calls, {per_round[small] * 1000:.0f} ms "
        f"at {SMALL:,}",
        [(f"follow round at {CALLS:,} calls / at {SMALL:,} calls", ratio, "target <= 2")],
    )


if __name__ == "__main__":
    main()
