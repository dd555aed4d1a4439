"""Prometheus metrics at ``/metrics`` (SPEC §15): requests and latency by view, and what apps add at scrape time.

- ``http_requests_total{view,method,status}`` and ``http_request_duration_seconds{view,method}``, counted by
  ``MetricsMiddleware``. The view is the URL pattern's name (``rma:track``, ``admin:index``), never the
  path, so a secret link or an unknown URL never becomes a label (those are ``view="unmatched"``).
- What apps register at ``core.extensions.METRICS``, read from the database at each scrape: the outbox
  backlog by queue and status and the age of its oldest due row (rma), open fault signals (diagnostics).
- ``celery_queue_length{queue}``: tasks waiting in each Celery queue, when the broker is Redis.
- ``celery_tasks_total{task,outcome}``: tasks finished by workers that share this machine's metrics directory.

With several processes (gunicorn workers, Celery children), set ``PROMETHEUS_MULTIPROC_DIR`` to an empty
directory before they start (config/gunicorn.py empties it and forgets exited workers): every process
then writes its counts there and whichever process answers the scrape adds them up.

Readable with a staff token (``Authorization: Bearer <key>``), a staff session, or from an address in
``METRICS_ALLOWED_IPS`` (addresses or networks); anyone else gets 403.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from rest_framework import exceptions

from core.extensions import METRICS
from core.http import client_ip

logger = logging.getLogger(__name__)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter(
    "http_requests",
    "Requests answered, by view (URL pattern name), method and status code.",
    ["view", "method", "status"],
)
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time from the request reaching Django to its response, by view and method.",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
TASKS = Counter("celery_tasks", "Celery tasks finished, by task name and outcome.", ["task", "outcome"])


def view_label(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or match._func_path


class MetricsMiddleware:
    """Counts every response and its duration by view, method and status."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        view = view_label(request)
        method = request.method if request.method in METHODS else "other"
        LATENCY.labels(view, method).observe(time.perf_counter() - started)
        REQUESTS.labels(view, method, str(response.status_code)).inc()
        return response


def celery_queue_lengths() -> Iterable[GaugeMetricFamily]:
    """Tasks waiting in each Celery queue (Redis brokers only: one LLEN a queue)."""
    broker = settings.CELERY_BROKER_URL
    if settings.CELERY_TASK_ALWAYS_EAGER or not broker.startswith(("redis://", "rediss://")):
        return []
    import redis

    family = GaugeMetricFamily("celery_queue_length", "Tasks waiting in each Celery queue.", labels=["queue"])
    client = redis.Redis.from_url(broker, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        for queue in settings.CELERY_TASK_QUEUES:
            family.add_metric([queue.name], client.llen(queue.name))
    finally:
        client.close()
    return [family]


METRICS.add("metrics", celery_queue_lengths)


class ScrapeTimeCollector(Collector):
    """The metric families every provider at ``METRICS`` answers now; one that fails is left out and logged."""

    def collect(self) -> Iterable[GaugeMetricFamily]:
        for provider in METRICS("metrics"):
            try:
                yield from provider()
            except Exception:  # one broken source never hides the others
                logger.exception("Metrics provider %s failed", getattr(provider, "__name__", provider))


def exposition() -> bytes:
    """Every metric in Prometheus's text format."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
    else:
        processes = REGISTRY
    now = CollectorRegistry()
    now.register(ScrapeTimeCollector())
    return generate_latest(processes) + generate_latest(now)


def _allowed_address(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(allowed, strict=False) for allowed in settings.METRICS_ALLOWED_IPS)


def _staff_token(request: HttpRequest) -> bool:
    from core.api.authentication import TokenAuthentication

    try:
        found = TokenAuthentication().authenticate(request)
    except exceptions.AuthenticationFailed:
        return False
    return found is not None and found[0].is_active and found[0].is_staff


def may_read(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff:
        return True
    return _allowed_address(client_ip(request)) or _staff_token(request)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not may_read(request):
        return JsonResponse(
            {"code": "forbidden", "message": "Metrics need a staff token or an address in METRICS_ALLOWED_IPS."},
            status=403,
        )
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_PLAIN_0_0_4)
