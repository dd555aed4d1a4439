"""Tasks queued by name (core.tasks): found in a fresh process, run eagerly in the tests, unknown names refused."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from core.tasks import UnknownTask, enqueue, registered_task

ROOT = Path(__file__).resolve().parent.parent

QUEUED_BY_NAME = ["rma.tasks.outbox_deliver", "diagnostics.tasks.advisory_notify_owners"]


def test_a_fresh_process_finds_every_task_by_name_without_importing_its_module_first():
    """A web process has imported no tasks module when its first service queues a task."""
    names = QUEUED_BY_NAME + [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    code = (
        "import sys, django; django.setup(); from core.tasks import registered_task; "
        "before = {'rma.tasks', 'diagnostics.tasks'} & set(sys.modules); "
        f"found = [registered_task(name).name for name in {names!r}]; "
        "print(sorted(before), found)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_"))}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == f"[] {names!r}", out.stderr


def test_an_unknown_name_is_refused():
    with pytest.raises(UnknownTask, match="no_such_task"):
        registered_task("rma.tasks.no_such_task")


@pytest.mark.django_db
def test_enqueue_runs_the_task_in_process_when_eager():
    assert settings.CELERY_TASK_ALWAYS_EAGER
    result = enqueue("rma.tasks.outbox_sweep")
    assert result.successful() and result.get() == 0
