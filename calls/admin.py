"""The admin, for people who browse and clean up: calls are read-only here, and deleting them
goes through `calls.retention.purge` in batches, as `purge_calls` does."""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import OperationalError
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Upper
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html

from calls.fntime import MAX_RETENTION_DAYS
from calls.models import ApiToken, App, Call, CallLog, CallPath
from calls.retention import purge
from calls.stats import summarize
from calls.templatetags.dashboard import DASH, figure, mib, utc

# Above every character an id holds, so [prefix, prefix + TOP) is the range of ids starting with
# the prefix in the code-point order SQLite, MariaDB (migration 0003) and PostgreSQL's C and
# C.UTF-8 collations keep.
TOP = "\U0010ffff"


def search_ignoring_case(queryset: QuerySet, terms: str, **lookups: str) -> QuerySet:
    """Rows where, for every word of the search, some `column=lookup` matches it, ignoring
    case on every database (the admin's own rule for several words).

    Django's i-lookups leave case to the column's collation on MariaDB/MySQL, and there ids,
    app names and paths compare bytes (migration 0003), so both sides are upper-cased, and
    both by the database, whose idea of upper case may differ from Python's ("ß", "é").
    """
    queryset = queryset.annotate(**{f"{column}_upper": Upper(column) for column in lookups})
    for word in terms.split():
        matches = Q()
        for column, lookup in lookups.items():
            matches |= Q(**{f"{column}_upper__{lookup}": Upper(Value(word))})
        queryset = queryset.filter(matches)
    return queryset


def id_prefix(prefix: str) -> Q:
    """Ids starting with `prefix`: a range of the primary key. LIKE 'X%' is no range there on
    PostgreSQL (outside the C collation it needs a pattern index, which fnweb does not keep) nor
    on SQLite (its LIKE ignores case); the startswith keeps the range exact in any collation."""
    return Q(id__gte=prefix, id__lt=prefix + TOP, id__startswith=prefix)


def search_calls(queryset: QuerySet, terms: str) -> QuerySet:
    """Calls matching every word of the search. A word is a status if it names one, else an app
    if app names contain it (ignoring case), else a path if paths do (both looked up in their
    small tables), else the start of an id, upper-cased (fnweb's and Fn's ids are) or as typed
    (ids kept from elsewhere may be any case). One kind per word, so each is one index's ranges:
    MariaDB answers an OR across indexes by sorting every match."""
    for word in terms.split():
        apps = search_ignoring_case(App.objects.all(), word, name="contains")
        paths = search_ignoring_case(CallPath.objects.all(), word, path="contains")
        if word.lower() in Call.Status.values:
            matches = Q(status=word.lower())
        elif names := list(apps.values_list("name", flat=True)):
            matches = Q(app_id__in=names)
        elif pairs := list(paths.values_list("app_id", "path")):
            # Exactly the calls on those paths: every call's (app, path) is in CallPath.
            matches = Q(app_id__in={app for app, _ in pairs}, path__in={p for _, p in pairs})
        else:
            matches = Q()
            for prefix in {word.upper(), word}:
                matches |= id_prefix(prefix)
        queryset = queryset.filter(matches)
    return queryset


class EstimatedCountPaginator(Paginator):
    """Never counts the whole calls table: it counts at most `count_limit` rows, and past that
    an unfiltered list shows the database's estimate (a filtered one shows the limit, and its
    later pages are reached by narrowing the filter); `qualifier` says which, for the page."""

    count_limit = 10_000
    qualifier = ""

    @cached_property
    def count(self) -> int:
        # Unordered: a count needs no order, and with one MariaDB walks the primary key.
        counted = self.object_list.order_by()[: self.count_limit].count()
        if counted < self.count_limit:
            return counted
        if self.object_list.query.where:
            self.qualifier = "over"
            return counted
        self.qualifier = "about"
        return max(counted, Call.objects.estimated_count())


class PurgeForm(forms.Form):
    days = forms.IntegerField(
        min_value=1, max_value=MAX_RETENTION_DAYS, label="Created more than this many days ago"
    )


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ("id", "app_name", "path", "status", "created_at", "run_time")
    list_filter = ("status", "app")
    # Its links come from calls/templatetags/call_admin.py, which does not scan the table.
    date_hierarchy = "created_at"
    search_fields = ("id", "path")  # shows the search box; get_search_results searches
    search_help_text = "A call id or its start (any case), an app, a path or a status."
    ordering = ("-id",)
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    actions = ["delete_selected_calls"]
    # Times, peaks and the link to the call's page as the dashboard shows them.
    fields = (
        "id", "app", "path", "status", "created", "started", "completed", "run_time",
        "error", "peak_cpu", "peak_memory", "stats_table", "log_text",
    )  # fmt: skip
    readonly_fields = (
        "created", "started", "completed", "run_time", "peak_cpu", "peak_memory", "stats_table",
        "log_text",
    )  # fmt: skip

    def get_queryset(self, request):
        # The list never shows the histogram; the change page loads it when it draws it.
        return super().get_queryset(request).defer("stats")

    def get_search_results(self, request, queryset, search_term):
        return search_calls(queryset, search_term), False

    def get_ordering(self, request):
        # A chosen period is a range of the (created_at, id) index: walking the ids instead
        # would pass every newer call first.
        if any(key.startswith("created_at__") for key in request.GET):
            return ("-created_at",)
        return self.ordering

    def has_add_permission(self, request):
        return False  # calls arrive through ingest

    def has_change_permission(self, request, obj=None):
        return False  # a record of what Fn did: viewed, never edited

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Django's own loads every call with its stats and deletes them one by one.
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="app", ordering="app")
    def app_name(self, call: Call) -> str:
        return call.app_id  # the name itself, without a join to the apps table

    @admin.display(description="duration")
    def run_time(self, call: Call) -> str:
        return f"{call.duration.total_seconds():.3f} s" if call.duration else "-"

    @admin.display(description="created at")
    def created(self, call: Call) -> str:
        return utc(call.created_at)

    @admin.display(description="started at")
    def started(self, call: Call) -> str:
        return utc(call.started_at)

    @admin.display(description="completed at")
    def completed(self, call: Call) -> str:
        return utc(call.completed_at)

    @admin.display(description="peak CPU (100 % = 1 core)")
    def peak_cpu(self, call: Call) -> str:
        return DASH if call.peak_cpu_total is None else f"{figure(call.peak_cpu_total)} %"

    @admin.display(description="peak memory")
    def peak_memory(self, call: Call) -> str:
        return mib(call.peak_mem_usage)

    @admin.display(description="stats")
    def stats_table(self, call: Call) -> str:
        points = call.points()
        names = sorted({name for _, metrics in points for name in metrics})
        return render_to_string(
            "admin/calls/call/stats_table.html",
            {
                "summary": summarize(points),
                "names": names,
                "points": [
                    (point["timestamp"], [point["metrics"].get(name) for name in names])
                    for point in call.stats
                ],
            },
        )

    @admin.display(description="log")
    def log_text(self, call: Call) -> str:
        text = CallLog.objects.filter(call_id=call.pk).values_list("text", flat=True).first()
        return format_html("<pre>{}</pre>", text) if text is not None else "-"

    @admin.action(permissions=["delete"], description="Delete selected calls")
    def delete_selected_calls(self, request, queryset):
        deleted = purge(queryset)
        self.message_user(request, f"Deleted {deleted} calls.")

    def get_urls(self):
        purge = self.admin_site.admin_view(self.purge_view)
        return [path("purge/", purge, name="calls_call_purge"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {"can_purge": self.has_delete_permission(request), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def purge_view(self, request):
        """ "Delete calls older than...": how many calls a number of days takes, then on
        confirmation (a POST) delete them in batches."""
        if not self.has_delete_permission(request):
            raise PermissionDenied
        default = {"days": settings.CALLS_RETENTION_DAYS or 30}
        form = PurgeForm(request.POST if request.method == "POST" else request.GET or default)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Delete calls older than…",
            "form": form,
        }
        if form.is_valid():
            cutoff = timezone.now() - timedelta(days=form.cleaned_data["days"])
            calls = Call.objects.filter(created_at__lt=cutoff)
            if request.method == "POST":
                try:
                    deleted = purge(calls)
                except OperationalError as error:
                    if getattr(error.__cause__, "sqlite_errorname", None) != "SQLITE_FULL":
                        raise
                    # SQLite needs free disk space for its log even to delete; say so.
                    message = f"Stopped: {error}. Free some disk space and purge the rest."
                    self.message_user(request, message, messages.ERROR)
                    return redirect("admin:calls_call_changelist")
                message = f"Deleted {deleted} calls created before {cutoff:%Y-%m-%d %H:%M} UTC."
                self.message_user(request, message)
                return redirect("admin:calls_call_changelist")
            context.update(count=calls.count(), cutoff=cutoff)
        return TemplateResponse(request, "admin/calls/call/purge.html", context)


@admin.register(App)
class AppAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)

    def get_search_results(self, request, queryset, search_term):
        return search_ignoring_case(queryset, search_term, name="contains"), False

    def has_add_permission(self, request):
        return False  # apps arrive with their first call

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Deleting an app here would load all its calls to cascade; `purge_calls --app`
        # deletes them in batches.
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are listed and revoked here, never made: a key exists only in the output of
    `create_api_token` (fnweb keeps its digest, which is not shown either)."""

    list_display = ("name", "created_at")
    search_fields = ("name",)
    fields = ("name", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        subtitle = "New tokens: python manage.py create_api_token NAME (prints the key once)"
        return super().changelist_view(request, {"subtitle": subtitle, **(extra_context or {})})
