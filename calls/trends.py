"""Trends: an app's (or one path's) finished calls as series over time, read from rollups.

The step is chosen from the window so that a series holds at most MAX_BUCKETS buckets, each
one rollup row (the path's, or the app's over all paths): a minute up to 6 hours, an hour up
to 15 days, a day beyond, and a window is at most MAX_WINDOW long. Shared by the API
(`/v1/apps/{app}/trends`) and the pages.
"""

from datetime import UTC, datetime, timedelta

from calls import sketch
from calls.fntime import format_datetime
from calls.rollups import (
    DAY,
    FAILED,
    FINISHED,
    HOUR,
    MINUTE,
    PEAKS,
    SKETCHES,
    Partial,
    Rollup,
    bucket_start,
)

# The spans the pages offer as presets, and the API as `window=`.
WINDOWS = {
    "1h": timedelta(hours=1),
    "24h": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
DEFAULT_WINDOW = "24h"
MAX_WINDOW = timedelta(days=400)
MAX_BUCKETS = 400


def step_for(since: datetime, until: datetime) -> int:
    span = until - since
    if span <= timedelta(hours=6):
        return MINUTE
    if span <= timedelta(days=15):
        return HOUR
    return DAY


def preset_since(window: str, until: datetime) -> datetime:
    """Where a preset window (a key of WINDOWS) that ends at `until` starts: at the start of
    the bucket of its charts' step that holds `until` minus its span, the first bucket its
    charts draw. Its summaries then start where its charts do (a 30-day window from midnight
    UTC, a 7-day one from the hour), and read at most six day rows at their far edge instead
    of also up to 23 hours' and 59 minutes' (a third of a 30-day summary's histogram bins)."""
    since = until - WINDOWS[window]
    return bucket_start(since, step_for(since, until))


def rollup_buckets(
    app: str, path: str, since: datetime, until: datetime
) -> tuple[int, dict[datetime, Partial]]:
    """The step, and {start: Partial} for every bucket from the one holding `since` to the one
    holding `until` (at most MAX_BUCKETS), in order: each one rollup row, the path's or the
    app's over all paths (ALL_PATHS, the empty path), or nothing where no call finished."""
    step = step_for(since, until)
    first = bucket_start(since, step)
    starts = [first]
    while len(starts) < MAX_BUCKETS and starts[-1] + timedelta(seconds=step) < until:
        starts.append(starts[-1] + timedelta(seconds=step))
    rows = Rollup.objects.filter(
        app_name=app, path=path, step=step, start__gte=first, start__lte=starts[-1]
    )
    merged = {start: Partial() for start in starts}
    names = ("start", *FINISHED, *PEAKS, *SKETCHES)
    for values in rows.with_sketches(*names[: -len(SKETCHES)], sketches=SKETCHES):
        row = dict(zip(names, values, strict=True))
        merged[row["start"].astimezone(UTC)].absorb(row)
    return step, merged


def trends(app: str, path: str, since: datetime, until: datetime) -> dict:
    """{"step_seconds", "buckets": [...]}: one bucket per step over the window (see
    rollup_buckets), each with its calls by status, failed share,
    duration p50/p95/p99 and max (seconds), peak memory p50/p95/max and the largest memory
    limit (bytes), peak memory as a percentage of the limit (p50/p95/max) and peak CPU
    p50/p95/max; percentiles None where no finished call had the figure."""
    return series(*rollup_buckets(app, path, since, until))


def series(step: int, buckets: dict[datetime, Partial]) -> dict:
    return {"step_seconds": step, "buckets": [bucket(s, total) for s, total in buckets.items()]}


def bucket(start: datetime, total: Partial) -> dict:
    calls = sum(total.counts.values())
    failed = sum(total.counts[status] for status in FAILED)

    def spread(name: str, qs: tuple[int, ...]) -> dict:
        """Percentiles and the exact max, which caps them."""
        peak = total.peaks[f"max_{name}"]
        ps = sketch.percentiles(total.sketches[name], qs)
        return {q: capped(v, peak) for q, v in ps.items()} | {"max": peak}

    return {
        "start": format_datetime(start),
        "calls": calls,
        "by_status": total.counts,
        "failed_share": failed / calls if calls else None,
        "duration_seconds": spread("duration", (50, 95, 99)),
        "peak_mem_usage": spread("peak_mem", (50, 95)),
        "mem_limit": total.peaks["max_mem_limit"],
        "mem_share_percent": sketch.percentiles(total.sketches["mem_share"], (50, 95)),
        "peak_cpu_total": spread("peak_cpu", (50, 95)),
    }


def capped(value: float | None, peak: float | None) -> float | None:
    """A percentile no higher than the exact max (a bin's value may pass it by 1%)."""
    return value if value is None or peak is None else min(value, peak)
