"""Real processes for the fault tests and the fault scripts (benchmarks/faults/).

- ``Mailbox``: where a worker's e-mails land, one file each (``tests.resilience.mail.SlowFileBackend``),
  with a marker file per child process while it is in the middle of a send.
- ``Worker``: a Celery worker in its own process (prefork children), on the test's database and queue.
- ``TcpProxy``: a broker address that can be cut and restored, for an outage only this test sees
  (the Redis server itself is shared and stays up).
"""

from __future__ import annotations

import contextlib
import email
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent.parent


def wait_for(condition: Callable[[], bool], timeout: float = 30.0, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())


def database_url() -> str:
    """The URL of the database this process is using (the test database during a test)."""
    s = connection.settings_dict
    credentials = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{credentials}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Mailbox:
    def __init__(self, root: Path):
        self.root = root
        self.sent_dir = root / "sent"
        self.sending_dir = root / "sending"
        self.sent_dir.mkdir(parents=True, exist_ok=True)
        self.sending_dir.mkdir(parents=True, exist_ok=True)

    def message_ids(self) -> Counter[str]:
        """How many times each Message-ID (one per outbox row) was sent."""
        counts: Counter[str] = Counter()
        for path in self.sent_dir.glob("*.eml"):
            message = email.message_from_bytes(path.read_bytes())
            counts[message["Message-ID"]] += 1
        return counts

    def sending_pids(self) -> list[int]:
        """Child processes in the middle of a send right now."""
        return [int(path.name) for path in self.sending_dir.iterdir() if path.name.isdigit()]


class Worker:
    """``celery worker`` in a subprocess, sending e-mail slowly into ``mailbox``."""

    def __init__(
        self,
        *,
        broker_url: str,
        queue: str,
        mailbox: Mailbox,
        concurrency: int = 2,
        send_delay: float = 0.1,
        lease_seconds: int = 300,
        log_path: Path | None = None,
        settings_module: str = "tests.resilience.worker_settings",
        database: str | None = None,
        extra_env: dict[str, str] | None = None,
    ):
        self.mailbox = mailbox
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
        env.update(
            DJANGO_SETTINGS_MODULE=settings_module,
            DATABASE_URL=database or database_url(),
            CELERY_BROKER_URL=broker_url,
            RESILIENCE_MAIL_DIR=str(mailbox.root),
            RESILIENCE_SEND_DELAY=str(send_delay),
            RESILIENCE_QUEUE=queue,
            RMA_OUTBOX_LEASE_SECONDS=str(lease_seconds),
            PYTHONPATH=str(ROOT),
        )
        env.update(extra_env or {})
        self.log_path = log_path or mailbox.root / "worker.log"
        self._log = self.log_path.open("ab")
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            queue,
            "-c",
            str(concurrency),
            "--pool",
            "prefork",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "INFO",
            "-n",
            f"resilience-{queue}@%h",
        ]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def ready(self, timeout: float = 60.0) -> bool:
        return wait_for(lambda: " ready." in self.log() or self.process.poll() is not None, timeout) and (
            self.process.poll() is None
        )

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        with contextlib.suppress(OSError):
            return [int(pid) for pid in path.read_text().split()]
        return []

    def kill_a_child_mid_send(self, timeout: float = 30.0) -> int:
        """SIGKILL a child process while it is sending an e-mail; returns its pid."""
        found: list[int] = []

        def sending() -> bool:
            found[:] = [pid for pid in self.mailbox.sending_pids() if pid in self.children()]
            return bool(found)

        if not wait_for(sending, timeout, interval=0.005):
            raise AssertionError("no child was sending")
        os.kill(found[0], signal.SIGKILL)
        with contextlib.suppress(FileNotFoundError):
            (self.mailbox.sending_dir / str(found[0])).unlink()
        return found[0]

    def warm_shutdown(self, timeout: float = 60.0) -> int:
        """SIGTERM: finish the tasks in progress, then exit. Returns the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # cold: nothing left to wait for
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._log.close()


class TcpProxy:
    """Forwards ``127.0.0.1:<port>`` to a target; ``cut()`` drops every connection and refuses new ones."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self._listener: socket.socket | None = None
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._thread: threading.Thread | None = None

    def url(self, db: int | str) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> TcpProxy:
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", self.port))
        self._listener.listen(128)
        self._stopped.clear()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    restore = start

    def _serve(self) -> None:
        selector = selectors.DefaultSelector()
        assert self._listener is not None
        self._listener.setblocking(False)
        selector.register(self._listener, selectors.EVENT_READ, None)
        peers: dict[socket.socket, socket.socket] = {}
        try:
            while not self._stopped.is_set():
                for key, _ in selector.select(timeout=0.05):
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    if sock is self._listener:
                        try:
                            client, _ = self._listener.accept()
                            upstream = socket.create_connection(self.target, timeout=2)
                        except OSError:
                            continue
                        client.setblocking(False)
                        upstream.setblocking(False)
                        peers[client], peers[upstream] = upstream, client
                        with self._lock:
                            self._pairs.append((client, upstream))
                        selector.register(client, selectors.EVENT_READ, None)
                        selector.register(upstream, selectors.EVENT_READ, None)
                        continue
                    try:
                        data = sock.recv(65536)
                    except (BlockingIOError, InterruptedError):
                        continue
                    except OSError:
                        data = b""
                    other = peers.get(sock)
                    if not data or other is None:
                        for s in (sock, other):
                            if s is not None:
                                with contextlib.suppress(Exception):
                                    selector.unregister(s)
                                s.close()
                                peers.pop(s, None)
                        continue
                    try:
                        other.setblocking(True)
                        other.sendall(data)
                        other.setblocking(False)
                    except OSError:
                        continue
        finally:
            for s in list(peers):
                with contextlib.suppress(Exception):
                    s.close()
            with contextlib.suppress(Exception):
                selector.close()

    def cut(self) -> None:
        """The broker goes away: connections reset, nothing listening."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(5)
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            for pair in self._pairs:
                for s in pair:
                    with contextlib.suppress(OSError):
                        s.close()
            self._pairs.clear()

    stop = cut
