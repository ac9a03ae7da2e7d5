"""Retention: delete old calls in batches, from cron or by hand.

python manage.py purge_calls --older-than 30d [--app A] [--status S] [--dry-run]
"""

import re
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from calls.fntime import MAX_RETENTION_DAYS
from calls.models import Call
from calls.retention import FIRST_BATCH, MAX_BATCH, purge


def days(text: str) -> int:
    """A number of days (`30` or `30d`), at most MAX_RETENTION_DAYS."""
    match = re.fullmatch(r"(\d{1,6})d?", text)
    if not match or int(match[1]) > MAX_RETENTION_DAYS:
        raise ValueError(text)
    return int(match[1])


class Command(BaseCommand):
    help = "Delete calls created before a number of days ago, in short batches."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=days,
            metavar="DAYS",
            help="e.g. 30d; without it, the CALLS_RETENTION_DAYS setting",
        )
        parser.add_argument("--app", help="only this app's calls")
        parser.add_argument(
            "--status", choices=Call.Status.values, help="only calls in this status"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would go, delete nothing"
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            help=f"calls per transaction (without it {FIRST_BATCH} to {MAX_BATCH}, as fast as"
            " they go)",
        )

    def handle(self, *args, older_than, app, status, dry_run, batch_size, **options):
        if older_than is None:
            older_than = settings.CALLS_RETENTION_DAYS
        if older_than is None:
            raise CommandError("Give --older-than DAYS or set CALLS_RETENTION_DAYS")
        if batch_size is not None and batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        cutoff = timezone.now() - timedelta(days=older_than)
        calls = Call.objects.filter(created_at__lt=cutoff)
        if app:
            calls = calls.filter(app_id=app)
        if status:
            calls = calls.filter(status=status)
        if dry_run:
            self.stdout.write(f"{calls.count()} calls created before {cutoff:%Y-%m-%d %H:%M} UTC")
            return

        progress = lambda so_far: self.stdout.write(f"deleted {so_far} calls")  # noqa: E731
        total = purge(calls, batch_size, progress)
        self.stdout.write(f"Deleted {total} calls created before {cutoff:%Y-%m-%d %H:%M} UTC")
