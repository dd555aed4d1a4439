"""Service programmes at fleet scale on PostgreSQL (SPEC §10, §11).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rma_bench_programmes \\
        nice -n 10 .venv/bin/python benchmarks/programmes.py

Creates the database named in DATABASE_URL if it does not exist and migrates it, then (unless
``--reuse`` finds the fleet already there) replaces its data with a generated fleet, built inside
PostgreSQL with ``generate_series``: 2,000,000 shipped devices of 10 models in 1,000 lots, 1,000,000
of them owned (one owner each), and 100 active programmes: 99 narrow ones (one to three models, and
lots, firmware versions, build-date or ship-date ranges, ten with an uploaded list of 1,000 serials)
and one wide programme covering every owned unit. Use a database of its own: its data are replaced.

It prints:

1. eligibility: the time of ``diagnostics.programmes.eligibility_by_serial`` (the selector the public
   checker, the API, the admin and the policy use) for random serials, median, 95th and 99th
   percentile and mean, in milliseconds (bar: ≤ 5 ms per serial);
2. notify owners: the wall time of ``programme_owner_emails_queue`` for the wide programme, which
   writes one outbox row per owner of its 1,000,000 eligible units (bar: ≤ 60 s), and of a second run
   that finds every owner already told and writes nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEVICES = 2_000_000
OWNED = 1_000_000
MODELS = 10
LOTS = 1_000
PROGRAMMES = 100
FIRMWARE = ["1.0", "1.1", "1.2", "2.0", "2.1"]
START = dt.date(2024, 1, 1)


def database_ensure(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin_url = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def serial(i: int) -> str:
    return f"BN{i:08d}"


def build(connection, seed: int) -> None:
    """Replace the data with the generated fleet and programmes."""
    from django.contrib.auth import get_user_model

    from diagnostics import programmes
    from diagnostics.models import Component, FailurePattern, Programme
    from rma.models import ProductModel

    rng = random.Random(seed)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE rma_productmodel, rma_customer, diagnostics_component, rma_outboxmessage RESTART IDENTITY CASCADE"
        )
        for model in range(1, MODELS + 1):
            cursor.execute(
                "INSERT INTO rma_productmodel (sku, name, family, warranty_months, goodwill_window_months, created_at)"
                " VALUES (%s, %s, 'Phones', 12, 6, now())",
                [f"BM-{model:02d}", f"Bench model {model}"],
            )
        cursor.execute(
            "INSERT INTO rma_customer (name, email, phone, organisation, created_at) "
            "SELECT 'Owner ' || i, 'owner' || i || '@bench.example.com', '', '', now() "
            "FROM generate_series(1, %s) AS i",
            [OWNED],
        )
        # device i: model i % 10, lot i / 2000, built over 700 days, shipped 20 days later, owned when i <= 1,000,000
        cursor.execute(
            "INSERT INTO rma_device (serial_number, product_model_id, lot, manufactured_on, shipped_on, "
            "firmware_version, owner_id, warranty_extension_months, warranty_ends_on, created_at, updated_at) "
            "SELECT 'BN' || lpad(i::text, 8, '0'), (i %% %s) + 1, 'L' || lpad((i / %s)::text, 4, '0'), "
            "%s::date + (i %% 700), %s::date + (i %% 700) + 20, "
            "(ARRAY['1.0','1.1','1.2','2.0','2.1'])[(i %% 5) + 1], CASE WHEN i <= %s THEN i END, 0, "
            "%s::date + (i %% 700) + 20 + 364, now(), now() "
            "FROM generate_series(1, %s) AS i",
            [MODELS, DEVICES // LOTS, START, START, OWNED, START, DEVICES],
        )
    print(f"  {DEVICES:,} devices, {OWNED:,} owners in {time.perf_counter() - started:.0f} s")

    engineer, _ = get_user_model().objects.get_or_create(
        username="bench-engineer", defaults={"is_staff": True, "is_superuser": True}
    )
    battery = Component.objects.create(code="battery", name="Battery")
    pattern = FailurePattern.objects.create(
        code="FP-0001", title="Battery swells", component=battery, status="root_caused", root_cause="Thin separator."
    )
    models = list(ProductModel.objects.order_by("pk"))
    until = dt.date.today() + dt.timedelta(days=3 * 365)
    for number in range(1, PROGRAMMES):
        rules: dict = {}
        kind = number % 5
        if kind == 0:
            rules["lots"] = [f"L{rng.randrange(LOTS):04d}" for _ in range(rng.randint(5, 20))]
        elif kind == 1:
            rules["firmware_versions"] = rng.sample(FIRMWARE, 2)
        elif kind == 2:
            day = START + dt.timedelta(days=rng.randrange(600))
            rules.update(built_from=day, built_to=day + dt.timedelta(days=rng.randint(7, 60)))
        elif kind == 3:
            day = START + dt.timedelta(days=rng.randrange(600))
            rules.update(shipped_from=day, shipped_to=day + dt.timedelta(days=rng.randint(7, 60)))
        else:
            rules["lots"] = [f"L{rng.randrange(LOTS):04d}" for _ in range(3)]
            rules["firmware_versions"] = rng.sample(FIRMWARE, 3)
        programme = programmes.programme_create(
            actor=engineer,
            code=f"SP-{number:04d}",
            title=f"Programme {number}",
            summary="A fault some units have.",
            pattern=pattern,
            product_models=rng.sample(models, rng.randint(1, 3)),
            covered_until=until,
            **rules,
        )
        if number % 10 == 0:
            programmes.programme_serials_set(
                programme=programme,
                actor=engineer,
                serials=[serial(rng.randint(1, DEVICES)) for _ in range(1_000)],
            )
        programmes.programme_activate(programme=programme, actor=engineer, source="admin")
    wide = programmes.programme_create(
        actor=engineer,
        code="SP-0100",
        title="Every battery",
        summary="Every battery of these phones can swell.",
        pattern=pattern,
        product_models=models,
        covered_until=until,
        reimburse_paid_repairs=False,
    )
    programmes.programme_activate(programme=wide, actor=engineer, source="admin")
    with connection.cursor() as cursor:
        for table in ("rma_device", "rma_customer", "diagnostics_programmeserial", "diagnostics_programme"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(f"  {Programme.objects.filter(status='active').count()} active programmes")
    print(f"built in {time.perf_counter() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--serials", type=int, default=2_000, help="how many random serials to check")
    parser.add_argument("--reuse", action="store_true", help="keep the fleet when it is already there")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL=postgres://.../rma_bench_programmes (a database of its own: its data are replaced).")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("DJANGO_DEBUG", "false")
    database_ensure(url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from diagnostics import programmes
    from diagnostics.models import Programme
    from rma.models import Device, OutboxMessage

    call_command("migrate", verbosity=0)
    if not (args.reuse and Device.objects.count() == DEVICES and Programme.objects.count() == PROGRAMMES):
        print("building the fleet")
        build(connection, args.seed)
    print(f"PostgreSQL {connection.pg_version // 10000}; load average before: {os.getloadavg()[0]:.1f}")

    # 1. Eligibility by serial, as the checker, the API and the policy ask it.
    rng = random.Random(args.seed)
    wanted = [serial(rng.randint(1, DEVICES)) for _ in range(args.serials)]
    for each in wanted[:100]:  # warm-up
        programmes.eligibility_by_serial(each)
    times, covered = [], 0
    for each in wanted:
        started = time.perf_counter()
        _serial, found = programmes.eligibility_by_serial(each)
        times.append(1000 * (time.perf_counter() - started))
        covered += len(found)
    times.sort()
    print()
    print(f"eligibility of {len(wanted):,} random serials, 100 active programmes, {DEVICES:,} devices")
    print(
        f"  median {statistics.median(times):.2f} ms, p95 {times[int(0.95 * len(times))]:.2f} ms, "
        f"p99 {times[int(0.99 * len(times))]:.2f} ms, mean {statistics.fmean(times):.2f} ms "
        f"({covered / len(wanted):.1f} programmes per serial)"
    )

    # 2. Notify the owners of the wide programme's 1,000,000 eligible units.
    wide = Programme.objects.get(code="SP-0100")
    OutboxMessage.objects.filter(key__startswith=f"programme:{wide.pk}:").delete()
    Programme.objects.filter(pk=wide.pk).update(owners_notified=0)
    eligible = programmes.eligible_devices(wide).filter(owner__isnull=False).count()
    print()
    print(f"notify owners of {eligible:,} eligible owned units")
    for run in ("first run", "second run"):
        started = time.perf_counter()
        written = programmes.programme_owner_emails_queue(programme_id=wide.pk)
        print(f"  {run}: {written:,} outbox rows in {time.perf_counter() - started:.1f} s")
    print(f"  outbox rows for the programme: {OutboxMessage.objects.filter(template='programme_notice').count():,}")


if __name__ == "__main__":
    main()
