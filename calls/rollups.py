"""Rollups: finished calls pre-aggregated per app, path and time bucket, so that summaries and
trends over any window merge a bounded number of rows instead of reading the calls.

Each bucket is kept at four steps (a minute, an hour, a day, a week), written together by the
transaction that stores its calls (`calls.storing`), so a window is covered by whole weeks,
then whole days, hours and minutes at its edges (`calls.reports`). A row holds counts by
status, the largest peaks, and `calls.sketch` histograms of duration (seconds), peak memory
(bytes), peak memory as a percentage of the limit and peak CPU.

This module imports no other model, so calls.models can register it at its end.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import connection, models, transaction
from django.db.models import Q
from django.db.models.functions import Cast

from calls import sketch
from calls.fields import SketchField, sketch_of_json
from calls.stats import Point, peak_memory_share

MINUTE, HOUR, DAY = 60, 3600, 86400
# Weeks only serve summaries over long windows (trends chart days at most): a 30-day summary
# then merges about 4 week rows and a few day rows a path instead of 29 day rows, each of
# which holds most of the histograms' bins. Weeks start on a Thursday, 1970-01-01's weekday.
WEEK = 7 * DAY
STEPS = (MINUTE, HOUR, DAY, WEEK)
# The statuses a finished call ends in (Call.Status without Call.UNFINISHED): only they count.
FINISHED = ("success", "error", "timeout", "cancelled")
FAILED = ("error", "timeout")  # what the pages and the API count as failed
# The path of an app's rows over all its paths, which the overview and app-wide trends read
# instead of merging every path's (no call has an empty path).
ALL_PATHS = ""
SKETCHES = ("duration", "peak_mem", "mem_share", "peak_cpu")
PEAKS = ("max_duration", "max_peak_mem", "max_mem_limit", "max_peak_cpu")
# Rows locked and written per statement: a rebuild's day has thousands.
WRITE_CHUNK = 500


class RollupQuerySet(models.QuerySet):
    def with_sketches(self, *fields: str, sketches: tuple[str, ...]) -> Iterator[tuple]:
        """Rows as tuples of `fields` then `sketches`, the sketches read as text and decoded by
        orjson: several times faster than the standard library's json.loads (which psycopg
        applies to a json column), and a 30-day summary decodes thousands of them."""
        texts = {f"{name}_text": Cast(name, models.TextField()) for name in sketches}
        for row in self.annotate(**texts).values_list(*fields, *texts):
            yield (*row[: len(fields)], *map(sketch_of_json, row[len(fields) :]))


class Rollup(models.Model):
    app_name = models.CharField(max_length=255)
    path = models.CharField(max_length=256)
    step = models.IntegerField()  # seconds: MINUTE, HOUR, DAY or WEEK
    start = models.DateTimeField()  # a multiple of step since the epoch, UTC
    success = models.BigIntegerField(default=0)
    error = models.BigIntegerField(default=0)
    timeout = models.BigIntegerField(default=0)
    cancelled = models.BigIntegerField(default=0)
    duration = SketchField(default=dict)
    peak_mem = SketchField(default=dict)
    mem_share = SketchField(default=dict)
    peak_cpu = SketchField(default=dict)
    max_duration = models.FloatField(null=True)
    max_peak_mem = models.FloatField(null=True)
    max_mem_limit = models.FloatField(null=True)
    max_peak_cpu = models.FloatField(null=True)

    objects = RollupQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["app_name", "path", "step", "start"], name="rollup_key")
        ]
        indexes = [
            # An app's paths over a window (the calls list, the API) ...
            models.Index(fields=["app_name", "step", "start"], name="rollup_app_step_start"),
            # ... and every app's (the overview), and retention.
            models.Index(fields=["step", "start"], name="rollup_step_start"),
        ]

    def __str__(self) -> str:
        return f"{self.app_name} {self.path} {self.step}s {self.start:%Y-%m-%d %H:%M}"


@dataclass
class Observation:
    """What one finished call adds to its buckets; None where it has no such figure."""

    app: str
    path: str
    status: str
    created_at: datetime
    duration: float | None
    peak_mem: float | None
    mem_share: float | None
    mem_limit: float | None
    peak_cpu: float | None


@dataclass
class Partial:
    """A bucket's additions from one batch, merged into its row under the row's lock."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FINISHED, 0))
    sketches: dict[str, sketch.Sketch] = field(default_factory=lambda: {s: {} for s in SKETCHES})
    peaks: dict[str, float | None] = field(default_factory=lambda: dict.fromkeys(PEAKS))

    def add(self, seen: Observation) -> None:
        self.counts[seen.status] += 1
        for name in SKETCHES:
            if (value := getattr(seen, name)) is not None:
                sketch.add(self.sketches[name], value)
        for name in PEAKS:
            value = getattr(seen, name.removeprefix("max_"))
            self.peaks[name] = larger(self.peaks[name], value)

    def absorb(self, row: dict) -> None:
        """Add a stored row's values (from .values()), as reads merge rows, or another
        Partial's (its counts, sketches and peaks in one dict)."""
        for status in FINISHED:
            self.counts[status] += row[status]
        for name in SKETCHES:
            sketch.merge(self.sketches[name], row[name])
        for name in PEAKS:
            self.peaks[name] = larger(self.peaks[name], row[name])

    def apply(self, row: Rollup) -> None:
        for status, n in self.counts.items():
            setattr(row, status, getattr(row, status) + n)
        for name in SKETCHES:
            sketch.merge(getattr(row, name), self.sketches[name])
        for name in PEAKS:
            setattr(row, name, larger(getattr(row, name), self.peaks[name]))


def observe(call, points: list[Point]) -> Observation:
    """A stored Call's figures (its peaks are set once it has been written)."""
    limits = [metrics["mem_limit"] for _, metrics in points if metrics.get("mem_limit")]
    duration = call.duration
    return Observation(
        app=call.app_id,
        path=call.path,
        status=call.status,
        created_at=call.created_at,
        duration=None if duration is None else duration.total_seconds(),
        peak_mem=call.peak_mem_usage,
        mem_share=peak_memory_share(metrics for _, metrics in points),
        mem_limit=max(limits, default=None),
        peak_cpu=call.peak_cpu_total,
    )


def larger(a: float | None, b: float | None) -> float | None:
    return a if b is None else b if a is None else max(a, b)


def bucket_start(moment: datetime, step: int) -> datetime:
    seconds = int(moment.timestamp())
    return datetime.fromtimestamp(seconds - seconds % step, UTC)


def aggregate(
    observations: Iterable[Observation], steps: tuple[int, ...] = STEPS
) -> dict[tuple, Partial]:
    """What finished calls add to each (app, path, step, start) bucket, ALL_PATHS included.
    Each call is binned once, into its path's minute, and each minute then added to its eight
    buckets: binning every call eight times took most of ingest's time in this module."""
    minutes: dict[tuple, Partial] = defaultdict(Partial)
    for seen in observations:
        if seen.status in FINISHED:
            minutes[(seen.app, seen.path, bucket_start(seen.created_at, MINUTE))].add(seen)
    partials: dict[tuple, Partial] = defaultdict(Partial)
    for (app, path, minute), partial in minutes.items():
        figures = partial.counts | partial.sketches | partial.peaks
        for step in steps:
            start = bucket_start(minute, step)
            partials[(app, path, step, start)].absorb(figures)
            partials[(app, ALL_PATHS, step, start)].absorb(figures)
    return partials


def record(observations: Iterable[Observation], steps: tuple[int, ...] = STEPS) -> None:
    """Add finished calls to their buckets, at every step (or `steps`), inside the caller's
    transaction.

    Set-based, and safe between concurrent writers: the batch's rows are locked with SELECT ...
    FOR UPDATE in key order; those missing are created (an INSERT skipping rows another writer
    created meanwhile) and locked in turn; each is merged in Python and written back. Writers of
    the same bucket queue on its row instead of each adding to a copy; the rare deadlock of two
    writers creating rows in turn aborts one, which storing.with_retries runs again.
    """
    partials = aggregate(observations, steps)
    keys = sorted(partials)
    for i in range(0, len(keys), WRITE_CHUNK):
        chunk = keys[i : i + WRITE_CHUNK]
        rows = lock(chunk)
        # Most batches add to rows already there (a minute's row takes many batches).
        if missing := [key for key in chunk if key not in rows]:
            Rollup.objects.bulk_create(
                [Rollup(app_name=a, path=p, step=s, start=t) for a, p, s, t in missing],
                ignore_conflicts=True,
            )
            rows |= lock(missing)
        for key in chunk:
            partials[key].apply(rows[key])
        # Written back in one statement, an upsert on the primary key that only ever updates
        # (the rows exist and are locked): a round trip per row was most of ingest's cost here,
        # and bulk_update's CASE over every column costs more than the trips.
        # (MariaDB upserts on any unique key, and takes none named.)
        named = connection.features.supports_update_conflicts_with_target
        Rollup.objects.bulk_create(
            rows.values(),
            update_conflicts=True,
            unique_fields=["pk"] if named else None,
            update_fields=[*FINISHED, *SKETCHES, *PEAKS],
        )


def lock(keys: list[tuple]) -> dict[tuple, Rollup]:
    """The stored rows of these (app, path, step, start) keys, locked in key order."""
    # One condition per bucket, naming its paths, rather than one per key: Django took longer
    # to compile a batch's few dozen ORed keys than PostgreSQL took to run them.
    paths_of = defaultdict(list)
    for app, path, step, start in keys:
        paths_of[(app, step, start)].append(path)
    wanted = Q(pk__in=[])
    for (app, step, start), paths in paths_of.items():
        wanted |= Q(app_name=app, step=step, start=start, path__in=paths)
    rows = Rollup.objects.select_for_update().filter(wanted)
    return {
        (row.app_name, row.path, row.step, row.start): row
        for row in rows.order_by("app_name", "path", "step", "start")
    }


def rebuild_weeks(since: datetime, model: type[models.Model] | None = None) -> int:
    """Replace the week rows from the week holding `since` on with the merge of their day rows,
    and return how many were written: for rollups kept before weeks were (migration 0011, which
    passes its frozen Rollup as `model`), and after rebuild_rollups, which rebuilds days only.
    One app at a time, so memory holds an app's day rows, not the table's."""
    model = model or Rollup
    first = bucket_start(since, WEEK)
    written = 0
    with transaction.atomic():
        model.objects.filter(step=WEEK, start__gte=first).delete()
        days = model.objects.filter(step=DAY, start__gte=first)
        for app in days.order_by("app_name").values_list("app_name", flat=True).distinct():
            weeks: dict[tuple, Partial] = defaultdict(Partial)
            for row in days.filter(app_name=app).values(
                "path", "start", *FINISHED, *SKETCHES, *PEAKS
            ):
                weeks[(row["path"], bucket_start(row["start"], WEEK))].absorb(row)
            rows = []
            for (path, start), partial in weeks.items():
                rows.append(model(app_name=app, path=path, step=WEEK, start=start))
                partial.apply(rows[-1])
            model.objects.bulk_create(rows, batch_size=WRITE_CHUNK)
            written += len(rows)
    return written
