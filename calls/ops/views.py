"""What an operator's stack asks of fnweb: `/healthz` and `/readyz` for probes and load
balancers, `/metrics` for Prometheus. Failures answer in Fn's error shape, like the API."""

import hmac
import ipaddress
import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET, require_safe
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

import fnweb
from calls import metrics
from calls.api.errors import error_response

logger = logging.getLogger(__name__)


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and answering; nothing else is checked, so a database outage does
    not get every worker restarted."""
    return JsonResponse({"status": "ok"})


@require_safe
def version(request: HttpRequest) -> JsonResponse:
    """What Fn's server answers `fn version` with: here, fnweb's version."""
    return JsonResponse({"version": fnweb.__version__})


@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready for traffic: the database answers and every migration is applied."""
    try:
        executor = MigrationExecutor(connection)
        unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError:
        logger.exception("readiness: the database is unreachable")
        return error_response("Database is unreachable", 503)
    if unapplied:
        names = ", ".join(f"{migration.app_label}.{migration.name}" for migration, _ in unapplied)
        return error_response(f"Database migrations are not applied: {names}", 503)
    return JsonResponse({"status": "ok"})


def allowed_to_scrape(request: HttpRequest) -> bool:
    """Each restriction that is set must hold: the client's address is in
    METRICS_ALLOWED_IPS (addresses or networks) and it sends METRICS_BEARER_TOKEN. With
    neither set, metrics are as open as reads: closed when READ_REQUIRES_LOGIN."""
    if not settings.METRICS_ALLOWED_IPS and not settings.METRICS_BEARER_TOKEN:
        return not settings.READ_REQUIRES_LOGIN
    if settings.METRICS_ALLOWED_IPS:
        client = ipaddress.ip_address(request.META["REMOTE_ADDR"])
        if not any(client in network for network in settings.METRICS_ALLOWED_IPS):
            return False
    if settings.METRICS_BEARER_TOKEN:
        sent = request.headers.get("Authorization", "")
        expected = f"Bearer {settings.METRICS_BEARER_TOKEN}"
        if not hmac.compare_digest(sent.encode(), expected.encode()):
            return False
    return True


@require_GET
def scrape(request: HttpRequest) -> HttpResponse:
    if not allowed_to_scrape(request):
        return error_response("Not allowed to read metrics", 403)
    return HttpResponse(generate_latest(metrics.registry()), content_type=CONTENT_TYPE_LATEST)
