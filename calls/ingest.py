"""Posted calls to stored calls: validate every call first, then store the batch all or nothing.

The one way in, for the ingest endpoint (`receive`) and the bulk commands (`receive_each`), so
all accept exactly the same fields, give the same messages and count the same metrics.
"""

import re
from datetime import datetime

from calls import metrics
from calls.fntime import GO_ZERO_TIME_NS, from_ns, parse_timestamp
from calls.ids import new_id
from calls.models import App, Call
from calls.reduction import reduce_points
from calls.stats import StatsError, parse_points
from calls.storing import Incoming, IngestError, store, store_each
from calls.text import unstorable

# The fields a call is posted with: Fn's Call as Fn stored it, plus its log. The OpenAPI
# schema's IngestCallSerializer documents exactly these (tests/api/test_schema.py checks).
STORED_FIELDS = {
    "id", "app_name", "path", "status", "created_at", "started_at", "completed_at", "error",
    "log", "stats",
}  # fmt: skip
# Fields of Fn's Call that Fn itself never stored; a sender posting Fn's JSON may include them.
FN_FIELDS_NOT_STORED = {
    "image", "delay", "type", "format", "payload", "url", "method", "priority", "timeout",
    "idle_timeout", "memory", "base_env", "env_vars",
}  # fmt: skip

# What one call may carry, so that no request can make fnweb store, or a list page load,
# more than a stated amount: a day of one-a-second samples before reduction (Fn's calls
# time out long before), Fn's own 1 MiB cap on a log, and an error text of a page or so.
MAX_RAW_POINTS = 86_400
MAX_LOG_LENGTH = 1024 * 1024
MAX_ERROR_LENGTH = 64 * 1024

APP_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")
# Ids end up in URL paths (/calls/{id}), so they keep to characters that need no escaping.
CALL_ID = re.compile(r"[A-Za-z0-9_.:~-]{1,255}")


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
        if problem := unstorable(value):
            raise IngestError(f"{where}.{field} {problem}")
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
        if ns == GO_ZERO_TIME_NS:  # Go's zero time: Fn's way of saying "not set"
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
        raise IngestError(f"{where}.status {Call.STATUS_RULE}")
    created_at = time("created_at", required=True)
    call = Call(
        id=call_id or new_id(at=created_at),
        app_id=app_name,
        path=text("path", required=True, max_length=256),
        status=status,
        created_at=created_at,
        started_at=time("started_at"),
        completed_at=time("completed_at"),
        error=text("error", max_length=MAX_ERROR_LENGTH),
    )
    # Each time no earlier than the one before it (a call may lack any of the later ones).
    times = [(name, getattr(call, name)) for name in ("created_at", "started_at", "completed_at")]
    known = [(name, moment) for name, moment in times if moment is not None]
    for (earlier, before), (later, after) in zip(known, known[1:], strict=False):
        if after < before:
            raise IngestError(f"{where}.{later} is before {earlier}")
    # Fn sends null for a call without stats; anything else must be a histogram.
    raw_stats = data.get("stats")
    if isinstance(raw_stats, list) and len(raw_stats) > MAX_RAW_POINTS:
        raise IngestError(
            f"{where}.stats has {len(raw_stats)} points; the limit is {MAX_RAW_POINTS}", 413
        )
    try:
        points = [] if raw_stats is None else parse_points(raw_stats)
    except StatsError as e:
        raise IngestError(f"{where}.{e}") from None
    reduced = reduce_points(points)
    call.set_stats(reduced)
    log = text("log", max_length=MAX_LOG_LENGTH) if "log" in data else None
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


def receive(app_name: str, body: object, max_calls: int) -> list[dict]:
    """The ingest endpoint's way in: a posted body stored all or nothing, as store() does.
    A refused batch is counted in the metrics, with the calls it carried."""
    try:
        return store(app_name, parse_batch(app_name, body, max_calls))
    except IngestError:
        calls = body.get("calls") if isinstance(body, dict) else None
        metrics.BATCHES.labels("rejected").inc()
        refused = len(calls) if isinstance(calls, list) else 1
        metrics.CALLS_REJECTED.labels(app_label(app_name)).inc(refused)
        raise


def receive_each(app_name: str, posted: list[object]) -> tuple[list[dict], dict[int, IngestError]]:
    """The bulk commands' way in: store every call of `posted` that can be stored, and name
    the others. Returns store()'s results for the stored calls and the errors by position in
    `posted`; refused calls are counted in the metrics."""
    errors: dict[int, IngestError] = {}
    try:
        check_app_name(app_name)
        parsed = {}
        for index, data in enumerate(posted):
            try:
                parsed[index] = parse_call(app_name, data)
            except IngestError as e:
                errors[index] = e
    except IngestError as e:
        parsed, errors = {}, dict.fromkeys(range(len(posted)), e)
    results: list[dict] = []
    if parsed:  # else not even the app is stored
        results, store_errors = store_each(app_name, list(parsed.values()))
        positions = list(parsed)
        errors |= {positions[index]: error for index, error in store_errors.items()}
    if errors:
        metrics.CALLS_REJECTED.labels(app_label(app_name)).inc(len(errors))
    return results, errors


def app_label(app_name: str) -> str:
    """The app's name as a metrics label when the app is stored; otherwise "other", so that
    refused batches posted to made-up apps cannot add series without bound."""
    return app_name if App.objects.filter(name=app_name).exists() else "other"
