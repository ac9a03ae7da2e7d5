"""The dashboard pages. Numbers come from `calls.reports` (many calls) and `calls.stats` by way
of `charts` (one call's histogram); these views only query and render."""

import csv
import functools

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from calls import reports
from calls.fntime import NS_PER_SECOND, format_timestamp
from calls.models import App, Call, CallLog
from calls.pages.charts import call_charts, compare_charts
from calls.pages.forms import CallFilterForm
from calls.pages.paging import keyset_page
from calls.text import unstorable
from calls.trends import DEFAULT_WINDOW, WINDOWS

COMPARE_MAX = 4
# WINDOWS (from calls.trends): the spans the overview offers; DEFAULT_WINDOW also what the
# list's per-path summaries cover when no "Created after" is given. Both read rollups.


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
    window = request.GET.get("window", DEFAULT_WINDOW)
    if window not in WINDOWS:
        window = DEFAULT_WINDOW
    apps = reports.apps_overview(timezone.now() - WINDOWS[window])
    return render(
        request, "apps_overview.html", {"apps": apps, "windows": WINDOWS, "window": window}
    )


@requires_read_access
def calls_list(request: HttpRequest, app: str) -> HttpResponse:
    app_obj = get_object_or_404(App, name=app)
    app_calls = Call.objects.filter(app=app_obj)
    paths = list(app_obj.paths.order_by("path").values_list("path", flat=True))
    form = CallFilterForm(request.GET, paths)
    context = {"app": app_obj, "form": form, "has_calls": bool(paths)}
    if not form.is_valid():
        return render(request, "calls_list.html", context, status=400)

    wanted = form.cleaned_data
    calls = app_calls.matching(wanted["path"], wanted["status"], wanted["since"], wanted["until"])
    page, newer, older = keyset_page(calls.for_list(), wanted["cursor"], wanted["after"])
    # Paths outlive purged calls: an empty page asks (one index lookup) whether any is left.
    context["has_calls"] = bool(page) or app_calls.exists()
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


@requires_read_access
def call_detail(request: HttpRequest, app: str, call_id: str) -> HttpResponse:
    call = get_object_or_404(Call, app_id=app, pk=call_id)
    log = CallLog.objects.filter(call=call).values_list("text", flat=True).first()
    points = call.points()
    context = {"call": call, "log": log, "charts": call_charts(points, call.started_at)}
    return render(request, "call_detail.html", context | {"has_stats": bool(points)})


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
    context = {"app": app_obj, "calls": calls, "charts": compare_charts(calls, points)}
    return render(request, "compare.html", context)


@requires_read_access
def call_stats_json(request: HttpRequest, app: str, call_id: str) -> HttpResponse:
    call = get_object_or_404(Call.objects.only("id", "app", "stats"), app_id=app, pk=call_id)
    response = JsonResponse(call.wire_stats(), safe=False)
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


def spreadsheet_safe(text: str) -> str:
    """Spreadsheets run a cell starting with = + - @ (or a tab or CR before one) as a formula.
    Metric names are the sender's text, so such a name gets a leading apostrophe, as OWASP's
    advice on CSV injection has it; every other cell is a number or a timestamp."""
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
