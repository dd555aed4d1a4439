"""Settings of a worker process started by a fault test: the test's database, a real broker, e-mails to files."""

from config.settings.test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
EMAIL_BACKEND = "tests.resilience.mail.SlowFileBackend"
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405  (the test drops the database at the end)
