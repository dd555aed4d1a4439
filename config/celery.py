"""Celery application: configuration comes from Django settings (``CELERY_`` prefix)."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("rma_tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Every installed app's tasks module: imported when a worker starts; in a web process or an eager test run,
# core.tasks.registered_task runs the same discovery the first time a task is queued by name.
app.autodiscover_tasks()


def _count(sender: object, outcome: str) -> None:
    """A finished task counted for /metrics (``core.metrics.TASKS``)."""
    from core.metrics import TASKS

    TASKS.labels(getattr(sender, "name", str(sender)), outcome).inc()


@signals.task_success.connect(weak=False)
def _succeeded(sender=None, **kwargs) -> None:
    _count(sender, "succeeded")


@signals.task_failure.connect(weak=False)
def _failed(sender=None, **kwargs) -> None:
    _count(sender, "failed")


@signals.task_retry.connect(weak=False)
def _retried(sender=None, **kwargs) -> None:
    _count(getattr(kwargs.get("request"), "task", sender), "retried")
