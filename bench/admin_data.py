"""A month of realistic calls for bench_admin.py, written as files that PostgreSQL's COPY and
MariaDB's LOAD DATA read, far faster than inserting them row by row; and the raw DELETE that
bench_admin.py and bench_purge.py measure a purge against. Django is set up before this is
imported."""

import random
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import orjson
from django.db import connection, transaction

from calls.demo import histogram
from calls.ids import new_id
from calls.models import CallPath
from calls.stats import MIB, peak_memory_share

APPS = {app: [f"/{app}/{verb}" for verb in ("run", "resize", "sync", "notify")]
        for app in ("etl", "shop", "media", "reports", "auth")}  # fmt: skip


def histograms(count: int) -> list[list[dict]]:
    """`count` different histograms of Fn's nine metrics, a point a second for 1 to 30
    seconds, drawn as the demo draws them; calls take them in turn (drawing one per call would
    take most of the load's time)."""
    rng = random.Random(14)
    drawn = []
    for n in range(count):
        points = histogram(rng, 0, 1 + n * 7 % 30, 256 * MIB, 90 * MIB, 40, False)
        drawn.append([metrics for _, metrics in points])
    return drawn


# Each histogram's points' metrics as stored JSON (names sorted), and its peak CPU and memory.
HISTOGRAMS = histograms(997)
POOL = [[orjson.dumps(dict(sorted(m.items()))).decode() for m in h] for h in HISTOGRAMS]
PEAKS = [(max(m["cpu_total"] for m in h), max(m["mem_usage"] for m in h), peak_memory_share(h))
         for h in HISTOGRAMS]  # fmt: skip
CALL_COLUMNS = ("id", "app_name", "path", "status", "created_at", "started_at", "completed_at",
                "error", "stats", "peak_cpu_total", "peak_mem_usage", "peak_mem_share",
                "duration_us")  # fmt: skip


def rows(count: int, now: datetime, folder: Path) -> tuple[Path, Path]:
    """Tab-separated files of `count` calls over the 30 days before `now` (oldest first, so
    ids come in order) and their logs, in the text format both COPY and LOAD DATA read."""
    pairs = [(app, path) for app, paths in APPS.items() for path in paths]
    start = now - timedelta(days=30)
    step = timedelta(days=30) / count
    calls, logs = folder / "calls.tsv", folder / "logs.tsv"
    with calls.open("w") as call_file, logs.open("w") as log_file:
        for i in range(count):
            created = start + i * step
            call_id = new_id(at=created)
            app, path = pairs[i * 7 % len(pairs)]
            status, error = ("error", "exit status 1") if i % 20 == 3 else ("success", "")
            status = "timeout" if i % 50 == 7 else status
            metrics = POOL[i % len(POOL)]
            seconds = len(metrics)
            at = int(created.timestamp())
            stats = "[" + ",".join(
                f'{{"timestamp":"{time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at + s))}.000Z",'
                f'"metrics":{point}}}'
                for s, point in enumerate(metrics)
            ) + "]"
            cpu, mem, share = PEAKS[i % len(POOL)]
            run_ms = seconds * 1000 - i % 900
            times = [(created + timedelta(milliseconds=ms)).strftime("%Y-%m-%d %H:%M:%S.%f")
                     for ms in (0, 5, 5 + run_ms)]  # fmt: skip
            call_file.write("\t".join([call_id, app, path, status, *times, error, stats,
                                       str(cpu), str(mem), str(share), str(run_ms * 1000)])
                            + "\n")  # fmt: skip
            log_file.write(f"{call_id}\tstarting {path}\\ndone in {i % 2000} ms\\n\n")
    return calls, logs


def load(count: int, now: datetime) -> None:
    with tempfile.TemporaryDirectory() as folder:
        calls, logs = rows(count, now, Path(folder))
        for app, paths in APPS.items():
            CallPath.record(app, set(paths))  # the apps and paths, as ingest keeps them
        for table, columns, data in (("calls_call", CALL_COLUMNS, calls),
                                     ("calls_calllog", ("id", "text"), logs)):  # fmt: skip
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor, data.open("rb") as source:
                    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                    with cursor.cursor.copy(sql) as copy:
                        while block := source.read(1 << 20):
                            copy.write(block)
            else:
                import pymysql

                db = connection.settings_dict
                with pymysql.connect(host=db["HOST"], port=int(db["PORT"] or 3306),
                                     user=db["USER"], password=db["PASSWORD"],
                                     database=db["NAME"], local_infile=True) as raw:  # fmt: skip
                    with raw.cursor() as cursor:
                        cursor.execute(
                            f"LOAD DATA LOCAL INFILE '{data}' INTO TABLE {table}"
                            f" CHARACTER SET utf8mb4 ({', '.join(columns)})"
                        )
                    raw.commit()


def analyze(*tables: str) -> None:
    """What autovacuum and InnoDB's statistics do by themselves on a live table."""
    with connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "postgresql":
                cursor.execute(f"VACUUM ANALYZE {table}")
            else:
                cursor.execute(f"ANALYZE TABLE {table}")
                cursor.fetchall()


def settle(most_seconds: float = 120) -> float:
    """Wait, on MariaDB/MySQL, for InnoDB to finish purging what earlier deletes left, and
    return the seconds waited. It removes deleted rows after their commit, in the background:
    a delete measured right after another would pay for both (a raw DELETE timed after a purge
    took 1.3x to 1.5x the same DELETE before it), and a purge's batches pay for each other's
    as they go, where one raw DELETE leaves all of it for after its commit."""
    start = time.monotonic()
    if connection.vendor != "mysql":
        return 0.0
    with connection.cursor() as cursor:
        while time.monotonic() < start + most_seconds:
            cursor.execute("SELECT count FROM information_schema.INNODB_METRICS"
                           " WHERE name = 'trx_rseg_history_len'")  # fmt: skip
            if not cursor.fetchone()[0]:  # transactions whose undo logs await purging
                break
            time.sleep(0.1)
    return time.monotonic() - start


def copy_tables() -> None:
    """raw_calls_call and raw_calls_calllog: copies of both tables (PostgreSQL or MariaDB),
    indexes, table options and the logs' foreign key included, analyzed."""
    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        for table in ("calls_call", "calls_calllog"):
            like = f"(LIKE {table} INCLUDING ALL)" if postgresql else f"LIKE {table}"
            cursor.execute(f"CREATE TABLE raw_{table} {like}")
            cursor.execute(f"INSERT INTO raw_{table} SELECT * FROM {table}")
        if not postgresql:
            cursor.execute("SET foreign_key_checks = 0")  # the rows match: no table copy
        cursor.execute("ALTER TABLE raw_calls_calllog ADD FOREIGN KEY (id)"
                       " REFERENCES raw_calls_call (id)")  # fmt: skip
        if not postgresql:
            cursor.execute("SET foreign_key_checks = 1")
    analyze("raw_calls_call", "raw_calls_calllog")


def raw_delete(cutoff: datetime) -> None:
    """On the copies: the calls created before `cutoff` and their logs, logs then calls, in
    one transaction, as one would by hand."""
    if connection.vendor == "postgresql":
        logs = (
            "DELETE FROM raw_calls_calllog"
            " WHERE id IN (SELECT id FROM raw_calls_call WHERE created_at < %s)"
        )
    else:  # MariaDB runs an IN (subquery) of a DELETE once per log row
        logs = ("DELETE raw_calls_calllog FROM raw_calls_calllog JOIN raw_calls_call USING (id)"
                " WHERE raw_calls_call.created_at < %s")  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(logs, [cutoff])
        cursor.execute("DELETE FROM raw_calls_call WHERE created_at < %s", [cutoff])


def drop_copies() -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE raw_calls_calllog, raw_calls_call")
