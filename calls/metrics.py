"""Prometheus metrics: ingest, each call as it is ingested, HTTP requests and the database.
These are their definitions; `calls.ingest` counts what it stores and refuses.

Names are in base units with `_total`, `_seconds` and `_bytes` suffixes. Labels take values
from bounded sets only: a stored app (apps are made by authenticated senders; a refused batch
is labelled "other", never by its URL), a status, a view name. Paths and call ids are not
labels: 20,000 paths would make every scrape time out; per-path figures live in the database,
where the dashboard and /v1/apps/{app}/stats read them.

Under gunicorn every worker counts on its own; with PROMETHEUS_MULTIPROC_DIR set (the gunicorn
config sets it) prometheus-client keeps the counts in files there and `/metrics` adds them up.
"""

import logging
import os
import time
from collections.abc import Callable

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client.core import GaugeMetricFamily

from calls.models import Call
from calls.stats import MIB

logger = logging.getLogger(__name__)

CALLS_INGESTED = Counter(
    "fnweb_ingest_calls",
    "Call reports stored by ingest; a call reported queued, then finished, counts in both.",
    ["app", "status"],
)
CALLS_REJECTED = Counter(
    "fnweb_ingest_calls_rejected", "Calls refused by ingest's validation.", ["app"]
)
BATCHES = Counter(
    "fnweb_ingest_batches", "Ingest batches, by status accepted or rejected.", ["status"]
)
POINTS_RECEIVED = Counter(
    "fnweb_ingest_points_received", "Stats points received; minus stored, the points reduced."
)
POINTS_STORED = Counter("fnweb_ingest_points_stored", "Stats points stored after reduction.")

# Per call, as the dashboard charts it. Fn's calls run from milliseconds to an hour.
CALL_DURATION = Histogram(
    "fnweb_call_duration_seconds",
    "Run time of each ingested call, from start to completion.",
    ["app", "status"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600),
)
CALL_PEAK_CPU = Histogram(
    "fnweb_call_peak_cpu_percent",
    "Peak cpu_total of each ingested call, as Fn reports it (100 is one core).",
    ["app"],
    buckets=(5, 10, 25, 50, 75, 100, 150, 200, 400, 800),
)
CALL_PEAK_MEMORY = Histogram(
    "fnweb_call_peak_memory_bytes",
    "Peak mem_usage of each ingested call.",
    ["app"],
    buckets=tuple(n * MIB for n in (8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)),
)
CALL_NETWORK = Histogram(
    "fnweb_call_network_bytes",
    "Bytes each ingested call received and sent (net_rx + net_tx growth).",
    ["app"],
    buckets=(1024, 16 * 1024, 256 * 1024, MIB, 16 * MIB, 256 * MIB, 1024 * MIB),
)
CALL_DISK = Histogram(
    "fnweb_call_disk_bytes",
    "Bytes each ingested call read and wrote (disk_read + disk_write growth).",
    ["app"],
    buckets=(1024, 16 * 1024, 256 * 1024, MIB, 16 * MIB, 256 * MIB, 1024 * MIB),
)

HTTP_REQUESTS = Histogram(
    "fnweb_http_request_duration_seconds",
    "Time to answer HTTP requests, by view name and status code; _count counts requests.",
    ["view", "status"],
)


class RequestMetricsMiddleware:
    """Times every request and labels it with the view's name from the URL resolver, never the
    raw path: a path holds app and call ids, and one series per call would swamp Prometheus."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        start = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        view = match.view_name if match else "unmatched"
        HTTP_REQUESTS.labels(view, str(response.status_code)).observe(time.perf_counter() - start)
        return response


class DatabaseCollector:
    """Asks the database at scrape time, so every worker answers the same."""

    def describe(self):
        # Registering calls describe(); without it prometheus-client would query at import.
        return [GaugeMetricFamily("fnweb_calls_stored", "")]

    def collect(self):
        try:
            stored = Call.objects.estimated_count()
        except DatabaseError:
            # Serve the other metrics anyway: during an outage they are what the operator needs.
            logger.warning("metrics: the database is unreachable", exc_info=True)
            return
        yield GaugeMetricFamily(
            "fnweb_calls_stored",
            "Calls in the database (the database's own estimate on PostgreSQL and MariaDB).",
            value=stored,
        )


# Registered in CallsConfig.ready(), once per process.
DATABASE = DatabaseCollector()


def registry() -> CollectorRegistry:
    """What `/metrics` serves: this process's metrics, or under gunicorn every worker's."""
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return REGISTRY
    merged = CollectorRegistry()
    multiprocess.MultiProcessCollector(merged)
    merged.register(DATABASE)
    return merged
