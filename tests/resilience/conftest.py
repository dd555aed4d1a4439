"""Pointing the Celery app at a broker for a test, and back."""

import contextlib

import kombu.pools
import pytest

from config.celery import app as celery_app
from rma import notifications

CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def _reset_connections():
    """Forget every pooled broker connection, so the next task connects to the broker configured now."""
    if celery_app._pool is not None:
        with contextlib.suppress(Exception):
            celery_app._pool.force_close_all()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    kombu.pools.reset()


def _reroute() -> None:
    """The app's router reads ``task_routes`` once: read it again."""
    celery_app.amqp.flush_routes()
    celery_app.amqp.router = celery_app.amqp.Router()


@pytest.fixture
def broker():
    """``broker(url)`` sends tasks to ``url`` for real (not in-process) until the test ends."""
    saved = {
        "broker_url": celery_app.conf.broker_url,
        "broker_read_url": celery_app.conf.broker_read_url,
        "broker_write_url": celery_app.conf.broker_write_url,
        "task_always_eager": celery_app.conf.task_always_eager,
        "task_default_queue": celery_app.conf.task_default_queue,
        "task_routes": celery_app.conf.task_routes,
    }

    def point_at(url, *, queue=None):
        _reset_connections()
        celery_app.conf.broker_url = celery_app.conf.broker_read_url = celery_app.conf.broker_write_url = url
        celery_app.conf.task_always_eager = False
        if queue:  # every task, whatever its usual queue, goes to the test's own
            celery_app.conf.task_default_queue = queue
            celery_app.conf.task_routes = {"*": {"queue": queue}}
            _reroute()
        notifications._broker_down_until = 0.0

    yield point_at
    _reset_connections()
    for name, value in saved.items():
        setattr(celery_app.conf, name, value)
    _reroute()
    notifications._broker_down_until = 0.0
