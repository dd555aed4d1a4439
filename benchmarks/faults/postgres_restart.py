"""PostgreSQL restarted under load (SPEC §10): errors only during the restart, back within 5 s, no half-written RMA.

    nice -n 10 .venv/bin/python benchmarks/faults/postgres_restart.py [--database-url URL] [--clients 8]

gunicorn serves the application with the production settings (persistent connections with health
checks) against the database in DATABASE_URL (default rma_load, created and migrated if missing).
Client threads keep customers busy: half open returns through the public form (each one an RMA,
its "create" event and its acknowledgement in the outbox, in one transaction), half read a status
page. After ``--before`` seconds the PostgreSQL cluster is restarted

    pg_ctlcluster --skip-systemctl-redirect <version> main restart

and the load goes on for ``--after`` seconds. Printed: requests and errors before, during and after
the restart command, the error window, the recovery time (from the start of the restart to the end
of the last failed request: every request after it succeeded), and the consistency check: every
RMA opened during the run has its event and its outbox row, or does not exist.

The restart drops every connection to the cluster, other databases' too: the script waits (up to
``--quiet-wait`` seconds) for a moment when no other database has a query running.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from benchmarks.serving import (
    DEFAULT_DATABASE_URL,
    OUT,
    RAISED_THROTTLES,
    Client,
    django_setup,
    ensure_database,
    fleet,
    free_port,
    gunicorn,
    new_secret,
    production_env,
)


def pg_version() -> str:
    versions = sorted(os.listdir("/etc/postgresql"))
    return versions[-1]


def wait_until_quiet(database: str, limit: float) -> float:
    """Wait for no query running on another database; returns how long that took."""
    import psycopg

    started = time.monotonic()
    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        while time.monotonic() - started < limit:
            busy = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() "
                "AND datname IS NOT NULL AND datname <> %s",
                [database],
            ).fetchone()[0]
            if not busy:
                break
            time.sleep(0.5)
    return time.monotonic() - started


class Load:
    """Client threads; every request is recorded as (start, end, kind, ok)."""

    def __init__(self, port: int, serials: list[str], status_paths: list[str], clients: int):
        self.port, self.serials, self.status_paths = port, serials, status_paths
        self.clients = clients
        self.records: list[tuple[float, float, str, bool, str]] = []
        self.opened: list[str] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def next_serial(self) -> str | None:
        with self.lock:
            return self.serials.pop() if self.serials else None

    def run_writer(self) -> None:
        client = Client(self.port, timeout=10)
        while not self.stop.is_set():
            serial = self.next_serial()
            if serial is None:
                return
            started = time.monotonic()
            outcome = ""
            try:
                response = client.post_form(
                    "/returns/new/",
                    {
                        "serial_number": serial,
                        "email": f"{serial.lower()}@example.com",
                        "name": "Load Tester",
                        "fault_description": "Restarts by itself.",
                        "submission_id": new_secret() * 2,
                    },
                )
                ok = response.status == 303
                outcome = str(response.status)
            except Exception as error:
                ok, outcome = False, type(error).__name__
                client.close()
            with self.lock:
                self.records.append((started, time.monotonic(), "open", ok, outcome))
                self.opened.append(serial)

    def run_reader(self, n: int) -> None:
        client = Client(self.port, timeout=10)
        i = n
        while not self.stop.is_set():
            path = self.status_paths[i % len(self.status_paths)]
            i += 1
            started = time.monotonic()
            try:
                response = client.get(path)
                ok, outcome = response.status == 200, str(response.status)
            except Exception as error:
                ok, outcome = False, type(error).__name__
                client.close()
            with self.lock:
                self.records.append((started, time.monotonic(), "status", ok, outcome))

    def start(self) -> list[threading.Thread]:
        threads = []
        for n in range(self.clients):
            target = self.run_writer if n % 2 == 0 else (lambda n=n: self.run_reader(n))
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            threads.append(thread)
        return threads


def consistency(serials: list[str]) -> dict[str, int]:
    """Of the returns opened on these units: how many lack their create event or their outbox row."""
    from django.db.models import Count, Q

    from rma.models import RMA

    rmas = RMA.objects.filter(device__serial_number__in=serials).annotate(
        created=Count("events", filter=Q(events__action="create"), distinct=True),
        emails=Count("outbox_messages", distinct=True),
    )
    total = rmas.count()
    return {
        "rmas": total,
        "without_event": rmas.filter(created=0).count(),
        "without_outbox_row": rmas.filter(emails=0).count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--before", type=float, default=8.0, help="seconds of load before the restart")
    parser.add_argument("--after", type=float, default=15.0, help="seconds of load after the restart began")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--quiet-wait", type=float, default=120.0)
    args = parser.parse_args()

    database = urlparse(args.database_url).path.lstrip("/")
    ensure_database(args.database_url)
    django_setup(args.database_url)
    from rma.models import RMA, Source
    from rma.services import rma_create
    from rma.status_links import status_link_issue, status_path

    run = new_secret()[:6].upper()
    serials = fleet(4000, prefix=f"PGR{run}")
    status_paths = []
    for serial in serials[:20]:
        rma = rma_create(
            serial_number=serial,
            customer_email="reader@example.com",
            fault_description="x",
            actor=None,
            source=Source.PAGE,
        )
        status_paths.append(status_path(status_link_issue(rma=rma)))
    writable = serials[20:]
    writable.reverse()

    port = free_port()
    env = production_env(args.database_url, **RAISED_THROTTLES)
    log = OUT / "postgres_restart-gunicorn.log"
    waited = wait_until_quiet(database, args.quiet_wait)
    with gunicorn(env, port=port, log=log, workers=args.workers, threads=args.threads, timeout=30):
        load = Load(port, writable, status_paths, args.clients)
        t0 = time.monotonic()
        threads = load.start()
        time.sleep(args.before)
        restart_began = time.monotonic()
        command = ["pg_ctlcluster", "--skip-systemctl-redirect", pg_version(), "main", "restart"]
        subprocess.run(command, check=True)
        restart_done = time.monotonic()
        time.sleep(max(0.0, args.after - (restart_done - restart_began)))
        load.stop.set()
        for thread in threads:
            thread.join(15)

    from django.db import connection

    connection.close()  # this script's own connection did not survive the restart either

    # The figures, relative to the start of the restart.
    records = sorted(load.records)
    errors = [r for r in records if not r[3]]
    before = [r for r in records if r[1] < restart_began]
    during = [r for r in records if restart_began <= r[1] <= restart_done]
    after = [r for r in records if r[1] > restart_done]
    # Recovered: from the end of the last failed request on, every request succeeded.
    recovery = (max(r[1] for r in errors) - restart_began) if errors else 0.0
    check = consistency(load.opened)
    result = {
        "clients": args.clients,
        "gunicorn": f"{args.workers} processes × {args.threads} threads",
        "waited_for_quiet_s": round(waited, 1),
        "restart_command_s": round(restart_done - restart_began, 2),
        "requests": {"before": len(before), "during": len(during), "after": len(after)},
        "errors": {
            "before": sum(not r[3] for r in before),
            "during": sum(not r[3] for r in during),
            "after": sum(not r[3] for r in after),
            "kinds": dict(Counter(r[4] for r in errors)),
        },
        "error_window_s": ([round(errors[0][0] - restart_began, 2), round(recovery, 2)] if errors else None),
        "recovered_after_s": round(recovery, 2),
        "requests_per_s_before": round(len(before) / max(restart_began - t0, 1e-9), 1),
        "consistency": check,
        "half_written_rmas": check["without_event"] + check["without_outbox_row"],
        "open_returns_created": RMA.objects.filter(device__serial_number__in=load.opened).count(),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "postgres_restart.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    ok = result["errors"]["before"] == 0 and recovery <= 5.0 and result["half_written_rmas"] == 0
    print("PASS" if ok else "FAIL", "(errors only from the restart on, recovered within 5 s, no half-written RMA)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
