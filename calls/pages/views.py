"""The dashboard pages. Numbers come from `calls.reports` (many calls) and `calls.stats` by way
of `charts` (one call's histogram); these views only query and render."""

import csv
import functools
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db.models import F
from django.db.models.functions import Substr
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from calls import outliers, reports
from calls.fntime import NS_PER_SECOND, format_timestamp
from calls.models import App, Call, CallLog
from calls.pages.charts import LETTERS, call_charts, compare_charts
from calls.pages.forms import CallFilterForm
from calls.pages.paging import keyset_page
from calls.stats import go_order
from calls.text import unstorable
from calls.trends import DEFAULT_WINDOW, WINDOWS, preset_since

# A time as a link puts it in a filter: to the second, in UTC, as the date inputs read it.
SECONDS = "%Y-%m-%dT%H:%M:%S"

# One letter for each call compared.
COMPARE_MAX = len(LETTERS)
# WINDOWS and DEFAULT_WINDOW (from calls.trends): the spans the overview and the list offer;
# DEFAULT_WINDOW also what the list's per-path summaries cover when neither a window nor
# "Created after" is given. Both read rollups.
# Enough of a failed call's error for its first line in the list; never the whole text.
ERROR_START = 200


def requires_read_access(view):
    """Send anonymous readers to the login page when READ_REQUIRES_LOGIN is on."""

    @functools.wraps(view)
    def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if settings.READ_REQUIRES_LOGIN and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return checked


@requires_read_access
def apps_overview(request: HttpRequest) -> HttpResponse:
    window = picked_window(request, DEFAULT_WINDOW)
    since = preset_since(window, timezone.now())
    apps = reports.apps_overview(since)
    return render(
        request,
        "apps_overview.html",
        {"apps": apps, "windows": WINDOWS, "window": window, "since": since},
    )


@requires_read_access
def calls_list(request: HttpRequest, app: str) -> HttpResponse:
    app_obj = get_object_or_404(App, name=app)
    paths = list(app_obj.paths.order_by("path").values_list("path", flat=True))
    form = CallFilterForm(request.GET, paths)
    context = {"app": app_obj, "form": form, "has_calls": bool(paths)}
    if not form.is_valid():
        # Nothing was searched: the form and its errors, without summaries or a list.
        return render(request, "calls_list.html", context, status=400)

    wanted = form.cleaned_data
    now = timezone.now()
    since = form.created_after(now)
    # "Created after" takes in the moment it names, as a bucket of the trends (and their links
    # here) does; matching()'s bound is exclusive, as Fn's from_time is, so it reaches back a
    # microsecond, the databases' precision.
    after = since - timedelta(microseconds=1) if since else None
    calls = Call.objects.matching(
        app, wanted["path"], wanted["status"], after, wanted["until"], wanted["sort"]
    )
    calls = outliers.narrowed(calls, wanted)
    # The first line of an error is all the list shows: read its start, not all of it.
    calls = calls.for_list().annotate(error_start=Substr("error", 1, ERROR_START))
    page, newer, older = keyset_page(calls, wanted["sort"], wanted["cursor"], wanted["after"])
    # Paths outlive purged calls: an empty page asks (one index lookup) whether any is left.
    context["has_calls"] = bool(page) or Call.objects.filter(app=app_obj).exists()
    # The summaries cover the list's span, or when it has no start the 24 hours before its end
    # (from the hour, as a 24-hour chart).
    summary_since = since or preset_since(DEFAULT_WINDOW, wanted["until"] or now)
    summaries = reports.path_summaries(app_obj.name, summary_since, wanted["until"])
    # The summaries count no duration or memory share, nor leave out what a sort does (the
    # calls without its figure): then only what was read is counted.
    narrowed = outliers.narrows(wanted) or bool(wanted["sort"])
    counted = 0 if narrowed else counted_in(summaries, wanted["path"], wanted["status"])
    paged = bool(wanted["cursor"] or wanted["after"])
    one_page = not (paged or older)
    # Exact when the summaries counted the same calls (the list has a start and no bound they
    # cannot count) or it fits on one page; otherwise at least the summaries' count, or this
    # page and one more call.
    exact = bool(since) and not narrowed
    matched = counted if exact else len(page) if one_page else max(counted, len(page) + 1)
    filters = request.GET.copy()
    for key in ("cursor", "after"):
        filters.pop(key, None)
    link_counts(summaries, summary_span(request, since, wanted["until"], summary_since))
    context |= {
        "calls": page,
        "summaries": summaries,
        "summary_since": summary_since,
        "matched": matched,
        "matched_exact": exact or one_page,
        "narrowed": narrowed,
        "sort": wanted["sort"],
        "filtered": any(filters.values()),
        "filters": filters.urlencode(),
        "window_picks": window_picks(filters),
        "sort_picks": sort_picks(filters),
        "sort_label": dict(form.fields["sort"].choices)[wanted["sort"]],
        "show_share": wanted["sort"] == "peak_mem" or wanted["min_mem_share"] is not None,
        "newer": newer,
        "older": older,
        "paged": paged,
        "compare_max": COMPARE_MAX,
    }
    return render(request, "calls_list.html", context)


def picked_window(request: HttpRequest, default: str = "") -> str:
    """The window (1h, 24h, 7d, 30d) asked for in the query string, else `default`."""
    window = request.GET.get("window", default)
    return window if window in WINDOWS else default


def summary_span(
    request: HttpRequest, since: datetime | None, until: datetime | None, summary_since: datetime
) -> dict[str, str]:
    """The list filters that pick the calls the summaries count, for links to exactly them."""
    if since:
        span = {key: request.GET.get(key, "") for key in ("window", "since", "until")}
    elif until:
        span = {"since": summary_since.strftime(SECONDS), "until": request.GET["until"]}
    else:
        span = {"window": DEFAULT_WINDOW}
    return {key: value for key, value in span.items() if value}


def counted_in(summaries: list[dict], path: str, statuses: list[str]) -> int:
    """How many calls of the summaries have the path and one of the statuses (all for none)."""
    return sum(
        count
        for row in summaries
        if row["path"] == path or not path
        for status, count in row["by_status"].items()
        if status in statuses or not statuses
    )


def link_counts(summaries: list[dict], span: dict[str, str]) -> None:
    """Give each summary row the list's query string for its calls (`query`) and, with each
    count by status, the query string for exactly those calls (`statuses`)."""
    for row in summaries:
        row["query"] = urlencode(span | {"path": row["path"]})
        row["statuses"] = [
            (status, count, urlencode(span | {"path": row["path"], "status": status}))
            for status, count in row["by_status"].items()
        ]


def window_picks(filters: QueryDict) -> list[tuple[str, str]]:
    """(window, query string) for each quick pick: the same filters over another span."""
    kept = filters.copy()
    for key in ("window", "since", "until"):
        kept.pop(key, None)
    picks = []
    for window in ["", *WINDOWS]:
        query = kept.copy()
        if window:
            query["window"] = window
        picks.append((window, query.urlencode()))
    return picks


def sort_picks(filters: QueryDict) -> list[tuple[str, str, str]]:
    """(sort, label, query string) for each order the list offers, with the same filters."""
    picks = []
    for sort, label in CallFilterForm.base_fields["sort"].choices:
        query = filters.copy()
        query.pop("sort", None)
        if sort:
            query["sort"] = sort
        picks.append((sort, label, query.urlencode()))
    return picks


@requires_read_access
def call_detail(request: HttpRequest, app: str, call_id: str) -> HttpResponse:
    # The log in the same query (a join on the same key), not one of its own.
    call = Call.objects.filter(app_id=app, pk=call_id).annotate(log_text=F("log__text")).first()
    if call is None:
        return call_not_found(request, app, call_id)
    log = call.log_text
    points = call.points()
    # The neighbours of the same status: a step each way along the (app, status, id) index.
    same_status = Call.objects.filter(app_id=app, status=call.status).values_list("id", flat=True)
    unfinished = call.status in Call.UNFINISHED
    context = {
        "call": call,
        "log_lines": log.removesuffix("\n").split("\n") if log else [],
        "charts": call_charts(points, call.started_at),
        "has_stats": bool(points),
        "unfinished": unfinished,
        # How long a call still queued or running has been so, as of this page.
        "so_far": timezone.now() - (call.started_at or call.created_at) if unfinished else None,
        "newer": same_status.oldest_first(call.id).first(),
        "older": same_status.newest_first(call.id).first(),
        "window": picked_window(request),
    }
    return render(request, "call_detail.html", context)


def call_not_found(request: HttpRequest, app: str, call_id: str) -> HttpResponse:
    """A 404 that names the call and leads to its app's list, when the app exists."""
    if not App.objects.filter(name=app).exists():
        raise Http404(f"No app {app}")
    context = {"app": app, "call_id": call_id, "request_path": request.path}
    return render(request, "404.html", context, status=404)


@requires_read_access
def compare(request: HttpRequest, app: str) -> HttpResponse:
    app_obj = get_object_or_404(App, name=app)
    ids = list(dict.fromkeys(request.GET.getlist("ids")))  # unique, in the order picked
    if not 2 <= len(ids) <= COMPARE_MAX or any(map(unstorable, ids)):
        return render(request, "compare.html", {"app": app_obj, "picked": len(ids)}, status=400)
    by_id = {call.id: call for call in Call.objects.filter(app=app_obj, pk__in=ids)}
    missing = [call_id for call_id in ids if call_id not in by_id]
    if missing:
        raise Http404(f"No call {missing[0]} in app {app}")
    calls = [by_id[call_id] for call_id in ids]
    points = {call.id: call.points() for call in calls}
    context = {
        "app": app_obj,
        "calls": calls,
        "lettered": zip(LETTERS, calls, strict=False),
        "charts": compare_charts(calls, points),
    }
    return render(request, "compare.html", context)


@requires_read_access
def call_stats_json(request: HttpRequest, app: str, call_id: str) -> HttpResponse:
    call = get_object_or_404(Call.objects.only("id", "app", "stats"), app_id=app, pk=call_id)
    # Sorted again for a database that reorders keys (see fields.wire_json).
    response = JsonResponse(go_order(call.stats), safe=False)
    return attachment(response, f"{call.id}-stats.json")


@requires_read_access
def call_stats_csv(request: HttpRequest, app: str, call_id: str) -> HttpResponse:
    """One row per point: its timestamp, seconds since the first point, then every metric
    (empty where a point lacks it)."""
    call = get_object_or_404(Call.objects.only("id", "app", "stats"), app_id=app, pk=call_id)
    points = call.points()
    keys = sorted({key for _, metrics in points for key in metrics})
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    writer = csv.writer(response)
    writer.writerow(["timestamp", "seconds", *map(spreadsheet_safe, keys)])
    for ns, metrics in points:
        since_first = (ns - points[0][0]) / NS_PER_SECOND
        row = [format_timestamp(ns), f"{since_first:.3f}", *(metrics.get(key, "") for key in keys)]
        writer.writerow(row)
    return attachment(response, f"{call.id}-stats.csv")


@requires_read_access
def call_log_txt(request: HttpRequest, app: str, call_id: str) -> HttpResponse:
    """The log as a file to save, as the API's plain-text log reads but as an attachment."""
    log = get_object_or_404(CallLog.objects.only("text"), call__app_id=app, call_id=call_id)
    response = HttpResponse(log.text, content_type="text/plain; charset=utf-8")
    return attachment(response, f"{call_id}.log")


def spreadsheet_safe(text: str) -> str:
    """Spreadsheets run a cell starting with = + - @ (or a tab or CR before one) as a formula.
    Metric names are the sender's text, so such a name gets a leading apostrophe, as OWASP's
    advice on CSV injection has it; every other cell is a number or a timestamp."""
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
