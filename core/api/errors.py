"""One exception handler for the API: every error is ``{"code", "message"}`` with its HTTP status.

Domain errors carry their own ``code`` and ``http_status`` (``core.exceptions``); DRF's own errors
keep their status (400 bad input, 401 with ``WWW-Authenticate``, 403, 404, 405, ...) and their
default code. A 400 may add the field errors under ``errors``. Anything else is a fault of ours:
it is logged with its traceback and answered ``{"code": "server_error"}`` with status 500, in a view
by the handler here and outside one (a renderer, a middleware) by ``server_error``, Django's 500
handler, which does the same for any path under ``/api/``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from core.exceptions import DomainError

logger = logging.getLogger("django.request")

SERVER_ERROR = {
    "code": "server_error",
    "message": "Something went wrong on our side. It has been logged; please try again later.",
}


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        for name, value in detail.items():
            message = _first_message(value)
            if name in ("non_field_errors", "detail"):
                return message
            return f"{name}: {message}"
        return "Invalid input."
    if isinstance(detail, list):
        return _first_message(detail[0]) if detail else "Invalid input."
    return str(detail)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        body: dict[str, Any] = {"code": exc.code, "message": exc.message}
        if exc.field:
            body["field"] = exc.field
        return Response(body, status=exc.http_status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return _server_error(exc, context)
    if not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        codes = exc.get_codes()
        wrong_credentials = isinstance(codes, dict) and "authorization" in list(codes.get("non_field_errors") or [])
        body = {"code": "invalid_credentials" if wrong_credentials else "invalid", "message": _first_message(detail)}
        if isinstance(detail, dict):
            errors = {name: value for name, value in detail.items() if name != "non_field_errors"}
            if errors:
                body["errors"] = errors
        response.data = body
        return response
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    response.data = {"code": str(code), "message": _first_message(exc.detail)}
    return response


def _server_error(exc: Exception, context: dict[str, Any]) -> Response | None:
    """An unexpected exception in an API view: logged, rolled back, answered as JSON (raised when DEBUG)."""
    if settings.DEBUG:
        return None  # Django's debug page, with the traceback
    request = context.get("request")
    logger.error(
        "Internal Server Error: %s",
        getattr(request, "path", "?"),
        exc_info=(type(exc), exc, exc.__traceback__),
        extra={"status_code": 500, "request": getattr(request, "_request", request)},
    )
    set_rollback()
    return Response(SERVER_ERROR, status=500)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500 handler: under ``/api/`` the API's JSON error, elsewhere the site's plain page."""
    if request.path.startswith("/api/"):
        return JsonResponse(SERVER_ERROR, status=500)
    return defaults.server_error(request)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 handler: under ``/api/`` the API's JSON error, elsewhere the site's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "message": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)
