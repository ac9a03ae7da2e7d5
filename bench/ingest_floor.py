"""The floor bench_hotpaths.py holds ingest against: the rows a batch of calls leaves, written
by the database client's executemany in one transaction per batch, nothing else."""

import json
import time


def floor_rate(bodies: list[bytes], prefix: str) -> tuple[float, float]:
    """Calls a second, and this process's CPU milliseconds per call, when the same final rows
    are written by executemany: the calls (stats as the compact JSON fnweb stores, peaks),
    their logs, and each batch's rollup rows (one per bucket, written whole: fnweb reads and
    merges them under a lock, which is its own cost). The rows are made (validated, reduced,
    aggregated) before the clock starts."""
    from django.db import connection, transaction

    from calls import rollups
    from calls.fields import json_of_sketch, orjson_text
    from calls.ingest import parse_batch

    batches = []
    for body in bodies:
        data = json.loads(body)
        for call in data["calls"]:
            call["id"] = call["id"].replace("-", f"{prefix}-", 1)
        calls, logs, seen = [], [], []
        for incoming in parse_batch("bench", data, 500):
            call = incoming.call
            call.peak_cpu_total = max(p["metrics"]["cpu_total"] for p in call.stats)
            call.peak_mem_usage = max(p["metrics"]["mem_usage"] for p in call.stats)
            times = (call.created_at, call.started_at, call.completed_at)
            calls.append((call.id, "bench", call.path, call.status, *times, "",
                          orjson_text(call.stats), call.peak_cpu_total,
                          call.peak_mem_usage))  # fmt: skip
            logs.append((call.id, incoming.log))
            seen.append(rollups.observe(call, incoming.points))
        buckets = [
            (*key, *partial.counts.values(),
             *(orjson_text(json_of_sketch(h)) for h in partial.sketches.values()),
             *partial.peaks.values())
            for key, partial in rollups.aggregate(seen).items()
        ]  # fmt: skip
        batches.append((calls, logs, buckets))
    insert = (
        "INSERT INTO calls_call (id, app_name, path, status, created_at, started_at,"
        " completed_at, error, stats, peak_cpu_total, peak_mem_usage) VALUES"
        f" ({', '.join(['%s'] * 11)})"
    )
    columns = ["app_name", "path", "step", "start", *rollups.FINISHED, *rollups.SKETCHES,
               *rollups.PEAKS]  # fmt: skip
    upsert = (
        f"INSERT INTO calls_rollup ({', '.join(columns)}) VALUES ({', '.join(['%s'] * 16)})"
        " ON CONFLICT (app_name, path, step, start) DO UPDATE SET "
        + ", ".join(f"{name} = excluded.{name}" for name in columns[4:])
    )
    start, cpu = time.monotonic(), time.process_time()
    for calls, logs, buckets in batches:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(insert, calls)
            cursor.executemany("INSERT INTO calls_calllog (id, text) VALUES (%s, %s)", logs)
            cursor.executemany(upsert, buckets)
    count = sum(len(calls) for calls, _, _ in batches)
    return count / (time.monotonic() - start), (time.process_time() - cpu) * 1000 / count
