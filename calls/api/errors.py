"""Fn's error shape, `{"error": {"message": ...}}` with Fn's status codes, built here alone:
for the API's views (through DRF's exception handler), for paths under /v1 that match no
view, and for the operations endpoints."""

import logging

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


def error_body(message: str) -> dict:
    return {"error": {"message": message}}


def error_response(message: str, status: int) -> JsonResponse:
    """Fn's error from a plain Django view, with gin's `application/json; charset=utf-8`."""
    content_type = f"{FnJSONRenderer.media_type}; charset={FnJSONRenderer.charset}"
    return JsonResponse(error_body(message), status=status, content_type=content_type)


def fn_exception_handler(exc, context) -> Response:
    response = exception_handler(exc, context)
    if response is None:
        # Not an API error: a bug or a database failure. Log it, answer like Fn, no traceback.
        logger.exception("error in %s", context["request"].path, exc_info=exc)
        set_rollback()
        response = Response(status=500)
        message = "internal server error"
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
