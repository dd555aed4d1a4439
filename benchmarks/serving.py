"""What the load and fault scripts share: a database to serve, gunicorn as in production, a small HTTP client.

Nothing here is imported by the application.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "benchmarks" / "out"
PYTHON = sys.executable
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/rma_load"

# Rate limits raised for a load run (many requests from one address); everything else as in production.
RAISED_THROTTLES = {
    "RMA_LOOKUP_RATE_PER_IP": "100000000/60",
    "RMA_LOOKUP_RATE_PER_NUMBER": "100000000/60",
    "RMA_LOOKUP_RATE_PER_NUMBER_AND_IP": "100000000/60",
    "RMA_START_RATE_PER_IP": "100000000/60",
    "API_THROTTLE_READS": "100000000/60",
    "API_THROTTLE_WRITES": "100000000/60",
    "API_THROTTLE_REPORTS": "100000000/60",
}


def production_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a production machine on this one (plain HTTP: no proxy in front)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_", "RMA_", "GUNICORN_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY="load-" + "x7Kq2" * 10,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_STATIC_ROOT=str(OUT / "staticfiles"),
        DJANGO_LOG_LEVEL="WARNING",
        DATABASE_URL=database_url,
        # a broker address where nothing listens: publishing fails fast and the outbox keeps the e-mails
        CELERY_BROKER_URL=os.environ.get("LOAD_BROKER_URL", "redis://127.0.0.1:1/0"),
        CACHE_URL=os.environ.get("LOAD_CACHE_URL", "redis://127.0.0.1:6379/7"),
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def ensure_database(database_url: str) -> None:
    """Create the database if it is missing, and migrate it."""
    import psycopg

    parsed = urlparse(database_url)
    name = parsed.path.lstrip("/")
    admin_url = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    env = production_env(database_url)
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)


def django_setup(database_url: str) -> None:
    """This process talks to the database directly too (fixtures, checks), with production settings."""
    os.environ.update(production_env(database_url))
    import django

    django.setup()


@contextlib.contextmanager
def gunicorn(env: dict[str, str], *, port: int, log: Path, **settings: str | int) -> Iterator[subprocess.Popen]:
    """gunicorn with config/gunicorn.py (the production settings), ``settings`` as GUNICORN_* variables."""
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}
    env.update({f"GUNICORN_{key.upper()}": str(value) for key, value in settings.items()})
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as output:
        process = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "--config", "config/gunicorn.py", "config.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with contextlib.suppress(OSError, http.client.HTTPException):
                    if Client(port).get("/").status == 200:
                        break
                if process.poll() is not None:
                    raise RuntimeError(f"gunicorn exited: see {log}")
                time.sleep(0.2)
            else:
                raise RuntimeError(f"gunicorn did not answer: see {log}")
            yield process
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes):
        self.status, self.headers, self.body = status, headers, body


class Client:
    """Keep-alive HTTP/1.1 with cookies, enough for forms with a CSRF token."""

    def __init__(self, port: int, timeout: float = 10.0):
        self.port, self.timeout = port, timeout
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def _request(self, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                raw = self.conn.getresponse()
                data = raw.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()  # the server closed a kept-alive connection: once more on a fresh one
                if attempt == 2:
                    raise
        for name, value in raw.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        if raw.getheader("Connection", "").lower() == "close":
            self.close()
        return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, data)

    def get(self, path: str) -> Response:
        return self._request("GET", path)

    def post_form(self, path: str, data: dict[str, str], *, token_from: str | None = None) -> Response:
        token = self.csrf_token(token_from or path)
        body = urlencode({**data, "csrfmiddlewaretoken": token})
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": f"http://127.0.0.1:{self.port}"}
        return self._request("POST", path, body=body, headers=headers)

    def csrf_token(self, page: str) -> str:
        response = self.get(page)
        found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', response.body)
        if not found:
            raise RuntimeError(f"no CSRF token on {page} (HTTP {response.status})")
        return found.group(1).decode()

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.close()
        self.conn = None


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fleet(count: int, *, prefix: str = "LOAD") -> list[str]:
    """``count`` shipped, in-warranty devices of one model, through the device import (idempotent); their serials."""
    import datetime as dt

    from rma.services import devices_import

    shipped = (dt.date.today() - dt.timedelta(days=60)).isoformat()
    serials = [f"{prefix}-{n:07d}" for n in range(count)]
    rows = [
        {
            "serial_number": serial,
            "model_sku": f"{prefix}-PHONE",
            "lot": "L1",
            "manufactured_on": shipped,
            "shipped_on": shipped,
            "firmware_version": "1.0",
            "model_name": f"{prefix.title()} phone",
            "warranty_months": "24",
        }
        for serial in serials
    ]
    result = devices_import(rows=rows)
    if result.errors:
        raise RuntimeError(f"fleet import failed: {result.errors[:3]}")
    return serials


def new_secret() -> str:
    return secrets.token_hex(8)
