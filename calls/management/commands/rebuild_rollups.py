"""Backfill rollups from the calls already stored, a day at a time.

python manage.py rebuild_rollups [--since 2026-01-31]
"""

from datetime import UTC, datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from calls import rollups
from calls.models import Call
from calls.rollups import DAY, HOUR, MINUTE, WEEK, Rollup, bucket_start


def day(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise CommandError(f"--since {text!r} is not a date like 2026-01-31") from None


class Command(BaseCommand):
    help = (
        "Rebuild the rollups of every day from --since (default: the day of the oldest stored"
        " call) from its calls. Days before it keep theirs, purged calls included; a day whose"
        " calls were partly purged is rebuilt from those left. Weeks are then merged from their"
        " days. Best run while ingest is paused."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", type=day, help="first day to rebuild, YYYY-MM-DD (UTC)")

    def handle(self, *args, since, **options):
        if since is None:
            oldest = Call.objects.order_by("created_at").values_list("created_at", flat=True)
            since = oldest.first()  # one step down the created_at index
            if since is None:
                self.stdout.write("No calls stored: nothing to rebuild")
                return
        first = bucket_start(since, DAY)
        days = (timezone.now() - first) // timedelta(days=1) + 1
        total = 0
        for n in range(days):
            start = first + timedelta(days=n)
            total += self.rebuild(start, start + timedelta(days=1))
            self.stdout.write(f"{start:%Y-%m-%d}: {total} calls so far ({n + 1}/{days} days)")
        # The first week may also hold days before --since, which keep their day rows.
        weeks = rollups.rebuild_weeks(first)
        self.stdout.write(f"Rebuilt the rollups from {total} calls since {first:%Y-%m-%d}")
        self.stdout.write(f"Merged {weeks} week rollups from their days")

    def rebuild(self, start: datetime, end: datetime) -> int:
        """One day's rollups, but for its week, replaced in one transaction."""
        calls = Call.objects.filter(created_at__gte=start, created_at__lt=end).only(
            "app", "path", "status", "created_at", "started_at", "completed_at",
            "peak_cpu_total", "peak_mem_usage", "stats",
        )  # fmt: skip
        # Weeks keep what they held until rebuild_weeks merges them from the rebuilt days: a
        # week starting today would otherwise hold today alone, any other count today twice.
        with transaction.atomic():
            Rollup.objects.filter(start__gte=start, start__lt=end).exclude(step=WEEK).delete()
            seen = [rollups.observe(call, call.points()) for call in calls.iterator(2000)]
            rollups.record(seen, steps=(MINUTE, HOUR, DAY))
        return len(seen)
