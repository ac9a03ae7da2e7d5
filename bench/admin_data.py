"""A month of realistic calls for bench_admin.py, written as files that PostgreSQL's COPY and
MariaDB's LOAD DATA read, far faster than inserting them row by row. Django is set up by
bench_admin.py before this is imported."""

import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from django.db import connection

from calls.ids import new_id
from calls.models import CallPath

APPS = {app: [f"/{app}/{verb}" for verb in ("run", "resize", "sync", "notify")]
        for app in ("etl", "shop", "media", "reports", "auth")}  # fmt: skip
CALL_COLUMNS = ("id", "app_name", "path", "status", "created_at", "started_at", "completed_at",
                "error", "stats", "peak_cpu_total", "peak_mem_usage")  # fmt: skip


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
            cpu, mem = 10 + i % 90, 1_000_000 + i % 5_000_000
            stats = (
                "["
                + ", ".join(
                    f'{{"timestamp": "{(created + timedelta(seconds=s)).isoformat()[:23]}Z",'
                    f' "metrics": {{"cpu_total": {cpu - s}, "mem_usage": {mem - s}}}}}'
                    for s in range(3)
                )
                + "]"
            )
            times = [(created + timedelta(milliseconds=ms)).strftime("%Y-%m-%d %H:%M:%S.%f")
                     for ms in (0, 5, 250 + i % 2000)]  # fmt: skip
            call_file.write("\t".join([call_id, app, path, status, *times, error, stats,
                                       str(cpu), str(mem)]) + "\n")  # fmt: skip
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
