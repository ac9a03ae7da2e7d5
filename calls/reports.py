"""Aggregate queries over many calls, shared by the dashboard and the API.

Each reads the calls of a time window only, so its cost follows the traffic of the window,
not the size of the table. They read the few columns they need (never `stats` or the log);
percentiles come from `calls.stats.percentile`.
"""

from collections import defaultdict
from datetime import datetime

from django.db.models import Count, OuterRef, Subquery

from calls.models import App, Call
from calls.stats import percentile


def percentiles(values: list, qs: tuple[int, ...]) -> dict[str, float | None]:
    """{"p50": ..., ...} of the values, or None for each when there are none."""
    ordered = sorted(values)
    return {f"p{q}": percentile(ordered, q) if ordered else None for q in qs}


def run_seconds(started: datetime | None, completed: datetime | None) -> float | None:
    """A call's run time in seconds, or None when it has not both started and completed."""
    if started is None or completed is None:
        return None
    return (completed - started).total_seconds()


def path_summaries(app_name: str, since: datetime, until: datetime | None = None) -> list[dict]:
    """Per path of an app's calls created strictly between since and until (None: no end):
    call counts by status and duration and peak-memory percentiles, sorted by path."""
    calls = Call.objects.filter(app_id=app_name, created_at__gt=since)
    if until is not None:
        calls = calls.filter(created_at__lt=until)

    by_status: dict[str, dict[str, int]] = defaultdict(dict)
    # order_by() clears any ordering, which would otherwise join the GROUP BY.
    for path, status, count in (
        calls.order_by().values_list("path", "status").annotate(count=Count("pk"))
    ):
        by_status[path][status] = count

    durations: dict[str, list[float]] = defaultdict(list)
    peaks: dict[str, list[float]] = defaultdict(list)
    rows = calls.values_list("path", "started_at", "completed_at", "peak_mem_usage")
    for path, started, completed, peak_mem in rows:
        if (duration := run_seconds(started, completed)) is not None:
            durations[path].append(duration)
        if peak_mem is not None:
            peaks[path].append(peak_mem)

    return [
        {
            "path": path,
            "calls": sum(by_status[path].values()),
            "by_status": dict(sorted(by_status[path].items())),
            "duration_seconds": percentiles(durations[path], (50, 95, 99)),
            "peak_mem_usage": percentiles(peaks[path], (50, 95)),
        }
        for path in sorted(by_status)
    ]


def apps_overview(since: datetime) -> list[dict]:
    """Every app, by name, with its calls created after `since`: how many, the share that
    failed (error or timeout), median and p95 duration in seconds; and the creation time of
    its newest call, however old. Two queries, however many apps and calls there are."""
    # For an app quiet since `since`: its call with the highest id, one step down the
    # (app, id) index (Fn's ids and ours grow with time; MAX(created_at) would read every
    # call of the app). Apps with calls in the window take their newest from the window.
    newest = Call.objects.filter(app=OuterRef("pk")).order_by("-id").values("created_at")[:1]
    apps = App.objects.annotate(newest=Subquery(newest)).order_by("name")

    counts: dict[str, int] = defaultdict(int)
    failed: dict[str, int] = defaultdict(int)
    newest_in_window: dict[str, datetime] = {}
    durations: dict[str, list[float]] = defaultdict(list)
    window = Call.objects.filter(created_at__gt=since)
    for app_id, status, created, started, completed in window.values_list(
        "app", "status", "created_at", "started_at", "completed_at"
    ):
        counts[app_id] += 1
        newest_in_window[app_id] = max(created, newest_in_window.get(app_id, created))
        failed[app_id] += status in Call.FAILED
        if (duration := run_seconds(started, completed)) is not None:
            durations[app_id].append(duration)

    return [
        {
            "name": app.name,
            "calls": counts[app.name],
            "failed_share": failed[app.name] / counts[app.name] if counts[app.name] else None,
            "duration_seconds": percentiles(durations[app.name], (50, 95)),
            "newest": newest_in_window.get(app.name, app.newest),
        }
        for app in apps
    ]
