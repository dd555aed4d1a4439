"""``/healthz`` (the process runs) and ``/readyz`` (what it needs answers: database, cache, broker) — SPEC §15.

Both answer JSON, need no sign-in and touch no customer data. ``/readyz`` answers 503 naming each part
that does not answer, so a load balancer takes the process out of rotation and an operator sees why.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

BROKER_TIMEOUT_SECONDS = 2.0


def _database() -> str:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _cache() -> str:
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", 10)
    if cache.get(key) != "1":
        raise RuntimeError("the cache did not keep a value")
    cache.delete(key)
    return "ok"


def _broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "not used (tasks run in the web process)"
    from kombu import Connection

    with Connection(settings.CELERY_BROKER_URL, connect_timeout=BROKER_TIMEOUT_SECONDS) as connection:
        connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    return "ok"


CHECKS = {"database": _database, "cache": _cache, "broker": _broker}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str] = {}
    failing: list[str] = []
    for name, check in CHECKS.items():
        try:
            checks[name] = check()
        except Exception as error:  # any failure of a dependency is an answer here, never a 500
            checks[name] = f"down: {type(error).__name__}"
            failing.append(name)
    body = {"status": "not ready" if failing else "ready", "checks": checks, "failing": failing}
    return JsonResponse(body, status=503 if failing else 200)
