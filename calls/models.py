from collections.abc import Collection
from datetime import datetime

from django.db import connection, models
from django.urls import reverse
from django.utils import timezone

from calls.fields import (
    MemoryShareField,
    MicrosecondsField,
    PeakField,
    StatsField,
    run_time,
    stats_text,
    wire_json,
)
from calls.fntime import format_datetime
from calls.stats import Point, dump_points, load_points

# What a row of a calls list shows; never `stats` or `error`, which can be large.
LIST_COLUMNS = (
    "id", "app", "path", "status", "created_at", "started_at", "completed_at",
    "peak_cpu_total", "peak_mem_usage", "peak_mem_share",
)  # fmt: skip
# What Fn's JSON of a call holds, besides its stats; never the derived peaks.
FN_COLUMNS = ("id", "app", "path", "status", "created_at", "started_at", "completed_at", "error")


class App(models.Model):
    """An Fn app. It exists once a call for it arrives, and stays when its calls are purged."""

    name = models.CharField(max_length=255, primary_key=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class CallPath(models.Model):
    """A path an app's calls were made on: kept by ingest as calls arrive (and stays when they
    are purged), so the dashboard lists an app's paths without reading its calls."""

    # No foreign key constraint: on MariaDB/MySQL the key would need the app name's binary
    # collation at creation (migration 0004 sets it), and apps are never deleted.
    app = models.ForeignKey(
        App, models.DO_NOTHING, db_column="app_name", db_constraint=False, related_name="paths"
    )
    path = models.CharField(max_length=256)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["app", "path"], name="callpath_app_path")]

    def __str__(self) -> str:
        return f"{self.app_id} {self.path}"

    @classmethod
    def record(cls, app_name: str, paths: set[str]) -> None:
        """Make sure the app and these paths of it are stored, as every write of calls must;
        rows already there are left alone, whoever wrote them a moment ago."""
        App.objects.bulk_create([App(name=app_name)], ignore_conflicts=True)
        # Sorted: the same order in every transaction.
        rows = [cls(app_id=app_name, path=path) for path in sorted(paths)]
        cls.objects.bulk_create(rows, ignore_conflicts=True)


class CallQuerySet(models.QuerySet):
    """The queries pages, the API, the admin and the commands make of a table of millions of
    calls: named column sets, keyset order and an estimated count (purging them:
    calls/retention.py)."""

    def for_list(self) -> "CallQuerySet":
        return self.only(*LIST_COLUMNS)

    def for_api(self, with_stats: bool = True) -> "CallQuerySet":
        # The stats as their stored text, which to_fn_json puts on the wire as it is.
        calls = self.only(*FN_COLUMNS)
        return calls.annotate(stats_text=stats_text()) if with_stats else calls

    def matching(
        self,
        app: str,
        path: str = "",
        statuses: Collection[str] = (),
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        sort: str = "",
    ) -> "CallQuerySet":
        """The calls of `app` through the filters of the API's and the dashboard's lists; an
        empty one filters nothing. The time bounds are exclusive, as Fn's from_time and
        to_time are. The app is of_app's range for a list of the app alone in id order, an
        equality where a path or status follows it in the index the list reads (a seek on
        both) or the list is in the order of a figure (`sort`, calls.outliers)."""
        alone = not (path or statuses or sort)
        calls = self.of_app(app) if alone else self.filter(app_id=app)
        if path:
            calls = calls.filter(path=path)
        if statuses:
            calls = calls.filter(status__in=statuses)
        if created_after:
            calls = calls.filter(created_at__gt=created_after)
        if created_before:
            calls = calls.filter(created_at__lt=created_before)
        return calls

    def of_app(self, app: str) -> "CallQuerySet":
        """The calls of one app, for the keyset orders, which lead with the app.

        Asked as a range of one name rather than an equality so that PostgreSQL keeps the app
        in the order: told `app = X ORDER BY id DESC`, it may walk the primary key back from
        the newest call of every app, filtering, and for an app with no recent calls read all
        the newer calls of the others (a page of a quiet app beside a busy one: 101,000 rows
        and 274 ms, against 0.4 ms down the (app, id) index). Ordered by (app, id), only the
        app's indexes hold the order. Only for the app alone: a range on the index's first
        column leaves the next one (a path, a status) out of the seek."""
        return self.filter(app_id__gte=app, app_id__lte=app)

    def newest_first(self, before: str = "") -> "CallQuerySet":
        """An app's calls (of_app) in keyset order: ids grow with time, so a page is an index
        range below the cursor `before` (the last id of the page before), never an OFFSET."""
        calls = self.order_by("-app", "-id")
        return calls.filter(id__lt=before) if before else calls

    def oldest_first(self, after: str) -> "CallQuerySet":
        """An app's calls newer than the id `after`, the nearest first (paging back up a
        list)."""
        return self.filter(id__gt=after).order_by("app", "id")

    def estimated_count(self) -> int:
        """How many calls are stored, from what the database already knows: COUNT(*) reads the
        whole table, far too slow for each scrape or admin page over millions of rows."""
        table = self.model._meta.db_table
        quoted = connection.ops.quote_name(table)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
                estimate = cursor.fetchone()[0]
                if estimate >= 0:
                    return int(estimate)
                # -1 until the table is first analyzed, which autovacuum soon does.
                cursor.execute(f"SELECT COUNT(*) FROM {quoted}")
            elif connection.vendor == "mysql":
                cursor.execute(
                    "SELECT TABLE_ROWS FROM information_schema.TABLES"
                    " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s",
                    [table],
                )
            else:
                # SQLite keeps no estimate. Rowids grow with each insert and retention deletes
                # the oldest calls, so their span is close. Each end is one b-tree lookup when
                # asked alone (MIN and MAX in one SELECT would scan the table).
                cursor.execute(
                    f"SELECT COALESCE((SELECT MAX(rowid) FROM {quoted})"
                    f" - (SELECT MIN(rowid) FROM {quoted}) + 1, 0)"
                )
            return int(cursor.fetchone()[0] or 0)


class Call(models.Model):
    """One function call as Fn recorded it, with its stats histogram of at most 240 points."""

    class Status(models.TextChoices):
        # Fn persisted success, error and timeout; the others describe calls not yet finished.
        SUCCESS = "success"
        ERROR = "error"
        TIMEOUT = "timeout"
        CANCELLED = "cancelled"
        DELAYED = "delayed"
        QUEUED = "queued"
        RUNNING = "running"

    # A call in one of these states is replaced by a later report of the same id; others are
    # final, so a retried send changes nothing.
    UNFINISHED = frozenset({Status.DELAYED, Status.QUEUED, Status.RUNNING})
    # How an unknown status is refused, after the name of the field that held it.
    STATUS_RULE = f"must be one of {', '.join(Status.values)}"
    # What a list's status filter names: the calls that failed, as the overview counts them.
    FAILED = (Status.ERROR, Status.TIMEOUT)
    STATUS_FILTER_RULE = f"{STATUS_RULE} or failed, or several separated by commas"

    id = models.CharField(max_length=255, primary_key=True)
    # The column keeps Fn's name, so `app_id` holds the app's name.
    app = models.ForeignKey(
        App, on_delete=models.CASCADE, db_column="app_name", db_index=False, related_name="calls"
    )
    path = models.CharField(max_length=256)
    status = models.CharField(max_length=16, choices=Status.choices)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    stats = StatsField(default=list, blank=True)
    # So lists and percentiles never load the histogram.
    peak_cpu_total = PeakField(metric="cpu_total")
    peak_mem_usage = PeakField(metric="mem_usage")
    # So lists filter and sort on them (calls.outliers).
    peak_mem_share = MemoryShareField()
    duration_us = MicrosecondsField()

    objects = CallQuerySet.as_manager()

    class Meta:
        indexes = [
            # Listing is keyset pagination on id, newest first, per app and per app and path;
            # (app, id) also serves every lookup by app alone.
            models.Index(fields=["app", "id"], name="call_app_id"),
            models.Index(fields=["app", "path", "id"], name="call_app_path_id"),
            # A period newest first (the admin's dates), retention oldest first, in keyset order.
            models.Index(fields=["created_at", "id"], name="call_created_at_id"),
            # A status newest first, and its count read from the index alone.
            models.Index(fields=["status", "id"], name="call_status_id"),
            # The calls of one status in an app, by id: the call page's previous and next.
            models.Index(fields=["app", "status", "id"], name="call_app_status_id"),
            # Sorted lists (calls.outliers), keyset on (figure, id), per app and per app and
            # path. created_at lets a time filter be checked in the index; the path ones would
            # pass MariaDB's 3,072-byte key limit with it.
            models.Index(
                fields=["app", "duration_us", "id", "created_at"], name="call_app_duration"
            ),
            models.Index(
                fields=["app", "path", "duration_us", "id"], name="call_app_path_duration"
            ),
            models.Index(fields=["app", "peak_mem_usage", "id", "created_at"], name="call_app_mem"),
            models.Index(fields=["app", "path", "peak_mem_usage", "id"], name="call_app_path_mem"),
            models.Index(fields=["app", "peak_cpu_total", "id", "created_at"], name="call_app_cpu"),
            models.Index(fields=["app", "path", "peak_cpu_total", "id"], name="call_app_path_cpu"),
        ]

    def __str__(self) -> str:
        return self.id

    def get_absolute_url(self) -> str:
        return reverse("call_detail", args=[self.app_id, self.id])

    @classmethod
    def replaceable_by(cls, status: str) -> list[str]:
        """The stored statuses a report in `status` replaces. States only move forward,
        queued (or delayed) -> running -> finished, and a finished call is final; a report of
        the same step replaces (a later `running` report carries more stats)."""
        step = {cls.Status.DELAYED: 0, cls.Status.QUEUED: 0, cls.Status.RUNNING: 1}
        reported = step.get(status, 2)
        return [stored for stored, stored_step in step.items() if stored_step <= reported]

    @classmethod
    def statuses_named(cls, text: str) -> list[str]:
        """The statuses a list filter names ("error,timeout", "failed" for both), sorted and
        unique; [] for "" (no filter). ValueError for a name that is no status."""
        statuses = set()
        for name in filter(None, text.split(",")):
            if name == "failed":
                statuses.update(cls.FAILED)
            elif name in cls.Status.values:
                statuses.add(name)
            else:
                raise ValueError(name)
        return sorted(statuses)

    def set_stats(self, points: list[Point]) -> None:
        """Store already-reduced points; the peaks follow when the call is written."""
        self.stats = dump_points(points)

    def points(self) -> list[Point]:
        return load_points(self.stats)

    def to_fn_json(self, with_stats: bool = True) -> dict:
        """The call as Fn's server printed it: keys in Go's order, stats and error when set,
        Go's zero time for a time never set. Of a call read by for_api(), written by orjson."""
        data = {
            "id": self.id,
            "status": self.status,
            "app_name": self.app_id,
            "path": self.path,
            "completed_at": format_datetime(self.completed_at),
            "created_at": format_datetime(self.created_at),
            "started_at": format_datetime(self.started_at),
        }
        if with_stats and (stats := wire_json(self.stats_text)) is not None:
            data["stats"] = stats
        if self.error:
            data["error"] = self.error
        return data

    @property
    def queued(self):
        """Time from creation to start, or None for a call that has not started."""
        return self.started_at - self.created_at if self.started_at else None

    @property
    def duration(self):
        """Run time from start to completion, or None for a call that has not finished."""
        return run_time(self.started_at, self.completed_at)


class CallLog(models.Model):
    """A call's log text, in its own table as Fn kept it, so call lists never read it."""

    call = models.OneToOneField(
        Call, on_delete=models.CASCADE, primary_key=True, db_column="id", related_name="log"
    )
    text = models.TextField()

    def __str__(self) -> str:
        return f"log of {self.call_id}"


# Models kept beside the code that uses them, imported here so Django registers them with
# the app (and `from calls.models import ApiToken` keeps working).
from calls.rollups import Rollup  # noqa: E402, F401
from calls.tokens import ApiToken  # noqa: E402, F401
