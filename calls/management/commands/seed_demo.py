"""Demo calls with realistic histograms, so a fresh `make run` has something to show."""

import random

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from calls import rollups
from calls.demo import PROFILES, demo_call
from calls.models import Call, CallLog, CallPath


class Command(BaseCommand):
    help = "Create demo apps and calls with realistic stats histograms (does nothing if present)."

    def add_arguments(self, parser):
        parser.add_argument("--calls", type=int, default=200, help="how many calls (default 200)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")

    def handle(self, *args, **options):
        existing = Call.objects.filter(app__in=list(PROFILES)).count()
        if existing:
            self.stdout.write(f"Demo data already present ({existing} calls); nothing to do.")
            return
        rng = random.Random(options["seed"])
        now = timezone.now()
        calls, logs = [], []
        for _ in range(options["calls"]):
            call, log = demo_call(rng, now)
            calls.append(call)
            logs.append(log)
        with transaction.atomic():
            for app, paths in PROFILES.items():
                CallPath.record(app, set(paths))
            Call.objects.bulk_create(calls, batch_size=100)
            CallLog.objects.bulk_create(logs, batch_size=100)
            rollups.record(rollups.observe(call, call.points()) for call in calls)
        self.stdout.write(f"Created {len(calls)} demo calls in apps {', '.join(PROFILES)}.")
