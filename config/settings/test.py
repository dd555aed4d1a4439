"""Settings for the test suite: the database and broker still come from the environment."""

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, VAR_DIR, env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY", default="test-key-not-for-production")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run in-process unless a test starts a real worker against CELERY_BROKER_URL.
CELERY_TASK_ALWAYS_EAGER = True
MEDIA_ROOT = str(VAR_DIR / "test-media")
# The demo's own tests run seed_demo.
INSTALLED_APPS = [*INSTALLED_APPS, "demo"]

VAR_DIR.mkdir(exist_ok=True)
