"""Health, readiness, request ids and log lines (SPEC §15)."""

from __future__ import annotations

import json
import logging

import pytest
from django.db import OperationalError

from core import health
from core.logging import JsonLines, RedactSecretLinks, RequestId
from core.requests import current_request_id

pytestmark = pytest.mark.django_db


def test_healthz_answers_while_the_process_runs(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_when_everything_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready" and body["failing"] == []
    assert body["checks"]["database"] == "ok" and body["checks"]["cache"] == "ok"


def test_readyz_names_the_cache_when_it_is_down(client, settings):
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"},
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["failing"] == ["cache"]
    assert response.json()["checks"]["cache"].startswith("down")


def test_readyz_names_the_database_and_the_broker_when_they_are_down(client, settings, monkeypatch):
    def refused():
        raise OperationalError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", refused)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["database", "broker"]


def test_a_request_id_is_kept_when_sensible_and_made_otherwise(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-1234.abcd")["X-Request-ID"] == "lb-1234.abcd"
    made = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith a newline")["X-Request-ID"]
    assert made != "bad id\nwith a newline" and len(made) == 32
    assert client.get("/healthz")["X-Request-ID"] != client.get("/healthz")["X-Request-ID"]


def test_a_log_line_is_json_with_the_request_id_and_no_secret_link():
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", ("/returns/track/s3cret/",), None
    )
    token = current_request_id.set("req-42")
    try:
        for log_filter in (RedactSecretLinks(), RequestId()):
            log_filter.filter(record)
    finally:
        current_request_id.reset(token)
    line = json.loads(JsonLines().format(record))
    assert line["request_id"] == "req-42" and line["level"] == "WARNING" and line["logger"] == "django.request"
    assert "s3cret" not in line["message"] and "[redacted]" in line["message"]


def test_the_web_servers_access_log_redacts_secret_links():
    import datetime as dt
    from types import SimpleNamespace

    from gunicorn.config import Config

    from config.gunicorn_logging import RedactingLogger

    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/returns/track/s3cretT0ken/?x=1",
        "PATH_INFO": "/returns/track/s3cretT0ken/",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": "https://shop.example/returns/track/s3cretT0ken/",
        "REMOTE_ADDR": "127.0.0.1",
    }
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    request = SimpleNamespace(headers=[])
    atoms = RedactingLogger(Config()).atoms(response, request, environ, dt.timedelta(milliseconds=3))
    assert not any("s3cretT0ken" in str(value) for value in atoms.values())
    assert "/returns/track/[redacted]/" in atoms["r"]
