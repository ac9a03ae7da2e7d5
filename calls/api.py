"""The v1 API: Fn's three calls endpoints, wire-compatible, plus what Fn never had (apps,
summaries, ingest). Query strings are read by `per_page` and `epoch` with Fn's rules, a call's
JSON is shaped by `call_json` alone, and every error leaves through `fn_exception_handler` in
Fn's shape."""

import base64
import functools
import logging
import re
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, renderer_classes
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from calls import metrics, schema
from calls.ingest import IngestError, parse_batch, store
from calls.models import App, Call, CallLog
from calls.renderers import FnJSONRenderer, PlainTextRenderer
from calls.reports import path_summaries
from calls.stats import NS_PER_SECOND, format_timestamp, from_ns, parse_points, summarize, to_ns

logger = logging.getLogger(__name__)

# The app stats window when neither from_time nor to_time is given.
DEFAULT_STATS_WINDOW = timedelta(hours=1)
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100
ZERO_TIME = "0001-01-01T00:00:00.000Z"  # how Go prints a time that was never set
# The columns a call's JSON needs; never the derived peaks.
CALL_COLUMNS = ("id", "app", "path", "status", "created_at", "started_at", "completed_at", "error")
_INTEGER = re.compile(r"[+-]?[0-9]+")  # as Go's strconv reads them: ASCII digits only
# Unix seconds outside what every database's datetime column holds are clamped to these.
_EARLIEST, _LATEST = (
    to_ns(datetime(year, month, day, tzinfo=UTC)) // NS_PER_SECOND
    for year, month, day in ((1000, 1, 1), (9999, 12, 31))
)


class FnError(APIException):
    """An error answered as Fn answers it: `{"error": {"message": ...}}` with Fn's status."""

    def __init__(self, message: str, status_code: int):
        super().__init__(message)
        self.status_code = status_code


def fn_exception_handler(exc, context) -> Response:
    response = exception_handler(exc, context)
    if response is None:
        # Not an API error: a bug or a database failure. Log it, answer like Fn, no traceback.
        logger.exception("error in %s", context["request"].path, exc_info=exc)
        set_rollback()
        response = Response(status=status.HTTP_500_INTERNAL_SERVER_ERROR)
        message = "internal server error"
    else:
        # DRF has turned Django's own exceptions (Http404, PermissionDenied) into its own.
        message = str(response.data.get("detail", exc))
    response.data = {"error": {"message": message}}
    # Errors are JSON even where the success would have been text (the log's text/plain).
    context["request"].accepted_renderer = FnJSONRenderer()
    context["request"].accepted_media_type = FnJSONRenderer.media_type
    return response


def path_not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    return JsonResponse(
        {"error": {"message": "Path not found"}},
        status=404,
        content_type=FnJSONRenderer.media_type + "; charset=utf-8",
    )


def fn_time(value: datetime | None) -> str:
    if value is None:
        return ZERO_TIME
    return format_timestamp(to_ns(value))


def call_json(call: Call, with_stats: bool = True) -> dict:
    """A call as Fn's server printed it: its keys in Go's order, stats and error when set."""
    data = {
        "id": call.id,
        "status": call.status,
        "app_name": call.app_id,
        "path": call.path,
        "completed_at": fn_time(call.completed_at),
        "created_at": fn_time(call.created_at),
        "started_at": fn_time(call.started_at),
    }
    if with_stats and call.stats:
        # Rebuilt because PostgreSQL's jsonb reorders keys; Go sorts metric names.
        data["stats"] = [
            {"timestamp": point["timestamp"], "metrics": dict(sorted(point["metrics"].items()))}
            for point in call.stats
        ]
    if call.error:
        data["error"] = call.error
    return data


def per_page(query) -> int:
    """Fn's rule: default 30, capped at 100, anything unreadable or below 1 is 30."""
    text = query.get("per_page", "")
    if not _INTEGER.fullmatch(text) or int(text) <= 0:
        return DEFAULT_PER_PAGE
    return min(int(text), MAX_PER_PAGE)


def epoch(query, name: str) -> datetime | None:
    """A Unix-seconds query parameter as an aware datetime; junk gets Fn's 400."""
    text = query.get(name, "")
    if not text:
        return None
    if not _INTEGER.fullmatch(text) or not -(2**63) <= int(text) < 2**63:
        raise FnError(f"{name} is not an epoch time", 400)
    return from_ns(min(max(int(text), _EARLIEST), _LATEST) * NS_PER_SECOND)


def checks_inputs(view):
    """What every v1 view checks first: an app name in the path (Fn's 400), and no NUL
    characters, which PostgreSQL can neither store nor compare and no app, call or path has."""

    @functools.wraps(view)
    def checked(request, **kwargs):
        if kwargs.get("app") == "":
            raise FnError("Missing app name", 400)
        for name, value in [*kwargs.items(), *request.query_params.items()]:
            if "\x00" in value:
                raise FnError(f"{name} must not contain NUL characters", 400)
        return view(request, **kwargs)

    return checked


def find_call(app: str, call_id: str, columns: tuple[str, ...]) -> Call:
    try:
        return Call.objects.only(*columns).get(app_id=app, pk=call_id)
    except Call.DoesNotExist:
        raise FnError("Call not found", 404) from None


@extend_schema(
    methods=["GET"],
    operation_id="GetAppsAppCalls",
    summary="Get app-bound calls, newest first",
    parameters=[
        OpenApiParameter("path", str, description="route path, exact match"),
        *schema.fn_list_parameters(),
        OpenApiParameter(
            "from_time", int, description="Unix seconds, created_at after (exclusive)"
        ),
        OpenApiParameter("to_time", int, description="Unix seconds, created_at before (exclusive)"),
        OpenApiParameter(
            "status", str, enum=Call.Status.values, description="fnweb: only this status"
        ),
        OpenApiParameter("stats", bool, description="fnweb: false leaves the histograms out"),
    ],
    responses={200: schema.CallsWrapper, **schema.errors(400, 401, 403, 404)},
)
@extend_schema(
    methods=["POST"],
    operation_id="PostAppsAppCalls",
    summary="Ingest calls (fnweb; needs `Authorization: Token <key>`)",
    request=schema.IngestRequest,
    responses={201: schema.IngestWrapper, **schema.errors(400, 401, 403, 409, 413, 415)},
)
@api_view(["GET", "POST"])
@checks_inputs
def calls(request, app: str) -> Response:
    if request.method == "POST":
        return ingest(request, app)
    query = request.query_params
    limit = per_page(query)
    with_stats = query.get("stats", "true") != "false"
    found = Call.objects.filter(app_id=app).order_by("-id")
    if cursor := query.get("cursor"):
        found = found.filter(id__lt=cursor)
    if path := query.get("path"):
        found = found.filter(path=path)
    if status_name := query.get("status"):  # empty, like an empty path, filters nothing
        if status_name not in Call.Status.values:
            raise FnError(f"status must be one of {', '.join(Call.Status.values)}", 400)
        found = found.filter(status=status_name)
    if from_time := epoch(query, "from_time"):
        found = found.filter(created_at__gt=from_time)
    if to_time := epoch(query, "to_time"):
        found = found.filter(created_at__lt=to_time)
    columns = CALL_COLUMNS + ("stats",) if with_stats else CALL_COLUMNS
    page = list(found.only(*columns)[:limit])
    if not page and not App.objects.filter(name=app).exists():
        raise FnError("App not found", 404)
    return Response(
        {
            "message": "Successfully listed calls",
            "next_cursor": page[-1].id if len(page) == limit else "",
            "calls": [call_json(call, with_stats) for call in page],
        }
    )


def ingest(request, app: str) -> Response:
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not (length.isascii() and length.isdigit()):  # Django's int() of it would be a 500
        raise FnError("Content-Length must be a number of bytes", 400)
    if int(length) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raise FnError(f"Request body is larger than the limit of {limit} bytes", 413)
    try:
        result = store(app, parse_batch(app, request.data, settings.INGEST_BATCH_SIZE))
    except IngestError as e:
        calls = request.data.get("calls") if isinstance(request.data, dict) else None
        metrics.record_rejected(app, len(calls) if isinstance(calls, list) else 1)
        raise FnError(e.message, e.status) from None
    return Response(
        {"message": "Successfully ingested calls", "calls": result}, status=status.HTTP_201_CREATED
    )


@extend_schema(
    operation_id="GetAppsAppCallsCall",
    summary="Get call information",
    responses={200: schema.CallWrapper, **schema.errors(400, 401, 403, 404)},
)
@api_view(["GET"])
@checks_inputs
def call_detail(request, app: str, call: str) -> Response:
    found = find_call(app, call, CALL_COLUMNS + ("stats",))
    return Response({"message": "Successfully loaded call", "call": call_json(found)})


@extend_schema(
    operation_id="GetAppsAppCallsCallLog",
    summary="Get call logs (Accept: text/plain for the bare log)",
    responses={200: schema.LogWrapper, **schema.errors(400, 401, 403, 404, 406)},
)
@api_view(["GET"])
@renderer_classes([FnJSONRenderer, PlainTextRenderer])
@checks_inputs
def call_log(request, app: str, call: str) -> Response:
    """Fn's later servers answer `Accept: text/plain` with the bare log; so do we."""
    log = CallLog.objects.filter(call_id=call, call__app_id=app).first()
    if log is None:
        raise FnError("Call log not found", 404)
    if request.accepted_renderer.format == "txt":
        return Response(log.text)
    return Response(
        {
            "message": "Successfully loaded log",
            "log": {"call_id": log.call_id, "log": log.text, "app_name": app},
        }
    )


@extend_schema(
    operation_id="GetAppsAppCallsCallStats",
    summary="Summaries of a call's stats (fnweb)",
    responses={200: schema.CallSummaryWrapper, **schema.errors(400, 401, 403, 404)},
)
@api_view(["GET"])
@checks_inputs
def call_stats(request, app: str, call: str) -> Response:
    """fnweb's summaries of one call's histogram (Fn had none)."""
    found = find_call(app, call, ("id", "app", "stats"))
    return Response(
        {
            "message": "Successfully summarized call stats",
            "call_id": found.id,
            "summary": summarize(parse_points(found.stats)),
        }
    )


@extend_schema(
    operation_id="GetApps",
    summary="Get all app names, alphabetically",
    parameters=schema.fn_list_parameters(),
    responses={200: schema.AppsWrapper, **schema.errors(400, 401, 403)},
)
@api_view(["GET"])
@checks_inputs
def apps(request) -> Response:
    """Fn's app list: alphabetical, the cursor is the last name in unpadded URL-safe base64."""
    query = request.query_params
    limit = per_page(query)
    found = App.objects.order_by("name")
    if cursor := query.get("cursor"):
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            after = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
        except ValueError:  # not base64, or not ASCII or UTF-8
            raise FnError("cursor is not valid", 400) from None
        found = found.filter(name__gt=after)
    page = list(found.values_list("name", flat=True)[:limit])
    next_cursor = ""
    if len(page) == limit:
        next_cursor = base64.urlsafe_b64encode(page[-1].encode()).decode().rstrip("=")
    return Response(
        {
            "message": "Successfully listed applications",
            "next_cursor": next_cursor,
            "apps": [{"name": name} for name in page],
        }
    )


@extend_schema(
    operation_id="GetAppsApp",
    summary="Get an app",
    responses={200: schema.AppWrapper, **schema.errors(400, 401, 403, 404)},
)
@api_view(["GET"])
@checks_inputs
def app_detail(request, app: str) -> Response:
    if not App.objects.filter(name=app).exists():
        raise FnError("App not found", 404)
    return Response({"message": "Successfully loaded app", "app": {"name": app}})


@extend_schema(
    operation_id="GetAppsAppStats",
    summary="Per path: calls by status, duration and peak-memory percentiles (fnweb)",
    parameters=[
        OpenApiParameter(
            "from_time", int, description="Unix seconds; default: an hour before to_time"
        ),
        OpenApiParameter("to_time", int, description="Unix seconds; default: now"),
    ],
    responses={200: schema.AppStatsWrapper, **schema.errors(400, 401, 403, 404)},
)
@api_view(["GET"])
@checks_inputs
def app_stats(request, app: str) -> Response:
    """ "Average execution time and RAM by path over the last hour", as Fn's users asked."""
    if not App.objects.filter(name=app).exists():
        raise FnError("App not found", 404)
    since = epoch(request.query_params, "from_time")
    until = epoch(request.query_params, "to_time")
    if since is None:  # an hour before to_time, or before now; never the whole table unasked
        since = (until or timezone.now()) - DEFAULT_STATS_WINDOW
    return Response(
        {
            "message": "Successfully summarized app calls",
            "app_name": app,
            "from_time": int(since.timestamp()),
            "to_time": int(until.timestamp()) if until else None,
            "paths": path_summaries(app, since, until),
        }
    )
