"""Configuration comes from the environment; production refuses to start without its secrets."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "k3Y-" + "x9Q_vZ2" * 8,
    "DJANGO_ALLOWED_HOSTS": "returns.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
}


def run_check(settings_module: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_"))}
    clean.update(DJANGO_SETTINGS_MODULE=settings_module, **env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_check("config.settings.production", DATABASE_URL="postgres://postgres@127.0.0.1:5432/x")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_refuses_sqlite():
    result = run_check("config.settings.production", DJANGO_SECRET_KEY="x" * 50, DJANGO_ALLOWED_HOSTS="example.com")
    assert result.returncode != 0
    assert "PostgreSQL" in result.stderr


def test_production_refuses_to_run_tasks_without_a_broker():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "CELERY_BROKER_URL"}
    result = run_check("config.settings.production", **env)
    assert result.returncode != 0
    assert "CELERY_BROKER_URL" in result.stderr


def test_production_starts_with_its_environment():
    result = run_check("config.settings.production", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr


def test_the_deployment_checklist_is_clean_with_production_settings():
    result = run_check("config.settings.production", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_serve_static_files_and_keep_connections_healthy():
    code = (
        "import django; django.setup(); from django.conf import settings as s; db = s.DATABASES['default']; "
        "m = s.MIDDLEWARE; after_security = m[m.index('django.middleware.security.SecurityMiddleware') + 1]; "
        "print(after_security, db['CONN_MAX_AGE'] > 0, db['CONN_HEALTH_CHECKS'], s.CELERY_TASK_ALWAYS_EAGER, "
        "s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS >= 31536000)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_"))}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.production", **PRODUCTION_ENV)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == [
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "True",
        "True",
        "False",
        "True",
        "True",
        "True",
        "True",
    ], out.stderr


def test_local_default_is_sqlite_with_eager_celery():
    from django.conf import settings

    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.EMAIL_BACKEND, "
        "'demo' in s.INSTALLED_APPS)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_"))}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == [
        "django.db.backends.sqlite3",
        "True",
        "django.core.mail.backends.filebased.EmailBackend",
        "True",  # make run seeds the demo
    ], out.stderr
    assert settings.CELERY_TIMEZONE


def test_production_does_not_install_the_demo():
    code = "import django; django.setup(); from django.conf import settings as s; print('demo' in s.INSTALLED_APPS)"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_"))}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.production", **PRODUCTION_ENV)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["False"], out.stderr
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_"))}
    clean.update(PRODUCTION_ENV, DJANGO_SETTINGS_MODULE="config.settings.production")
    result = subprocess.run(
        [sys.executable, "manage.py", "seed_demo", "--once"], cwd=ROOT, env=clean, capture_output=True, text=True
    )
    assert result.returncode != 0 and "Unknown command: 'seed_demo'" in result.stderr


def test_the_load_benchmark_view_is_not_mounted_unless_asked_for(client, db):
    from django.conf import settings

    assert not settings.RMA_BENCHMARK_VIEWS
    assert client.get("/bench/bare/SN-1/").status_code == 404


def test_collectstatic_works_with_production_settings(tmp_path):
    """What ``make serve-prod`` runs first: every static file hashed and compressed, references rewritten."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_"))}
    clean.update(PRODUCTION_ENV, DJANGO_SETTINGS_MODULE="config.settings.production", DJANGO_STATIC_ROOT=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert "css/site.css" in manifest and "admin/css/base.css" in manifest
    assert list(tmp_path.glob("css/site.*.css.gz"))
