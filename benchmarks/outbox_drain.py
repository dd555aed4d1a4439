"""The surge (SPEC §10): the outbox drained into a local SMTP server by 4 worker processes, each e-mail once.

    .venv/bin/python benchmarks/outbox_drain.py --messages 20000

1. Writes ``--messages`` bulk e-mails (programme notices) into the outbox of ``--database-url``, pending,
   with ``bulk_create`` (as a programme's notices are written).
2. Starts an SMTP server (aiosmtpd) on a free port in its own process; it writes each accepted
   message's Message-ID to a file.
3. Starts one Celery worker with ``--workers`` processes on the bulk-mail and customer-mail queues, with
   the production settings, against the Redis broker ``--broker-url``, sending through that server.
4. Runs the outbox sweep (what beat runs every minute) at once and every 60 s until every row is sent;
   while the bulk mail drains, writes ``--customer`` customer e-mails one at a time, each with its own
   delivery task, and records how long each waited to be sent.
5. Prints the drain rate (rows sent / seconds from the first sweep to the last send), duplicates (by
   Message-ID at the server) and the customer e-mails' waits; writes them to benchmarks/out/outbox-drain.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from serving import OUT, PYTHON, ROOT, ensure_database, free_port, production_env

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/rma_surge"


def smtp_sink(port: int, path: str, ready) -> None:
    """An SMTP server that accepts everything and appends each message's Message-ID to ``path``."""
    from aiosmtpd.controller import Controller

    class Handler:
        def __init__(self) -> None:
            self.file = open(path, "a", buffering=1)  # noqa: SIM115  (kept open for the server's life)

        async def handle_DATA(self, server, session, envelope):
            message_id = ""
            for line in envelope.content.split(b"\r\n"):
                if not line:
                    break
                if line.lower().startswith(b"message-id:"):
                    message_id = line.split(b":", 1)[1].strip().decode()
            self.file.write(f"{message_id}\n")
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    while True:
        time.sleep(3600)


def surge_arguments(parser: argparse.ArgumentParser) -> None:
    """The database and broker of a surge run (its own database; Redis database 14 as the broker)."""
    parser.add_argument("--database-url", default=os.environ.get("SURGE_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--broker-url", default=os.environ.get("SURGE_BROKER_URL", "redis://127.0.0.1:6379/14"))


def surge_env(args: argparse.Namespace, smtp_port: int, **extra: str) -> dict[str, str]:
    """Production settings on this machine, with the run's broker and the local SMTP server."""
    return production_env(
        args.database_url,
        CELERY_BROKER_URL=args.broker_url,
        CACHE_URL="",
        DJANGO_EMAIL_HOST="127.0.0.1",
        DJANGO_EMAIL_PORT=str(smtp_port),
        **extra,
    )


def sink_start(port: int, path: Path) -> multiprocessing.Process:
    """``smtp_sink`` in a process of its own, once it listens; ``path`` starts empty."""
    path.write_text("")
    ready = multiprocessing.Event()
    sink = multiprocessing.Process(target=smtp_sink, args=(port, str(path), ready), daemon=True)
    sink.start()
    ready.wait(30)
    return sink


def worker_start(env: dict[str, str], *, queues: str, processes: int, log: Path) -> subprocess.Popen:
    """A Celery worker with ``processes`` prefork children on ``queues``, its output in ``log``."""
    return subprocess.Popen(
        [
            *(PYTHON, "-m", "celery", "-A", "config", "worker", "-Q", queues, "-c", str(processes)),
            *("--pool", "prefork", "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def worker_ready(log: Path, timeout: float = 180.0) -> None:
    """Wait until the worker says it is ready (its processes have started and imported the app)."""
    deadline = time.monotonic() + timeout
    while " ready." not in log.read_text(errors="replace"):
        if time.monotonic() > deadline:
            raise SystemExit(f"the worker did not start: see {log}")
        time.sleep(0.5)


def outbox_rows(count: int) -> float:
    """``count`` pending bulk e-mails to 1,000 customers; seconds taken to write them."""
    from django.db import transaction

    from rma.models import Customer, OutboxMessage

    started = time.monotonic()
    with transaction.atomic():
        customers = Customer.objects.bulk_create(
            [Customer(email=f"surge-{n}@example.com", name=f"Owner {n}") for n in range(1000)],
            ignore_conflicts=True,
        )
        customers = list(Customer.objects.filter(email__startswith="surge-").order_by("id"))
        stamp = time.time_ns()
        context = {"title": "Battery recall", "body": "Stop charging the unit.", "units": ["Phone"], "more_units": 0}
        batch = []
        for n in range(count):
            customer = customers[n % len(customers)]
            batch.append(
                OutboxMessage(
                    key=f"surge:{stamp}:{n}",
                    customer=customer,
                    to_email=customer.email,
                    template="advisory_notice",
                    context=context,
                    queue=OutboxMessage.Queue.BULK,
                )
            )
            if len(batch) == 5000:
                OutboxMessage.objects.bulk_create(batch)
                batch = []
        OutboxMessage.objects.bulk_create(batch)
    return time.monotonic() - started


def customer_mail(number: int):
    """One customer e-mail written in its own transaction, with its delivery task queued after commit."""
    from rma import notifications
    from rma.models import Customer

    customer = Customer.objects.filter(email__startswith="surge-").order_by("id").first()
    assert customer is not None
    return notifications.outbox_enqueue(
        customer=customer,
        template="pattern_thanks",
        context={"pattern": "Battery swelling", "device": "Phone"},
        key=f"surge-customer:{time.time_ns()}:{number}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--customer", type=int, default=20, help="customer e-mails written during the drain")
    surge_arguments(parser)
    parser.add_argument("--timeout", type=float, default=900.0, help="give up after this many seconds")
    args = parser.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    ensure_database(args.database_url)
    port = free_port()
    ids_path = OUT / "outbox-drain-message-ids.txt"
    env = surge_env(args, port, RMA_OUTBOX_DRAINS=str(args.workers))
    load_average = os.getloadavg()[0]
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.db.models import Max

    from rma import notifications
    from rma.models import OutboxMessage

    assert args.broker_url == settings.CELERY_BROKER_URL, settings.CELERY_BROKER_URL
    import redis

    broker = redis.Redis.from_url(args.broker_url)
    broker.delete("bulk-mail", "customer-mail")

    sink = sink_start(port, ids_path)

    OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).update(status=OutboxMessage.Status.FAILED)
    write_seconds = outbox_rows(args.messages)
    print(f"wrote {args.messages:,} bulk e-mails in {write_seconds:.1f} s", flush=True)
    bulk = OutboxMessage.objects.filter(key__startswith="surge:", status=OutboxMessage.Status.PENDING)
    bulk_ids = list(bulk.values_list("pk", flat=True))

    worker_log = OUT / "outbox-drain-worker.log"
    worker = worker_start(env, queues="bulk-mail,customer-mail", processes=args.workers, log=worker_log)
    try:
        worker_ready(worker_log)
        started = time.monotonic()
        started_at = time.time()
        notifications.outbox_sweep()
        next_sweep = started + 60
        customer_waits: list[float] = []
        customer_rows = []
        while True:
            if len(customer_rows) < args.customer:
                customer_rows.append(customer_mail(len(customer_rows)))
            left = OutboxMessage.objects.filter(pk__in=bulk_ids).exclude(status=OutboxMessage.Status.SENT).count()
            if not left:
                break
            if time.monotonic() > started + args.timeout:
                raise SystemExit(f"gave up: {left:,} e-mails not sent after {args.timeout:.0f} s")
            if time.monotonic() >= next_sweep:
                notifications.outbox_sweep()
                next_sweep += 60
            time.sleep(0.5)
        last_sent = OutboxMessage.objects.filter(pk__in=bulk_ids).aggregate(last=Max("sent_at"))["last"]
        seconds = last_sent.timestamp() - started_at
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            rows = OutboxMessage.objects.filter(pk__in=[row.pk for row in customer_rows])
            if all(row.status == OutboxMessage.Status.SENT for row in rows):
                break
            time.sleep(0.5)
        for row in OutboxMessage.objects.filter(pk__in=[row.pk for row in customer_rows]):
            if row.sent_at:
                customer_waits.append((row.sent_at - row.created_at).total_seconds())
    finally:
        worker.terminate()
        worker.wait(60)
        sink.terminate()
    time.sleep(1)
    ids = [line for line in ids_path.read_text().splitlines() if line]
    duplicates = len(ids) - len(set(ids))
    customer_waits.sort()
    result = {
        "messages": args.messages,
        "workers": args.workers,
        "write_seconds": round(write_seconds, 2),
        "drain_seconds": round(seconds, 2),
        "emails_per_second": round(args.messages / seconds, 1),
        "accepted_by_smtp": len(ids),  # the bulk e-mails and the customer e-mails
        "duplicates": duplicates,
        "customer_emails": len(customer_rows),
        "customer_sent": len(customer_waits),
        "customer_wait_median_s": round(customer_waits[len(customer_waits) // 2], 2) if customer_waits else None,
        "customer_wait_max_s": round(customer_waits[-1], 2) if customer_waits else None,
        "load_average_before": load_average,
    }
    (OUT / "outbox-drain.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
