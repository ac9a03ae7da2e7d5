"""Aggregate queries over many calls, shared by the dashboard and the API.

Each reads rollups (calls.rollups), never the calls of its window: a window is tiled by whole
weeks, then whole days, hours and minutes at its edges, so a summary merges at most
weeks + 176 rows per path (the overview: per app, from its rows over all paths), whatever the
traffic. Windows are taken to whole minutes (the minute holding their start to the minute
holding their end; a preset window already starts at its charts' first bucket, see
calls.trends.preset_since); only finished calls are counted.
Percentiles come from the rollups' histograms, within `sketch.RELATIVE_ACCURACY` (1%) of the
exact ones.
"""

import math
from collections import defaultdict
from datetime import UTC, datetime

from django.db.models import Q
from django.utils import timezone

from calls import rollups, sketch
from calls.models import App, Call
from calls.rollups import ALL_PATHS, DAY, FAILED, FINISHED, HOUR, MINUTE, WEEK, Rollup


def cover(low: int, high: int, steps: tuple[int, ...] = (WEEK, DAY, HOUR, MINUTE)) -> list[tuple]:
    """(step, first start, end) ranges of buckets that tile [low, high) (Unix seconds, whole
    minutes): the coarsest buckets that fit, finer ones at the edges."""
    step, *finer = steps
    if not finer:
        return [(step, low, high)] if low < high else []
    first, last = -(-low // step) * step, high // step * step
    if first >= last:
        return cover(low, high, tuple(finer))
    return [*cover(low, first, tuple(finer)), (step, first, last), *cover(last, high, tuple(finer))]


def window_bounds(since: datetime, until: datetime | None) -> tuple[int, int]:
    """The window in Unix seconds, widened to whole minutes; no end means now. A window whose
    last minute holds now is widened to the end of now's week: no call is newer than now, so
    the buckets holding it are read whole (the week's row rather than its days, hours and
    minutes so far); a call stamped later by a fast clock counts with this week's."""
    now = timezone.now().timestamp()
    low = int(since.timestamp()) // MINUTE * MINUTE
    end = until.timestamp() if until else now
    # Rounded up from the fraction of a second: a truncated end in a minute's first second
    # left that second out, and a window up to now unwidened.
    high = math.ceil(end / MINUTE) * MINUTE if end > low else low
    if high > low and high >= now:
        high = max(high, (int(now) // WEEK + 1) * WEEK)
    return low, high


def covering(since: datetime, until: datetime | None) -> Q:
    """The rollup rows that tile the window once each (no row when it is empty)."""
    wanted = Q(pk__in=[])
    for step, first, end in cover(*window_bounds(since, until)):
        wanted |= Q(
            step=step,
            start__gte=datetime.fromtimestamp(first, UTC),
            start__lt=datetime.fromtimestamp(end, UTC),
        )
    return wanted


def path_totals(
    app_name: str,
    since: datetime,
    until: datetime | None,
    sketches: tuple[str, ...] = rollups.SKETCHES,
    path: str = "",
) -> dict[str, rollups.Partial]:
    """Per path of an app (or only `path`), its rollup rows over the window merged: counts by
    status, the largest peaks and the named sketches; the others stay empty, since decoding
    them is most of the cost of a read."""
    rows = Rollup.objects.filter(covering(since, until), app_name=app_name).exclude(path=ALL_PATHS)
    if path:
        rows = rows.filter(path=path)
    names = ("path", *FINISHED, *rollups.PEAKS)
    totals: dict[str, rollups.Partial] = defaultdict(rollups.Partial)
    for values in rows.with_sketches(*names, sketches=sketches):
        row = dict(zip((*names, *sketches), values, strict=True))
        totals[row["path"]].absorb(dict.fromkeys(rollups.SKETCHES, {}) | row)
    return totals


def path_summaries(app_name: str, since: datetime, until: datetime | None = None) -> list[dict]:
    """Per path of an app's calls created between since and until (None: no end): finished
    calls by status and duration and peak-memory percentiles, sorted by path."""
    totals = path_totals(app_name, since, until, sketches=("duration", "peak_mem"))
    summaries = []
    for path, total in sorted(totals.items()):
        by_status = {status: n for status, n in sorted(total.counts.items()) if n}
        if by_status:
            summaries.append(
                {
                    "path": path,
                    "calls": sum(by_status.values()),
                    "by_status": by_status,
                    "duration_seconds": sketch.percentiles(
                        total.sketches["duration"], (50, 95, 99)
                    ),
                    "peak_mem_usage": sketch.percentiles(total.sketches["peak_mem"], (50, 95)),
                }
            )
    return summaries


def apps_overview(since: datetime) -> list[dict]:
    """Every app, by name, with its finished calls created after `since`: how many, the share
    that failed (error or timeout), median and p95 duration in seconds; and the creation time
    of its newest call, however old. One query for the window, and one index lookup per app."""
    names = list(App.objects.order_by("name").values_list("name", flat=True))
    # The app's call with the highest id, one step down the (app, id) index (Fn's ids and ours
    # grow with time; MAX(created_at) would read every call of the app). Asked per app, with
    # its own name, because as one correlated subquery PostgreSQL walks the primary key
    # backwards for every app, which for an app with no calls left reads the whole table.
    newest = {
        name: Call.objects.of_app(name).newest_first().values_list("created_at", flat=True).first()
        for name in names
    }

    counts: dict[str, int] = defaultdict(int)
    failed: dict[str, int] = defaultdict(int)
    durations: dict[str, sketch.Sketch] = defaultdict(dict)
    rows = Rollup.objects.filter(covering(since, None), path=ALL_PATHS)
    for app, *by_status, duration in rows.with_sketches(
        "app_name", *FINISHED, sketches=("duration",)
    ):
        statuses = dict(zip(FINISHED, by_status, strict=True))
        counts[app] += sum(by_status)
        failed[app] += sum(statuses[status] for status in FAILED)
        sketch.merge(durations[app], duration)

    return [
        {
            "name": name,
            "calls": counts[name],
            "failed_share": failed[name] / counts[name] if counts[name] else None,
            "duration_seconds": sketch.percentiles(durations[name], (50, 95)),
            "newest": newest[name],
        }
        for name in names
    ]
