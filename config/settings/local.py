"""The embedded default: SQLite file, Celery eager, e-mails written to files under var/."""

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, LOGGING, VAR_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-development-key-not-for-production")
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
# seed_demo (``make run`` seeds the demo once); never installed in production.
INSTALLED_APPS = [*INSTALLED_APPS, "demo"]

VAR_DIR.mkdir(exist_ok=True)

# At a terminal, plain log lines read better than JSON (DJANGO_LOG_FORMAT=json for a collector).
LOGGING["handlers"]["console"]["formatter"] = env("DJANGO_LOG_FORMAT", default="plain")  # type: ignore[index]
