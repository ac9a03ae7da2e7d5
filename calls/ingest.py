"""Posted calls to stored calls: validate every call first, then store the batch all or nothing.

Used by the ingest endpoint and by the `ingest_calls` command, so both accept exactly the same
fields and give the same messages.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction

from calls import metrics
from calls.ids import new_id
from calls.models import App, Call, CallLog
from calls.stats import Point, StatsError, from_ns, parse_points, parse_timestamp, reduce_points

STORED_FIELDS = {
    "id", "app_name", "path", "status", "created_at", "started_at", "completed_at", "error",
    "log", "stats",
}  # fmt: skip
# Fields of Fn's Call that Fn itself never stored; a sender posting Fn's JSON may include them.
FN_FIELDS_NOT_STORED = {
    "image", "delay", "type", "format", "payload", "url", "method", "priority", "timeout",
    "idle_timeout", "memory", "base_env", "env_vars",
}  # fmt: skip

APP_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")
# Ids end up in URL paths (/calls/{id}), so they keep to characters that need no escaping.
CALL_ID = re.compile(r"[A-Za-z0-9_.:~-]{1,255}")
ZERO_TIME_NS = parse_timestamp("0001-01-01T00:00:00Z")


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


def check_app_name(name: str) -> None:
    if not APP_NAME.fullmatch(name):
        raise IngestError("App names are 1 to 255 letters, digits, '-' or '_'")


def parse_call(app_name: str, data: object, where: str = "call") -> Incoming:
    """Validate one posted call (Fn's Call JSON plus `log`) and build it, stats reduced."""
    if not isinstance(data, dict):
        raise IngestError(f"{where} must be an object")
    unknown = sorted(set(data) - STORED_FIELDS - FN_FIELDS_NOT_STORED)
    if unknown:
        raise IngestError(f"{where}.{unknown[0]} is not a field of a call")
    if data.get("app_name", app_name) != app_name:
        raise IngestError(f"{where}.app_name {data['app_name']!r} differs from app {app_name!r}")

    def text(field: str, required: bool = False, max_length: int | None = None) -> str:
        value = data.get(field, "")
        if not isinstance(value, str):
            raise IngestError(f"{where}.{field} must be a string")
        if required and not value:
            raise IngestError(f"{where}.{field} is required")
        if "\x00" in value:  # PostgreSQL cannot store it
            raise IngestError(f"{where}.{field} must not contain NUL characters")
        if max_length and len(value) > max_length:
            raise IngestError(f"{where}.{field} is longer than {max_length} characters")
        return value

    def time(field: str, required: bool = False) -> datetime | None:
        value = text(field, required)
        if not value:
            return None
        try:
            ns = parse_timestamp(value)
        except ValueError as e:
            raise IngestError(f"{where}.{field}: {e}") from None
        if ns == ZERO_TIME_NS:  # Go's zero time: Fn's way of saying "not set"
            if required:
                raise IngestError(f"{where}.{field} is required")
            return None
        if ns < 0:  # ids carry the creation time in milliseconds since 1970
            raise IngestError(f"{where}.{field} is before 1970")
        return from_ns(ns)

    call_id = text("id")
    # "." and ".." would be read as path segments in /calls/{id}, never reaching the call.
    if call_id and (not CALL_ID.fullmatch(call_id) or not call_id.strip(".")):
        raise IngestError(
            f"{where}.id must be 1 to 255 letters, digits or any of '_.:~-' (not dots alone),"
            f" got {call_id!r}"
        )
    status = text("status", required=True)
    if status not in Call.Status.values:
        raise IngestError(f"{where}.status must be one of {', '.join(Call.Status.values)}")
    created_at = time("created_at", required=True)
    call = Call(
        id=call_id or new_id(at=created_at),
        app_id=app_name,
        path=text("path", required=True, max_length=256),
        status=status,
        created_at=created_at,
        started_at=time("started_at"),
        completed_at=time("completed_at"),
        error=text("error"),
    )
    # Fn sends null for a call without stats; anything else must be a histogram.
    raw_stats = data.get("stats")
    try:
        points = [] if raw_stats is None else parse_points(raw_stats)
    except StatsError as e:
        raise IngestError(f"{where}.{e}") from None
    reduced = reduce_points(points)
    call.set_stats(reduced)
    log = text("log") if "log" in data else None
    return Incoming(call=call, log=log, points_received=len(points), points=reduced)


def parse_batch(app_name: str, body: object, max_calls: int) -> list[Incoming]:
    """`{"call": {...}}` or `{"calls": [...]}`, every call valid or an IngestError."""
    check_app_name(app_name)
    if isinstance(body, dict) and set(body) == {"call"}:
        return [parse_call(app_name, body["call"])]
    if not (isinstance(body, dict) and set(body) == {"calls"} and isinstance(body["calls"], list)):
        raise IngestError('Send {"call": {...}} or {"calls": [...]}')
    if not body["calls"]:
        raise IngestError("calls is empty")
    if len(body["calls"]) > max_calls:
        raise IngestError(f"{len(body['calls'])} calls in one request; the limit is {max_calls}")
    batch = [parse_call(app_name, data, f"calls[{i}]") for i, data in enumerate(body["calls"])]
    first_index: dict[str, int] = {}
    for index, incoming in enumerate(batch):
        earlier = first_index.setdefault(incoming.call.id, index)
        if earlier != index:
            raise IngestError(f"calls[{index}].id repeats calls[{earlier}].id")
    return batch


def store(app_name: str, batch: list[Incoming]) -> list[dict]:
    """Store a validated batch in one transaction: new calls are created, calls stored as
    unfinished are replaced, finished calls stay as they are (so a retried send is harmless).

    Returns `{"id", "created"}` per call, in the batch's order.
    """
    try:
        stored = _store(app_name, batch)
    except IntegrityError:
        # Another request stored one of these ids between our read and our insert: once more,
        # now that the row is visible, and it is treated like any stored call.
        try:
            stored = _store(app_name, batch)
        except IntegrityError:
            raise IngestError("A call id in this batch conflicts with a stored call", 409) from None
    metrics.record_ingested(
        [(incoming.call, incoming.points) for incoming in stored],
        sum(incoming.points_received for incoming in stored),
    )
    return [{"id": incoming.call.id, "created": incoming.created} for incoming in batch]


def store_each(app_name: str, batch: list[Incoming]) -> tuple[list[dict], dict[int, IngestError]]:
    """For the commands, which store what they can and name what they cannot: the batch in one
    transaction, or when one call spoils it, each call alone. Returns store()'s results and
    the errors by position in the batch."""
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


def _store(app_name: str, batch: list[Incoming]) -> list[Incoming]:
    """The calls of the batch that were written (created or replaced), in one transaction."""
    ids = [incoming.call.id for incoming in batch]
    with transaction.atomic():
        App.objects.get_or_create(name=app_name)
        stored = {
            pk: (app, status)
            for pk, app, status in Call.objects.filter(pk__in=ids).values_list(
                "pk", "app_id", "status"
            )
        }
        new, replaced = [], []
        for incoming in batch:
            if incoming.call.id not in stored:
                new.append(incoming)
                continue
            app, status = stored[incoming.call.id]
            if app != app_name:
                raise IngestError(f"Call {incoming.call.id} is stored in another app", 409)
            if status in Call.UNFINISHED:
                replaced.append(incoming)
        Call.objects.bulk_create([incoming.call for incoming in new])
        for incoming in replaced:
            incoming.call.save(force_update=True)
        logged = [incoming for incoming in new + replaced if incoming.log is not None]
        # A replacing report that carries a log replaces the log too; without one, it stays.
        CallLog.objects.filter(
            call_id__in=[incoming.call.id for incoming in replaced if incoming.log is not None]
        ).delete()
        CallLog.objects.bulk_create(
            [CallLog(call_id=incoming.call.id, text=incoming.log) for incoming in logged]
        )
    for incoming in new:
        incoming.created = True
    return new + replaced


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
