"""The dashboard pages. Numbers come from `calls.reports` (many calls) and `calls.stats` by way
of `calls.charts` (one call's histogram); these views only query and render."""

import csv
import functools
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from calls import reports
from calls.charts import call_charts, compare_charts
from calls.forms import CallFilterForm
from calls.models import App, Call, CallLog
from calls.stats import NS_PER_SECOND, dump_points, format_timestamp, parse_points

PER_PAGE = 50
# What a row of the list shows; never `stats` or `error`, which can be large.
LIST_COLUMNS = (
    "id",
    "app",
    "path",
    "status",
    "created_at",
    "started_at",
    "completed_at",
    "peak_cpu_total",
    "peak_mem_usage",
)
COMPARE_MAX = 4
# The spans the overview offers, and what the list's per-path summaries cover when no
# "Created after" is given. Summaries read every call of their span, never the whole table.
WINDOWS = {
    "1h": timedelta(hours=1),
    "24h": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
DEFAULT_WINDOW = "24h"


def reads(view):
    """Send anonymous readers to the login page when READ_REQUIRES_LOGIN is on."""

    @functools.wraps(view)
    def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if settings.READ_REQUIRES_LOGIN and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return checked


@reads
def apps_overview(request: HttpRequest) -> HttpResponse:
    window = request.GET.get("window", DEFAULT_WINDOW)
    if window not in WINDOWS:
        window = DEFAULT_WINDOW
    apps = reports.apps_overview(timezone.now() - WINDOWS[window])
    return render(
        request, "apps_overview.html", {"apps": apps, "windows": WINDOWS, "window": window}
    )


@reads
def calls_list(request: HttpRequest, app: str) -> HttpResponse:
    app_obj = get_object_or_404(App, name=app)
    calls = Call.objects.filter(app=app_obj)
    paths = list(calls.order_by("path").values_list("path", flat=True).distinct())
    form = CallFilterForm(request.GET, paths)
    context = {"app": app_obj, "form": form, "has_calls": bool(paths)}
    if not form.is_valid():
        return render(request, "calls_list.html", context, status=400)

    wanted = form.cleaned_data
    if wanted["path"]:
        calls = calls.filter(path=wanted["path"])
    if wanted["status"]:
        calls = calls.filter(status=wanted["status"])
    # Exclusive bounds, as Fn's from_time and to_time and the summaries above the list.
    if wanted["since"]:
        calls = calls.filter(created_at__gt=wanted["since"])
    if wanted["until"]:
        calls = calls.filter(created_at__lt=wanted["until"])

    page, newer, older = keyset_page(calls.only(*LIST_COLUMNS), wanted["cursor"], wanted["after"])
    summary_since = wanted["since"] or (wanted["until"] or timezone.now()) - WINDOWS[DEFAULT_WINDOW]
    filters = request.GET.copy()
    for key in ("cursor", "after"):
        filters.pop(key, None)
    context |= {
        "calls": page,
        "summaries": reports.path_summaries(app_obj.name, summary_since, wanted["until"]),
        "summary_since": summary_since,
        "filtered": any(filters.values()),
        "filters": filters.urlencode(),
        "newer": newer,
        "older": older,
        "paged": bool(wanted["cursor"] or wanted["after"]),
        "compare_max": COMPARE_MAX,
    }
    return render(request, "calls_list.html", context)


def keyset_page(calls: QuerySet, cursor: str, after: str) -> tuple[list, str | None, str | None]:
    """A page of calls newest first, by id and never by OFFSET, so every page costs the same.

    `cursor` asks for the calls older than that id, `after` for those newer. Returns the page
    and the `after` and `cursor` values of the pages either side (None where there is none);
    one extra row is read to know whether the far side has more.
    """
    if after:
        rows = list(calls.filter(id__gt=after).order_by("id")[: PER_PAGE + 1])
        page = rows[:PER_PAGE][::-1]
        more_newer, more_older = len(rows) > PER_PAGE, True
    else:
        if cursor:
            calls = calls.filter(id__lt=cursor)
        rows = list(calls.order_by("-id")[: PER_PAGE + 1])
        page = rows[:PER_PAGE]
        more_newer, more_older = bool(cursor), len(rows) > PER_PAGE
    if not page:
        return page, None, None
    return page, page[0].id if more_newer else None, page[-1].id if more_older else None


@reads
def call_detail(request: HttpRequest, app: str, call_id: str) -> HttpResponse:
    call = get_object_or_404(Call, app_id=app, pk=call_id)
    log = CallLog.objects.filter(call=call).values_list("text", flat=True).first()
    points = parse_points(call.stats)
    context = {"call": call, "log": log, "charts": call_charts(points, call.started_at)}
    return render(request, "call_detail.html", context | {"has_stats": bool(points)})


@reads
def compare(request: HttpRequest, app: str) -> HttpResponse:
    app_obj = get_object_or_404(App, name=app)
    ids = list(dict.fromkeys(request.GET.getlist("ids")))  # unique, in the order picked
    if not 2 <= len(ids) <= COMPARE_MAX or any("\x00" in call_id for call_id in ids):
        return render(request, "compare.html", {"app": app_obj, "picked": len(ids)}, status=400)
    found = {call.id: call for call in Call.objects.filter(app=app_obj, pk__in=ids)}
    missing = [call_id for call_id in ids if call_id not in found]
    if missing:
        raise Http404(f"No call {missing[0]} in app {app}")
    calls = [found[call_id] for call_id in ids]
    points = {call.id: parse_points(call.stats) for call in calls}
    context = {"app": app_obj, "calls": calls, "charts": compare_charts(calls, points)}
    return render(request, "compare.html", context)


@reads
def call_stats_json(request: HttpRequest, app: str, call_id: str) -> HttpResponse:
    call = get_object_or_404(Call.objects.only("id", "app", "stats"), app_id=app, pk=call_id)
    response = JsonResponse(dump_points(parse_points(call.stats)), safe=False)
    return attachment(response, f"{call.id}-stats.json")


@reads
def call_stats_csv(request: HttpRequest, app: str, call_id: str) -> HttpResponse:
    """One row per point: its timestamp, seconds since the first point, then every metric
    (empty where a point lacks it)."""
    call = get_object_or_404(Call.objects.only("id", "app", "stats"), app_id=app, pk=call_id)
    points = parse_points(call.stats)
    keys = sorted({key for _, metrics in points for key in metrics})
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    writer = csv.writer(response)
    writer.writerow(["timestamp", "seconds", *map(spreadsheet_safe, keys)])
    for ns, metrics in points:
        seconds = (ns - points[0][0]) / NS_PER_SECOND
        row = [format_timestamp(ns), f"{seconds:.3f}", *(metrics.get(key, "") for key in keys)]
        writer.writerow(row)
    return attachment(response, f"{call.id}-stats.csv")


def spreadsheet_safe(text: str) -> str:
    """Spreadsheets run a cell starting with = + - @ (or a tab or CR before one) as a formula.
    Metric names are the sender's text, so such a name gets a leading apostrophe, as OWASP's
    advice on CSV injection has it; every other cell is a number or a timestamp."""
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
