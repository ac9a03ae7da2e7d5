"""The v1 API: Fn's three calls endpoints, wire-compatible, plus what Fn never had (apps,
summaries, ingest). Query strings are read by the forms in `params`, a call's JSON is
`Call.to_fn_json()`, and every error leaves in Fn's shape through `errors`."""

import functools
from datetime import timedelta

import orjson
from django.conf import settings
from django.db import connection
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, renderer_classes
from rest_framework.response import Response

from calls import ingest, outliers
from calls.api import schema
from calls.api.errors import FnError
from calls.api.params import AppsQuery, CallsQuery, TimeWindowQuery, app_cursor
from calls.api.renderers import CallsRenderer, FnJSONRenderer, PlainTextRenderer
from calls.models import App, Call, CallLog
from calls.reports import path_summaries
from calls.stats import summarize
from calls.text import unstorable

# The app stats window when neither from_time nor to_time is given.
DEFAULT_STATS_WINDOW = timedelta(hours=1)


def requires_app_and_storable_text(view):
    """What every v1 view refuses first: a missing app name in the path (Fn's 400), and text
    no database can store or compare in the path or the query (no app, call or path has it)."""

    @functools.wraps(view)
    def checked(request, **kwargs):
        if kwargs.get("app") == "":
            raise FnError("Missing app name", 400)
        for name, value in [*kwargs.items(), *request.query_params.items()]:
            if problem := unstorable(value):
                raise FnError(f"{name} {problem}", 400)
        return view(request, **kwargs)

    return checked


def require_app(name: str) -> None:
    if not App.objects.filter(name=name).exists():
        raise FnError("App not found", 404)


def find_call(app: str, call_id: str, calls=Call.objects) -> Call:
    try:
        return calls.get(app_id=app, pk=call_id)
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
            "status",
            str,
            description="fnweb: only calls in these statuses: one of "
            f"{', '.join(Call.Status.values)}, or failed (error and timeout), or several "
            "separated by commas",
        ),
        OpenApiParameter("stats", bool, description="fnweb: false leaves the histograms out"),
        *schema.outlier_parameters(),
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
@renderer_classes([CallsRenderer])
@requires_app_and_storable_text
def calls(request, app: str) -> Response:
    if request.method == "POST":
        return ingest_calls(request, app)
    query = CallsQuery.read(request.query_params)
    matching = Call.objects.matching(
        app, query["path"], query["status"], query["from_time"], query["to_time"], query["sort"]
    )
    matching = outliers.narrowed(matching.for_api(query["stats"]), query)
    sort = query["sort"]
    page = list(outliers.in_order(matching, sort, query["cursor"])[: query["per_page"]])
    if not page:
        require_app(app)
    return Response(
        {
            "message": "Successfully listed calls",
            "next_cursor": (
                outliers.cursor_of(page[-1], sort) if len(page) == query["per_page"] else ""
            ),
            "calls": [call.to_fn_json(query["stats"]) for call in page],
        }
    )


def ingest_calls(request, app: str) -> Response:
    try:
        result = ingest.receive(app, read_json(request), settings.INGEST_BATCH_SIZE)
    except ingest.IngestError as e:
        raise FnError(e.message, e.status) from None
    return Response(
        {"message": "Successfully ingested calls", "calls": result}, status=status.HTTP_201_CREATED
    )


def read_json(request) -> object:
    """The request's JSON body, read once and decoded by orjson, which refuses what Python's
    json would let through to a 500 or into the database: nesting deeper than 1,024 levels,
    lone surrogates, invalid UTF-8, NaN and numbers past a double."""
    if request.content_type != "application/json":
        raise FnError(f'Unsupported media type "{request.content_type}" in request.', 415)
    try:
        return orjson.loads(read_body(request, settings.DATA_UPLOAD_MAX_MEMORY_SIZE))
    except orjson.JSONDecodeError as e:
        raise FnError(f"JSON parse error - {e}", 400) from None


def read_body(request, limit: int) -> bytes:
    """The body, at most `limit` bytes (413 past that). A chunked body has no Content-Length,
    so it is read from the server's input stream (gunicorn takes the chunks apart)."""
    too_large = FnError(f"Request body is larger than the limit of {limit} bytes", 413)
    length = request.META.get("CONTENT_LENGTH") or ""
    if not length and "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
        body = request.META["wsgi.input"].read(limit + 1)
        if len(body) > limit:
            raise too_large
        return body
    length = length or "0"
    if not (length.isascii() and length.isdigit()):  # Django's int() of it would be a 500
        raise FnError("Content-Length must be a number of bytes", 400)
    if int(length) > limit:
        raise too_large
    return request.body


@functools.cache
def one_call_sql(vendor: str) -> str:
    """The SQL of Call.objects.for_api() for one call by app and id, compiled by the ORM once
    per database: compiling it on each request cost three times what running it does. The
    filters are chained so that its parameters come in their order: the app, then the id."""
    sql, _ = Call.objects.for_api().filter(app_id="").filter(pk="").query.sql_with_params()
    return sql


@extend_schema(
    operation_id="GetAppsAppCallsCall",
    summary="Get call information",
    responses={200: schema.CallWrapper, **schema.errors(400, 401, 403, 404)},
)
@api_view(["GET"])
@renderer_classes([CallsRenderer])
@requires_app_and_storable_text
def call_detail(request, app: str, call: str) -> Response:
    found = list(Call.objects.raw(one_call_sql(connection.vendor), [app, call]))
    if not found:
        raise FnError("Call not found", 404)
    return Response({"message": "Successfully loaded call", "call": found[0].to_fn_json()})


@extend_schema(
    operation_id="GetAppsAppCallsCallLog",
    summary="Get call logs (Accept: text/plain for the bare log)",
    responses={200: schema.LogWrapper, **schema.errors(400, 401, 403, 404, 406)},
)
@api_view(["GET"])
@renderer_classes([FnJSONRenderer, PlainTextRenderer])
@requires_app_and_storable_text
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
@requires_app_and_storable_text
def call_stats(request, app: str, call: str) -> Response:
    """fnweb's summaries of one call's histogram (Fn had none)."""
    summarized = find_call(app, call, Call.objects.only("id", "app", "stats"))
    return Response(
        {
            "message": "Successfully summarized call stats",
            "call_id": summarized.id,
            "summary": summarize(summarized.points()),
        }
    )


@extend_schema(
    operation_id="GetApps",
    summary="Get all app names, alphabetically",
    parameters=schema.fn_list_parameters(),
    responses={200: schema.AppsWrapper, **schema.errors(400, 401, 403)},
)
@api_view(["GET"])
@requires_app_and_storable_text
def apps(request) -> Response:
    """Fn's app list: alphabetical, the cursor is the last name in unpadded URL-safe base64."""
    query = AppsQuery.read(request.query_params)
    names = App.objects.order_by("name").values_list("name", flat=True)
    if query["cursor"]:
        names = names.filter(name__gt=query["cursor"])
    page = list(names[: query["per_page"]])
    return Response(
        {
            "message": "Successfully listed applications",
            "next_cursor": app_cursor(page[-1]) if len(page) == query["per_page"] else "",
            "apps": [{"name": name} for name in page],
        }
    )


@extend_schema(
    operation_id="GetAppsApp",
    summary="Get an app",
    responses={200: schema.AppWrapper, **schema.errors(400, 401, 403, 404)},
)
@api_view(["GET"])
@requires_app_and_storable_text
def app_detail(request, app: str) -> Response:
    require_app(app)
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
@requires_app_and_storable_text
def app_stats(request, app: str) -> Response:
    """ "Average execution time and RAM by path over the last hour", as Fn's users asked."""
    require_app(app)
    query = TimeWindowQuery.read(request.query_params)
    since, until = query["from_time"], query["to_time"]
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
