import hashlib
import secrets
from collections.abc import Callable

from django.db import connection, models, transaction
from django.utils import timezone

from calls.stats import Point, dump_points, peak


class App(models.Model):
    """An Fn app. It exists once a call for it arrives, and stays when its calls are purged."""

    name = models.CharField(max_length=255, primary_key=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class CallQuerySet(models.QuerySet):
    """Retention and counting for a table of millions of calls (the admin, purge_calls and
    the metrics use these)."""

    def purge(self, batch_size: int = 1000, progress: Callable[[int], None] | None = None) -> int:
        """Delete these calls and their logs, oldest first, `batch_size` at a time, each batch
        in its own short transaction so reads and ingest wait a moment at most. Returns the
        number deleted; `progress` is called after each batch with the number so far."""
        deleted = 0
        while ids := list(self.order_by("created_at").values_list("pk", flat=True)[:batch_size]):
            with transaction.atomic():
                # One DELETE per table: QuerySet.delete() would load every call (stats and
                # all) to find its log, then delete them a hundred at a time.
                CallLog.objects.filter(call_id__in=ids).delete()
                count = Call.objects.filter(pk__in=ids)._raw_delete(self.db)
            deleted += count
            if progress:
                progress(deleted)
        return deleted

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
    stats = models.JSONField(default=list, blank=True)
    # Derived from `stats` by set_stats(), so lists and percentiles never load the histogram.
    # Floats, because metric values go up to 2^64 - 1, past what a BIGINT column holds.
    peak_cpu_total = models.FloatField(null=True, blank=True)
    peak_mem_usage = models.FloatField(null=True, blank=True)

    objects = CallQuerySet.as_manager()

    class Meta:
        indexes = [
            # Listing is keyset pagination on id, newest first, per app and per app and path;
            # (app, id) also serves every lookup by app alone.
            models.Index(fields=["app", "id"], name="call_app_id"),
            models.Index(fields=["app", "path", "id"], name="call_app_path_id"),
            models.Index(fields=["created_at"], name="call_created_at"),
            models.Index(fields=["status"], name="call_status"),
        ]

    def __str__(self) -> str:
        return self.id

    def set_stats(self, points: list[Point]) -> None:
        """Store already-reduced points, and the peaks derived from them."""
        self.stats = dump_points(points)
        self.peak_cpu_total = peak(points, "cpu_total")
        self.peak_mem_usage = peak(points, "mem_usage")

    @property
    def duration(self):
        """Run time from start to completion, or None for a call that has not finished."""
        if self.started_at and self.completed_at:
            return self.completed_at - self.started_at
        return None


class CallLog(models.Model):
    """A call's log text, in its own table as Fn kept it, so call lists never read it."""

    call = models.OneToOneField(
        Call, on_delete=models.CASCADE, primary_key=True, db_column="id", related_name="log"
    )
    text = models.TextField()

    def __str__(self) -> str:
        return f"log of {self.call_id}"


class ApiToken(models.Model):
    """A machine's credential for writes. Only a SHA-256 digest is kept, so a copy of the
    database does not hand out working tokens."""

    name = models.CharField(max_length=100, unique=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def digest_of(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, name: str) -> str:
        """Create a token and return its key, which is shown this once and never stored."""
        key = secrets.token_urlsafe(32)
        cls.objects.create(name=name, digest=cls.digest_of(key))
        return key
