"""Retention of rollups, apart from the calls': they are small, and outlive the calls.

python manage.py purge_rollups [--older-than 400d]
"""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone

from calls.management.commands.purge_calls import days
from calls.rollups import STEPS, Rollup


class Command(BaseCommand):
    help = "Delete rollups of buckets older than a number of days, in short batches."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=days,
            metavar="DAYS",
            help="e.g. 400d; without it, the ROLLUPS_RETENTION_DAYS setting",
        )

    def handle(self, *args, older_than, **options):
        cutoff = timezone.now() - timedelta(days=older_than or settings.ROLLUPS_RETENTION_DAYS)
        # Whole buckets before the cutoff: a week's row goes with its last day's, not its first.
        ended = Q(pk__in=[])
        for step in STEPS:
            ended |= Q(step=step, start__lte=cutoff - timedelta(seconds=step))
        old = Rollup.objects.filter(ended)
        total = 0
        # A batch of ids at a time, each its own statement, so ingest never waits for long.
        while ids := list(old.values_list("pk", flat=True)[:5000]):
            total += Rollup.objects.filter(pk__in=ids)._raw_delete(Rollup.objects.db)
        self.stdout.write(
            f"Deleted {total} rollups of buckets ended by {cutoff:%Y-%m-%d %H:%M} UTC"
        )
