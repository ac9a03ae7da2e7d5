"""Retention: deleting calls and their logs in short batches, as `purge_calls` and the admin do.

A batch is a range of the oldest ids (fnweb's and Fn's ids grow with time), deleted from both
tables without the ids travelling to Python and back: on PostgreSQL in one statement, elsewhere
in one DELETE per table. Batches grow while they stay well under BATCH_SECONDS, so a
big purge pays few commits while each transaction still holds its rows' locks only briefly.
"""

import time
from collections.abc import Callable

from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet, sql

from calls.models import Call, CallLog
from calls.retries import Retry, with_retries

FIRST_BATCH = 1000
MAX_BATCH = 50_000
# The longest a batch's transaction should take; a batch under half of it doubles the next.
BATCH_SECONDS = 0.5


def purge(
    calls: QuerySet[Call],
    batch_size: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Delete these calls and their logs in batches, each its own short transaction, oldest id
    first. The batches start at FIRST_BATCH calls and grow or shrink towards BATCH_SECONDS;
    `batch_size` fixes them instead. Returns the number deleted; `progress(deleted so far)` is
    called after each batch. Rollups stay: they outlive the calls."""
    deleted, last, size = 0, "", batch_size or FIRST_BATCH
    while True:
        start = time.monotonic()
        count, last = with_retries(lambda: delete_batch(calls, last, size))  # noqa: B023
        deleted += count
        if progress and count:
            progress(deleted)
        if last is None:
            return deleted
        if not batch_size:
            took = time.monotonic() - start
            if took < BATCH_SECONDS / 2:
                size = min(MAX_BATCH, size * 2)
            elif took > BATCH_SECONDS:
                size = max(FIRST_BATCH, size // 2)


def delete_batch(calls: QuerySet[Call], after: str, size: int) -> tuple[int, str | None]:
    """Delete the first `size` of these calls with ids after `after`, and their logs, in one
    transaction (delete() would load every call, stats and all, to find its log). Returns the
    calls deleted and the batch's last id, None when no call is left after it.

    The batch is a range of ids, its last one found first (one row, not the batch's ids), then
    deleted from each table with a raw DELETE's shape: by the range, so that no plan reads a
    table whole for a batch of it, as a join with a list of ids may."""
    ids = calls.filter(pk__gt=after).order_by("pk").values("id")[:size]
    first, params = ids.query.get_compiler(ids.db).as_sql()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id), COUNT(*) FROM ({first}) batch", params)
        end, found = cursor.fetchone()
    if end is None:
        return 0, None
    batch = calls.filter(pk__gt=after, pk__lte=end)
    logs = CallLog.objects.filter(pk__gt=after, pk__lte=end)
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                deleted = delete_at_once(batch, logs)
            else:
                # MariaDB checks the logs' key at once, not at commit, so there the logs go
                # first, and a deadlock with an ingest is aborted and run again. SQLite lets
                # one writer in at a time.
                delete_logs(batch, logs)
                deleted = batch._raw_delete(batch.db)
    except IntegrityError as error:
        # A log an ingest wrote, for a call of the batch, after the batch's statement that
        # deletes logs began (a statement sees what was committed when it began): the logs'
        # key refuses the batch, which runs again and takes that log too.
        raise Retry from error
    return deleted, end if found == size else None


def delete_at_once(calls: QuerySet[Call], logs: QuerySet[CallLog]) -> int:
    """PostgreSQL: the calls, then their logs, in one statement. Ingest's order: it locks
    calls before it writes their logs, so a purge and an ingest never wait on each other in a
    circle. PostgreSQL runs the logs' DELETE, which nothing reads, once the query that reads the
    calls' DELETE is done; the logs' key is checked at commit."""
    gone, gone_params = delete_sql(calls)
    logs, logs_params = delete_sql(logs)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH gone AS ({gone} RETURNING id),"
            f" logs AS ({logs} AND id IN (SELECT id FROM gone))"
            " SELECT COUNT(*) FROM gone",
            (*gone_params, *logs_params),
        )
        return cursor.fetchone()[0]


def delete_logs(calls: QuerySet[Call], logs: QuerySet[CallLog]) -> None:
    """The logs of these calls, within the logs' range. MariaDB and MySQL join: they would run
    an IN (subquery) once per log row of the range. SQLite has no joined DELETE."""
    if connection.vendor != "mysql":
        logs.filter(call__in=calls.values("pk"))._raw_delete(logs.db)
        return
    ids, params = calls.values("id").query.get_compiler(calls.db).as_sql()
    table = connection.ops.quote_name(CallLog._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE {table} FROM {table} JOIN ({ids}) batch USING (id)", params)


def delete_sql(rows: QuerySet) -> tuple[str, tuple]:
    """The DELETE of these rows, as QuerySet._raw_delete runs it."""
    query = rows.query.clone()
    query.__class__ = sql.DeleteQuery
    return query.get_compiler(rows.db).as_sql()
