"""Fn's error shape, `{"error": {"message": ...}}` with Fn's status codes, built here alone:
for the API's views (through DRF's exception handler), for paths under /v1 that match no
view, and for the operations endpoints."""

import logging

from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, JsonResponse
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from calls.api.renderers import FnJSONRenderer

logger = logging.getLogger(__name__)


class FnError(APIException):
    """An error answered as Fn answers it."""

    def __init__(self, message: str, status_code: int):
        super().__init__(message)
        self.status_code = status_code


# What the drivers say when the database cannot be reached or gave up waiting, as opposed to a
# query it refused: MySQL/MariaDB's refused, lost or gone connection, too many connections and
# max_statement_time; SQLite's file that cannot be opened or stayed locked.
MYSQL_UNAVAILABLE = {1040, 1969, 2002, 2003, 2006, 2013}
SQLITE_UNAVAILABLE = {"SQLITE_BUSY", "SQLITE_CANTOPEN"}


def database_unavailable(error: BaseException | None) -> bool:
    """The database could not be reached or did not answer in time: a 503, which a sender
    retries, rather than a bug's 500."""
    if isinstance(error, InterfaceError):
        return True  # the connection is closed or unusable
    if not isinstance(error, OperationalError) or error.__cause__ is None:
        return False
    cause = error.__cause__
    if connection.vendor == "postgresql":
        # No SQLSTATE: psycopg's own connection failures; 08: connection, 57: shutdown or
        # statement timeout; 53300: too many connections.
        state = cause.sqlstate
        return state is None or state[:2] in ("08", "57") or state == "53300"
    if connection.vendor == "mysql":
        return bool(cause.args) and cause.args[0] in MYSQL_UNAVAILABLE
    return getattr(cause, "sqlite_errorname", None) in SQLITE_UNAVAILABLE


def error_body(message: str) -> dict:
    return {"error": {"message": message}}


def error_response(message: str, status: int) -> JsonResponse:
    """Fn's error from a plain Django view, with gin's `application/json; charset=utf-8`."""
    content_type = f"{FnJSONRenderer.media_type}; charset={FnJSONRenderer.charset}"
    return JsonResponse(error_body(message), status=status, content_type=content_type)


def fn_exception_handler(exc, context) -> Response:
    response = exception_handler(exc, context)
    if response is None:
        # Not an API error: the database is unavailable, or a bug. Answer like Fn, no traceback.
        set_rollback()
        path = context["request"].path
        if database_unavailable(exc):
            # An outage: one line per request, not a traceback each.
            logger.warning("database unavailable in %s: %s", path, exc)
            response, message = Response(status=503), "Database is unavailable"
        else:
            logger.exception("error in %s", path, exc_info=exc)
            response, message = Response(status=500), "internal server error"
    else:
        # DRF has turned Django's own exceptions (Http404, PermissionDenied) into its own.
        message = str(response.data.get("detail", exc))
    response.data = error_body(message)
    # Errors are JSON even where the success would have been text (the log's text/plain).
    context["request"].accepted_renderer = FnJSONRenderer()
    context["request"].accepted_media_type = FnJSONRenderer.media_type
    return response


def path_not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    return error_response("Path not found", 404)
