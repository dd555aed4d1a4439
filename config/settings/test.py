"""Settings for the test suite: the database and broker still come from the environment."""

import os

from .base import *  # noqa: F403
from .base import CACHES, DATABASES, INSTALLED_APPS, VAR_DIR, env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY", default="test-key-not-for-production")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run in-process unless a test starts a real worker against CELERY_BROKER_URL.
CELERY_TASK_ALWAYS_EAGER = True
MEDIA_ROOT = str(VAR_DIR / "test-media")
# The demo's own tests run seed_demo.
INSTALLED_APPS = [*INSTALLED_APPS, "demo"]

# API throttles far above what a test sends; the throttle tests set their own rates.
API_THROTTLE_RATES = {"reads": "100000/60", "writes": "100000/60", "reports": "100000/60"}

VAR_DIR.mkdir(exist_ok=True)

# TEST MIRROR: "replica" is a second connection to the test database itself, not a real replica, so that
# tests can see which alias the router (core.replica) picks; reads go to it only in tests that set
# RMA_READ_REPLICA = "replica" (and allow the alias: ``django_db(databases=[...])``).
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
RMA_READ_REPLICA = ""

# Tests that clear the cache (rate-limit counters) clear the whole Redis database: each parallel test
# worker gets a database of its own, so one worker's clearing never wipes another's counters mid-test.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw") and CACHES["default"]["BACKEND"].endswith("RedisCache"):
    _base, _, _db = CACHES["default"]["LOCATION"].rpartition("/")
    _taken = {env("CELERY_BROKER_URL", default="").rpartition("/")[2]}  # never the broker's database
    _free = [db for db in range(int(_db or 0) + 1, int(_db or 0) + 16) if str(db % 16) not in _taken]
    CACHES["default"]["LOCATION"] = f"{_base}/{_free[7 + int(_worker[2:])] % 16}"
