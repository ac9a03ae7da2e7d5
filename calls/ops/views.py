"""What an operator's stack asks of fnweb: `/healthz` and `/readyz` for probes and load
balancers, `/metrics` for Prometheus. Failures answer in Fn's error shape, like the API; so
does any error under /v1/ that no view answered (`server_error`)."""

import hmac
import ipaddress
import logging
import sys
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views.decorators.http import require_GET, require_safe
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

import fnweb
from calls import metrics
from calls.api.errors import database_unavailable, error_response

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


# The readiness check runs in a thread of its own, so /readyz can give up on a database that
# does not answer; one thread per process, so a hung check holds it and not one per probe.
READINESS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="readyz")


def unapplied_migrations() -> list[str]:
    """Asked on the check thread's own connection, closed after each check: a probe then
    connects as a new worker would, and keeps no connection open between probes."""
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]
    finally:
        connection.close()


@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready for traffic: the database answers within READYZ_TIMEOUT seconds and every
    migration is applied. A failed probe logs one line: probes repeat every few seconds."""
    check = READINESS.submit(unapplied_migrations)
    try:
        unapplied = check.result(timeout=settings.READYZ_TIMEOUT)
    except TimeoutError:
        check.cancel()  # when it still waits behind a hung one
        logger.warning("readiness: no answer from the database in %s s", settings.READYZ_TIMEOUT)
        return error_response("Database is unreachable", 503)
    except DatabaseError as error:
        logger.warning("readiness: the database is unreachable: %s", error)
        return error_response("Database is unreachable", 503)
    if unapplied:
        names = ", ".join(unapplied)
        return error_response(f"Database migrations are not applied: {names}", 503)
    return JsonResponse({"status": "ok"})


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's handler500, for what fails outside the API's views (the database in a
    middleware, a bug): Fn's error shape under /v1/, a plain page elsewhere; a 503 when the
    database is unavailable, so that clients retry. Django logs the error itself."""
    if database_unavailable(sys.exc_info()[1]):
        status, message = 503, "Database is unavailable"
    else:
        status, message = 500, "internal server error"
    if request.path_info.startswith("/v1/"):
        return error_response(message, status)
    # A template of its own, not base.html: nothing on it may need the database.
    page = loader.render_to_string("500.html", {"unavailable": status == 503})
    return HttpResponse(page, status=status)


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
