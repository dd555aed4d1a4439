"""The broker down for a minute during 100 status changes (SPEC §10): no HTTP 5xx, every e-mail delivered once after.

    nice -n 10 .venv/bin/python benchmarks/faults/broker_outage.py [--outage 60] [--changes 100]

Everything runs as in production on this machine: gunicorn (production settings) against the
database in DATABASE_URL (default rma_load), a Celery worker and beat (the outbox sweep every
minute), all reaching Redis through a TCP proxy that this script cuts for ``--outage`` seconds:
connections reset, nothing listening (the Redis server itself, shared, stays up).

A member of staff signs in to the admin and makes ``--changes`` status changes (authorize, then
receive, on returns opened beforehand), evenly spread, with the outage in the middle. Printed: the
HTTP statuses, the slowest change while the broker was away, and, after it is back, how long until
every e-mail was delivered and how many times each was sent (by Message-ID, one per outbox row).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from benchmarks.serving import (
    DEFAULT_DATABASE_URL,
    OUT,
    PYTHON,
    ROOT,
    Client,
    django_setup,
    ensure_database,
    fleet,
    free_port,
    gunicorn,
    new_secret,
    production_env,
)
from tests.resilience.harness import Mailbox, TcpProxy, Worker, wait_for


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--redis", default="127.0.0.1:6379/6", help="host:port/db of the Redis used as the broker")
    parser.add_argument("--outage", type=float, default=60.0)
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--spacing", type=float, default=0.9, help="seconds between status changes")
    args = parser.parse_args()

    ensure_database(args.database_url)
    django_setup(args.database_url)
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from rma.models import RMA, OutboxMessage, Source
    from rma.services import rma_create

    host_port, _, db = args.redis.partition("/")
    host, _, port = host_port.partition(":")
    proxy = TcpProxy(host, int(port)).start()
    broker_url = proxy.url(db or "0")
    queue = "celery"  # the default queue, on the script's own Redis database
    mail_dir = Path(tempfile.mkdtemp(prefix="broker-outage-", dir=OUT if OUT.exists() else None))
    mailbox = Mailbox(mail_dir)
    env = production_env(
        args.database_url,
        CELERY_BROKER_URL=broker_url,
        DJANGO_EMAIL_BACKEND="tests.resilience.mail.SlowFileBackend",
        RESILIENCE_MAIL_DIR=str(mail_dir),
        RESILIENCE_SEND_DELAY="0.01",
    )

    # E-mails earlier runs left unsent in this benchmark database would queue ahead of this run's.
    stale = OutboxMessage.objects.filter(status__in=["pending", "sending"]).update(
        status="failed", last_error="Left unsent by an earlier benchmark run."
    )
    if stale:
        print(f"{stale} e-mails left by earlier runs marked failed")
    # The returns staff will move on, their acknowledgements not e-mailed yet (the worker is not running).
    run = new_secret()[:6].upper()
    returns = []
    for serial in fleet((args.changes + 1) // 2, prefix=f"BRK{run}"):
        returns.append(
            rma_create(
                serial_number=serial,
                customer_email=f"{serial.lower()}@example.com",
                fault_description="Battery drains overnight.",
                actor=None,
                source=Source.PAGE,
            )
        )
    password = new_secret()
    staff, _ = get_user_model().objects.get_or_create(username="outage-technician", defaults={"is_staff": True})
    staff.set_password(password)
    staff.is_staff = True
    staff.save()
    staff.groups.add(Group.objects.get(name="technician"))

    worker_env = {k: v for k, v in env.items() if k.startswith(("DJANGO_", "RMA_", "CACHE_", "RESILIENCE_"))}
    worker = Worker(
        broker_url=broker_url,
        queue=queue,
        mailbox=mailbox,
        concurrency=2,
        send_delay=0.01,
        settings_module="config.settings.production",
        database=args.database_url,
        extra_env=worker_env,
    )
    beat_log = (mail_dir / "beat.log").open("ab")
    beat = subprocess.Popen(
        [PYTHON, "-m", "celery", "-A", "config", "beat", "-s", str(mail_dir / "beat-schedule"), "-l", "INFO"],
        cwd=ROOT,
        env=env,
        stdout=beat_log,
        stderr=subprocess.STDOUT,
    )
    statuses: Counter[int] = Counter()
    timings: list[tuple[float, float, int]] = []  # (start, seconds, status)
    web_port = free_port()
    try:
        assert worker.ready(), worker.log()[-3000:]
        with gunicorn(env, port=web_port, log=mail_dir / "gunicorn.log"):
            client = Client(web_port)
            response = client.post_form(
                "/admin/login/?next=/admin/",
                {"username": staff.username, "password": password, "next": "/admin/"},
            )
            if response.status != 302:
                raise RuntimeError(f"sign-in failed: HTTP {response.status}")
            steps = [(rma, "authorize", {"instructions": ""}) for rma in returns]
            steps += [(rma, "receive", {"inbound_tracking": ""}) for rma in returns]
            steps = steps[: args.changes]
            total = len(steps) * args.spacing
            cut_at = max(0.0, (total - args.outage) / 2)
            t0 = time.monotonic()
            cut = restored = None
            for n, (rma, action, data) in enumerate(steps):
                due = t0 + n * args.spacing
                time.sleep(max(0.0, due - time.monotonic()))
                now = time.monotonic() - t0
                if cut is None and now >= cut_at:
                    proxy.cut()
                    cut = time.monotonic()
                if cut is not None and restored is None and time.monotonic() - cut >= args.outage:
                    proxy.restore()
                    restored = time.monotonic()
                path = f"/admin/rma/rma/{rma.pk}/act/{action}/"
                started = time.monotonic()
                try:
                    status = client.post_form(path, data).status
                except Exception:
                    status = 0
                statuses[status] += 1
                timings.append((started, time.monotonic() - started, status))
            if restored is None:
                time.sleep(max(0.0, args.outage - (time.monotonic() - (cut or time.monotonic()))))
                proxy.restore()
                restored = time.monotonic()
            expected = OutboxMessage.objects.filter(rma__in=returns).count()
            delivered = wait_for(
                lambda: OutboxMessage.objects.filter(rma__in=returns, status="sent").count() == expected, timeout=300
            )
            all_sent_after = time.monotonic() - restored
    finally:
        beat.terminate()
        beat.wait(20)
        worker.stop()
        proxy.stop()
        import redis

        redis.Redis(host=host, port=int(port), db=int(db or 0)).delete(queue, f"_kombu.binding.{queue}")
    # this run's e-mails only (the sweep also delivers what earlier runs left in the database)
    from rma.notifications import _message_id_header

    keys = OutboxMessage.objects.filter(rma__in=returns).values_list("key", flat=True)
    ours = {_message_id_header(key) for key in keys}
    counts = {message_id: n for message_id, n in mailbox.message_ids().items() if message_id in ours}
    assert cut is not None
    during = [seconds for started, seconds, _ in timings if cut <= started < restored]
    result = {
        "status_changes": len(timings),
        "outage_s": round(restored - cut, 1),
        "changes_during_outage": len(during),
        "http_statuses": dict(statuses),
        "server_errors": sum(n for status, n in statuses.items() if status == 0 or status >= 500),
        "slowest_change_during_outage_s": round(max(during, default=0.0), 3),
        "emails_expected": expected,
        "emails_delivered": len(counts),
        "sent_more_than_once": sum(1 for n in counts.values() if n > 1),
        "all_delivered_s_after_broker_back": round(all_sent_after, 1) if delivered else None,
        "returns_received": RMA.objects.filter(pk__in=[r.pk for r in returns], status="received").count(),
    }
    (OUT / "broker_outage.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    ok = result["server_errors"] == 0 and delivered and len(counts) == expected and result["sent_more_than_once"] == 0
    print("PASS" if ok else "FAIL", "(no 5xx, every e-mail delivered once after the broker came back)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
