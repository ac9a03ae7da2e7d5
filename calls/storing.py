"""Validated calls to rows: store a batch all or nothing, safely under concurrent requests,
and count what was stored in the metrics. `calls.ingest` validates what arrives first."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models.constants import OnConflict

from calls import metrics, rollups
from calls.models import Call, CallLog, CallPath
from calls.retries import Retry, with_retries
from calls.stats import Point, counter_total


class IngestError(Exception):
    """A call that cannot be stored; nothing of its batch is stored."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class Incoming:
    call: Call
    log: str | None
    points_received: int
    points: list[Point]  # as stored, after reduction
    created: bool = False  # set by store() once the call is a new row


def store(app_name: str, batch: list[Incoming]) -> list[dict]:
    """Store a validated batch in one transaction: new calls are created, stored calls that a
    report may replace (Call.replaceable_by) are replaced, the others stay as they are, so a
    retried send is harmless however many copies race. A transaction the database aborted
    (a deadlock, a serialization failure) runs again.

    Returns `{"id", "created"}` per call, in the batch's order.
    """
    created, replaced = with_retries(lambda: _store(app_name, batch))
    for incoming in batch:
        incoming.created = incoming.call.id in created
    count_stored([incoming for incoming in batch if incoming.created] + replaced)
    return [{"id": incoming.call.id, "created": incoming.created} for incoming in batch]


def store_each(app_name: str, batch: list[Incoming]) -> tuple[list[dict], dict[int, IngestError]]:
    """Store what can be stored: the batch in one transaction, or when one call spoils it,
    each call alone. Returns store()'s results and the errors by position in the batch."""
    try:
        return store(app_name, batch), {}
    except IngestError:
        results, errors = [], {}
        for index, incoming in enumerate(batch):
            try:
                results += store(app_name, [incoming])
            except IngestError as e:
                errors[index] = e
        return results, errors


def _store(app_name: str, batch: list[Incoming]) -> tuple[set[str], list[Incoming]]:
    """The ids the batch created and the calls it replaced, in one transaction.

    Every transaction takes its row locks in the same order, calls by id before their logs
    (as purge does), so two batches sharing ids never wait on each other in a circle.
    """
    batch = sorted(batch, key=lambda incoming: incoming.call.id)
    ids = [incoming.call.id for incoming in batch]
    with transaction.atomic():
        CallPath.record(app_name, {incoming.call.path for incoming in batch})
        stored = lock_calls(ids)
        new = [incoming.call for incoming in batch if incoming.call.id not in stored]
        created = insert_new(new)
        # Stored by another request since the lock above: now theirs to lock.
        stored |= lock_calls([i for i in ids if i not in stored and i not in created])
        if len(stored) + len(created) < len(ids):
            raise Retry  # purged between our insert and our lock
        replaced = []
        for incoming in batch:
            if incoming.call.id in created:
                continue
            app, status = stored[incoming.call.id]
            if app != app_name:
                raise IngestError(f"Call {incoming.call.id} is stored in another app", 409)
            if status in Call.replaceable_by(incoming.call.status):
                replace(incoming.call)
                replaced.append(incoming)
        written = [incoming for incoming in batch if incoming.call.id in created] + replaced
        # A replacing report that carries a log replaces the log too; without one, it stays.
        CallLog.objects.filter(
            call_id__in=[incoming.call.id for incoming in replaced if incoming.log is not None]
        ).delete()
        CallLog.objects.bulk_create(
            CallLog(call_id=incoming.call.id, text=incoming.log)
            for incoming in written
            if incoming.log is not None
        )
        # Each call becomes finished once: created finished, or replacing an unfinished one.
        rollups.record(rollups.observe(incoming.call, incoming.points) for incoming in written)
    return created, replaced


def lock_calls(ids: list[str]) -> dict[str, tuple[str, str]]:
    """{id: (app, status)} of the stored calls among `ids`, locked until the transaction ends,
    in id order."""
    if not ids:
        return {}
    rows = Call.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    return {pk: (app, status) for pk, app, status in rows.values_list("pk", "app_id", "status")}


def insert_new(calls: list[Call]) -> set[str]:
    """Insert the calls no row holds yet, and return their ids: one INSERT that skips ids
    already stored (ON CONFLICT DO NOTHING, or MariaDB's INSERT IGNORE) and RETURNING the ids
    it wrote, so a call another request stored a moment ago is not an error. Django's
    bulk_create(ignore_conflicts=True) cannot say which rows it wrote, hence its inner _insert."""
    if not calls:
        return set()
    fields = Call._meta.concrete_fields
    rows = Call.objects._insert(
        calls, fields, returning_fields=[Call._meta.pk], on_conflict=OnConflict.IGNORE
    )
    return {row[0] for row in rows if row}  # one skipped row comes back as None


def replace(call: Call) -> None:
    """Write a report over the stored call of the same id (locked by lock_calls)."""
    fields = [field for field in Call._meta.concrete_fields if not field.primary_key]
    values = {field.attname: field.pre_save(call, False) for field in fields}
    Call.objects.filter(pk=call.pk).update(**values)


def count_stored(stored: list[Incoming]) -> None:
    """Count a stored batch in the metrics: its calls, its points, and each finished call's
    figures. `stored` holds the calls written (created, or replacing an unfinished report).
    Only finished calls are observed: an unfinished one is observed when its final report
    replaces it, and a finished call is never replaced, so each call counts once."""
    metrics.BATCHES.labels("accepted").inc()
    metrics.POINTS_RECEIVED.inc(sum(incoming.points_received for incoming in stored))
    for incoming in stored:
        call, points = incoming.call, incoming.points
        metrics.CALLS_INGESTED.labels(call.app_id, call.status).inc()
        metrics.POINTS_STORED.inc(len(points))
        if call.status in Call.UNFINISHED:
            continue
        if call.duration is not None:
            metrics.CALL_DURATION.labels(call.app_id, call.status).observe(
                call.duration.total_seconds()
            )
        if call.peak_cpu_total is not None:
            metrics.CALL_PEAK_CPU.labels(call.app_id).observe(call.peak_cpu_total)
        if call.peak_mem_usage is not None:
            metrics.CALL_PEAK_MEMORY.labels(call.app_id).observe(call.peak_mem_usage)
        if points:
            network = counter_total(points, "net_rx") + counter_total(points, "net_tx")
            disk = counter_total(points, "disk_read") + counter_total(points, "disk_write")
            metrics.CALL_NETWORK.labels(call.app_id).observe(network)
            metrics.CALL_DISK.labels(call.app_id).observe(disk)


def attach_logs(logs: dict[str, str]) -> int:
    """Give stored calls that have no log the log that came after them: Fn writes a call's log
    in its own statement after the call, so an importer can meet the call first. A log already
    stored stays, as a finished call does. Texts as parse_call() accepts them. Returns how many
    logs were added."""
    with transaction.atomic():
        missing = Call.objects.filter(pk__in=logs, log__isnull=True).values_list("pk", flat=True)
        # ignore_conflicts: a log stored meanwhile by another sender is kept, not an error.
        added = CallLog.objects.bulk_create(
            [CallLog(call_id=pk, text=logs[pk]) for pk in missing], ignore_conflicts=True
        )
    return len(added)
