"""Celery application: configuration comes from Django settings (``CELERY_`` prefix)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("rma_tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Every installed app's tasks module: imported when a worker starts; in a web process or an eager test run,
# core.tasks.registered_task runs the same discovery the first time a task is queued by name.
app.autodiscover_tasks()
