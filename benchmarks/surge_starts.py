"""The surge (SPEC §10): a burst of return starts on the public form, no error, every acknowledgement sent once.

    .venv/bin/python benchmarks/surge_starts.py --starts 20000 --clients 50

1. Imports ``--starts`` in-warranty devices (the device import) into ``--database-url``.
2. Starts an SMTP server (aiosmtpd, its own process, recording each Message-ID), a Celery worker with
   ``--workers`` processes on the customer-mail and bulk-mail queues against the Redis broker
   ``--broker-url``, and gunicorn with the production settings (config/gunicorn.py); rate limits are
   raised for the run (``RAISED_THROTTLES``), as every request comes from one address.
3. ``--clients`` threads start one return each per device, all at once: each loads the form (its CSRF
   token) and posts it, as a customer's browser does. Any answer but the redirect to the status page,
   or a connection error, is an error.
4. Waits until every acknowledgement is sent (running the sweep each minute, as beat does), then counts
   the e-mails the SMTP server accepted by Message-ID.
5. Prints the figures and writes them to benchmarks/out/surge-starts.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from outbox_drain import sink_start, surge_arguments, surge_env, worker_ready, worker_start
from serving import (
    OUT,
    RAISED_THROTTLES,
    Client,
    ensure_database,
    fleet,
    free_port,
    gunicorn,
)


def burst(port: int, serials: list[str], clients: int) -> tuple[list[float], list[str]]:
    """Every serial started once by ``clients`` threads at once: each start's seconds, and the errors."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    go = threading.Barrier(clients)

    def customer(share: list[str], number: int) -> None:
        client = Client(port, timeout=60)
        go.wait()
        for index, serial in enumerate(share):
            started = time.perf_counter()
            try:
                response = client.post_form(
                    "/returns/new/",
                    {
                        "serial_number": serial,
                        "email": f"surge-{number}-{index}@example.com",
                        "name": "Surge Owner",
                        "fault_description": "It stopped working after the outage.",
                        "submission_id": f"surge-{serial}",
                    },
                )
                ok = response.status == 303 and "/returns/track/" in response.headers.get("location", "")
                outcome = "" if ok else f"HTTP {response.status}"
            except Exception as error:  # a refused or dropped connection counts as an error
                outcome = f"{type(error).__name__}: {error}"
                client.close()
            with lock:
                latencies.append(time.perf_counter() - started)
                if outcome:
                    errors.append(f"{serial}: {outcome}")

    threads = [
        threading.Thread(target=customer, args=(serials[number::clients], number), daemon=True)
        for number in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--starts", type=int, default=20000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    surge_arguments(parser)
    parser.add_argument("--timeout", type=float, default=1800.0)
    args = parser.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    load_average = os.getloadavg()[0]
    ensure_database(args.database_url)
    smtp_port = free_port()
    env = surge_env(args, smtp_port, **RAISED_THROTTLES)
    os.environ.update(env)
    import django

    django.setup()
    import redis
    from django.db.models import Max

    from rma import notifications
    from rma.models import RMA, OutboxMessage

    redis.Redis.from_url(args.broker_url).delete("bulk-mail", "customer-mail", "celery")
    prefix = f"SURGE{int(time.time())}"
    serials = fleet(args.starts, prefix=prefix)
    print(f"imported {len(serials):,} devices", flush=True)

    ids_path = OUT / "surge-starts-message-ids.txt"
    sink = sink_start(smtp_port, ids_path)
    worker_log = OUT / "surge-starts-worker.log"
    worker = worker_start(env, queues="customer-mail,bulk-mail,celery", processes=args.workers, log=worker_log)
    worker_ready(worker_log)
    port = free_port()
    try:
        with gunicorn(env, port=port, log=OUT / "surge-starts-gunicorn.log"):
            started_at = time.time()
            started = time.monotonic()
            latencies, errors = burst(port, serials, args.clients)
            burst_seconds = time.monotonic() - started
        print(f"{len(latencies):,} starts in {burst_seconds:.1f} s, {len(errors)} errors", flush=True)
        returns = RMA.objects.filter(device__serial_number__startswith=prefix)
        acknowledgements = OutboxMessage.objects.filter(rma__in=returns, template="rma_acknowledgement")
        next_sweep = time.monotonic() + 60
        while acknowledgements.exclude(status=OutboxMessage.Status.SENT).exists():
            if time.monotonic() > started + args.timeout:
                break
            if time.monotonic() >= next_sweep:
                notifications.outbox_sweep()
                next_sweep += 60
            time.sleep(1)
        last_sent = acknowledgements.aggregate(last=Max("sent_at"))["last"]
        created = returns.count()
        sent = acknowledgements.filter(status=OutboxMessage.Status.SENT).count()
    finally:
        worker.terminate()
        worker.wait(60)
        sink.terminate()
    time.sleep(1)
    ids = [line for line in ids_path.read_text().splitlines() if line]
    latencies.sort()
    result = {
        "starts": args.starts,
        "clients": args.clients,
        "burst_seconds": round(burst_seconds, 1),
        "starts_per_second": round(len(latencies) / burst_seconds, 1),
        "errors": len(errors),
        "first_errors": errors[:5],
        "latency_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "latency_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
        "returns_created": created,
        "acknowledgements_sent": sent,
        "all_sent_after_s": round(last_sent.timestamp() - started_at, 1) if last_sent else None,
        "emails_at_smtp": len(ids),
        "duplicates": len(ids) - len(set(ids)),
        "load_average_before": load_average,
    }
    (OUT / "surge-starts.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
