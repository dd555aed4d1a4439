"""One exception handler for the API: every error is ``{"code", "message"}`` with its HTTP status.

Domain errors carry their own ``code`` and ``http_status`` (``core.exceptions``); DRF's own errors
keep their status (400 bad input, 401 with ``WWW-Authenticate``, 403, 404, 405, ...) and their
default code. A 400 may add the field errors under ``errors``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import DomainError


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
    if response is None or not isinstance(exc, exceptions.APIException):
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


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 handler: under ``/api/`` the API's JSON error, elsewhere the site's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "message": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)
