"""API throttles per user and per scope: ``reads``, ``writes`` and ``reports`` (``API_THROTTLE_RATES``).

Each scope is a fixed-window counter per user (``core.ratelimit``: one atomic increment on the shared
cache per request). A request over the rate is answered 429 ``{"code": "throttled"}`` with ``Retry-After``.
A view names its scope with ``throttle_scope``; otherwise a safe method reads and any other writes.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import BaseThrottle

from core.http import client_ip
from core.ratelimit import Rate, hit


def throttle_scope(request, view) -> str:
    scope = getattr(view, "throttle_scope", None)
    if scope:
        return scope
    return "reads" if request.method in SAFE_METHODS else "writes"


class ScopedUserThrottle(BaseThrottle):
    """One counter per user and scope; anonymous requests count per address."""

    retry_after: int | None = None

    def allow_request(self, request, view) -> bool:
        scope = throttle_scope(request, view)
        rate = settings.API_THROTTLE_RATES.get(scope)
        if not rate:
            return True
        user = getattr(request, "user", None)
        identity = f"user:{user.pk}" if user is not None and user.is_authenticated else f"ip:{client_ip(request)}"
        verdict = hit(f"api-{scope}", identity, Rate.parse(rate))
        self.retry_after = verdict.retry_after or None
        return verdict.allowed

    def wait(self) -> float | None:
        return self.retry_after
