"""Settings of a worker process started by a fault test: the test's database, a real broker, e-mails to files."""

import os

from config.settings.test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
EMAIL_BACKEND = "tests.resilience.mail.SlowFileBackend"
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405  (the test drops the database at the end)
# Every task the worker queues (retries, drains) goes to the test's own queue, the one it consumes.
if os.environ.get("RESILIENCE_QUEUE"):
    CELERY_TASK_DEFAULT_QUEUE = os.environ["RESILIENCE_QUEUE"]
    CELERY_TASK_ROUTES = {"*": {"queue": os.environ["RESILIENCE_QUEUE"]}}
