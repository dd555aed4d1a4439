"""Queue a Celery task by its registered name, so a service never imports its own task module back.

A tasks module imports the services it runs; a service that queues one of those tasks names it
instead (``enqueue("rma.tasks.outbox_deliver", message_id)``). The task is looked up in the Celery
app's registry, so ``CELERY_TASK_ALWAYS_EAGER`` still runs it in-process (``send_task`` would not).
Workers import every app's tasks module when they start; a web process may not have imported the one
it needs yet, so a name missing from the registry runs the app's task autodiscovery first.
"""

from __future__ import annotations

from typing import Any

from celery import Task, current_app
from celery.result import AsyncResult


class UnknownTask(LookupError):
    """No task is registered under the name, even after autodiscovery."""


def registered_task(name: str) -> Task:
    """The task registered as ``name`` in the current Celery app (``config.celery.app``)."""
    tasks = current_app.tasks
    if name not in tasks:
        current_app.autodiscover_tasks(force=True)  # imports each installed app's tasks module
    try:
        return tasks[name]
    except KeyError:
        raise UnknownTask(f"No Celery task is registered as {name!r}.") from None


def enqueue(task_name: str, *args: Any, publish_retry: bool | None = None, **kwargs: Any) -> AsyncResult:
    """Queue the task registered as ``task_name`` with these arguments (run at once when eager).

    ``publish_retry=False`` gives up at once when the broker cannot take the message, instead of
    retrying with the broker's policy; the caller then sees the broker's error.
    """
    options = {} if publish_retry is None else {"retry": publish_retry}
    return registered_task(task_name).apply_async(args, kwargs, **options)
