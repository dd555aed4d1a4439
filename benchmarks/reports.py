"""Failure reports at fleet scale on PostgreSQL (SPEC §10: each report ≤ 250 ms, within 1.5× of hand-written SQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rma_bench_reports \\
        nice -n 10 .venv/bin/python benchmarks/reports.py

Creates the database named in DATABASE_URL if it does not exist and migrates it, then (unless
``--reuse`` finds the fleet already there) replaces its returns data with a generated fleet, bulk
loaded with COPY: 2,000,000 devices of 8 models built in weekly lots over two years, and 100,000
closed returns with a diagnosis each (70 % confirmed, 12 % cause unknown, 13 % no fault found, 5 %
customer damage; 40 patterns over 8 components), 3 % repeats, 1,500 goodwill grants, 300 fault
signals. Use a database of its own: its devices, returns and diagnostics are replaced.

For each report it prints the median wall time of ``diagnostics.reports`` (the ORM queries plus the
Python that shapes, fits and rounds the rows, exactly what the API and the pages call) beside the
median of equivalent hand-written SQL run through psycopg, returning the same aggregated rows.
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
RMAS = 100_000
GOODWILL = 1_500
SIGNALS = 300
MODELS = [  # sku, name, share of the fleet
    ("PHN-A1", "Aurora phone", 0.24),
    ("PHN-B2", "Breeze phone", 0.18),
    ("PHN-C3", "Comet phone mini", 0.10),
    ("TAB-T1", "Tide tablet", 0.12),
    ("EAR-E1", "Echo earbuds", 0.14),
    ("WAT-W1", "Wave watch", 0.08),
    ("SPK-S1", "Sonar speaker", 0.07),
    ("HUB-H1", "Harbour hub", 0.07),
]
COMPONENTS = ["battery", "display", "mainboard", "charging-port", "radio", "camera", "speaker", "housing"]
FIRMWARE = ["1.0.4", "1.1.0", "1.2.3", "2.0.1", "2.1.0"]
OUTCOMES = [("confirmed", 70), ("cause_unknown", 12), ("no_fault_found", 13), ("customer_damage", 5)]
TODAY = dt.date(2026, 11, 1)
FIRST_WEEK = TODAY - dt.timedelta(weeks=104)


def database_ensure(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin_url = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def moment(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 10, tzinfo=dt.UTC)


def build(connection, seed: int) -> None:
    """Replace the returns data with the generated fleet, by COPY."""
    from django.contrib.auth import get_user_model

    from diagnostics.models import Component, FailurePattern, FaultSignal
    from rma.models import ProductModel

    rng = random.Random(seed)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE rma_productmodel, rma_customer, diagnostics_component RESTART IDENTITY CASCADE")
    approver, _ = get_user_model().objects.get_or_create(username="bench-supervisor", defaults={"is_staff": True})
    models = [
        ProductModel.objects.create(sku=sku, name=name, family=sku.split("-")[0], warranty_months=12)
        for sku, name, _share in MODELS
    ]
    components = [Component.objects.create(code=code, name=code.replace("-", " ").title()) for code in COMPONENTS]
    patterns = [
        FailurePattern.objects.create(
            code=f"FP-{number + 1:04d}",
            title=f"{components[number % len(components)].name} failure {number // len(components) + 1}",
            component=components[number % len(components)],
        )
        for number in range(40)
    ]
    patterns_of: dict[int, list[int]] = {}
    for pattern in patterns:
        patterns_of.setdefault(pattern.component_id, []).append(pattern.pk)

    # Devices: weekly lots per model, shipped 1 to 7 weeks after build; the newest still in stock.
    shipped_on: list[dt.date | None] = [None]  # by device id (ids start at 1)
    model_of: list[int] = [0]
    weeks = 104
    now = moment(TODAY)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            "COPY rma_device (serial_number, product_model_id, lot, manufactured_on, shipped_on, firmware_version,"
            " warranty_extension_months, warranty_ends_on, created_at, updated_at) FROM STDIN"
        ) as copy,
    ):
        for model, (sku, _name, share) in zip(models, MODELS, strict=True):
            per_lot = round(DEVICES * share / weeks)
            for week in range(weeks):
                built = FIRST_WEEK + dt.timedelta(weeks=week)
                lot = f"{sku[:3]}{built:%y%W}"
                firmware = FIRMWARE[min(week * len(FIRMWARE) // weeks, len(FIRMWARE) - 1)]
                for unit in range(per_lot):
                    shipped = built + dt.timedelta(days=rng.randint(7, 50))
                    if shipped > TODAY:
                        shipped = None
                    ends = None if shipped is None else shipped.replace(year=shipped.year + 1) - dt.timedelta(days=1)
                    copy.write_row(
                        (
                            f"{sku}-{week:03d}-{unit:05d}",
                            model.pk,
                            lot,
                            built,
                            shipped,
                            firmware,
                            0,
                            ends,
                            now,
                            now,
                        )
                    )
                    shipped_on.append(shipped)
                    model_of.append(model.pk)
    devices = len(shipped_on) - 1
    print(f"  {devices:,} devices")

    # Returns: a sample of units in service, each failing at a Weibull-ish age before today.
    in_service = [pk for pk in range(1, devices + 1) if shipped_on[pk] is not None]
    stock = [pk for pk in range(1, devices + 1) if shipped_on[pk] is None]
    failed = rng.sample(in_service, RMAS)
    goodwill = set(range(GOODWILL))  # the first returns get goodwill
    with connection.cursor() as cursor:
        with cursor.cursor.copy("COPY rma_customer (name, email, phone, organisation, created_at) FROM STDIN") as copy:
            for number in range(GOODWILL):
                copy.write_row((f"Customer {number}", f"customer{number}@example.com", "", "", now))
        rmas = []
        with cursor.cursor.copy(
            "COPY rma_rma (number, device_id, customer_id, fault_description, channel, status, coverage,"
            " coverage_reason, resolution, disposition, is_repeat, quote_status, inbound_tracking,"
            " outbound_tracking, reported_on, status_changed_at, closed_at, created_at, updated_at,"
            " replacement_device_id, ownership) FROM STDIN"
        ) as copy:
            for number, device in enumerate(failed):
                start = shipped_on[device]
                assert start is not None
                age = min(int(rng.weibullvariate(500, 1.3)), (TODAY - start).days)
                reported = start + dt.timedelta(days=age)
                kept = number in goodwill
                rmas.append((device, reported))
                copy.write_row(
                    (
                        f"RMA-B{number:07d}",
                        device,
                        number + 1 if kept else None,
                        "Imported for the benchmark.",
                        "import",
                        "closed",
                        "goodwill" if kept else ("warranty" if age < 365 else "none"),
                        "",
                        "replaced",
                        "retained_for_rca" if kept else "returned_to_customer",
                        rng.random() < 0.03,
                        "",
                        "",
                        "",
                        reported,
                        moment(reported),
                        moment(reported),
                        moment(reported),
                        moment(reported),
                        stock[number] if kept else None,
                        "",  # ownership not in question
                    )
                )
        with cursor.cursor.copy(
            "COPY diagnostics_diagnosis (rma_id, component_id, symptoms, findings, outcome, pattern_id,"
            " pattern_match, minutes_spent, created_at) FROM STDIN"
        ) as copy:
            outcomes, weights = zip(*OUTCOMES, strict=True)
            for rma_id, (_device, reported) in enumerate(rmas, start=1):
                component = rng.choice(components)
                outcome = "cause_unknown" if rma_id <= GOODWILL else rng.choices(outcomes, weights)[0]
                pattern = None
                if outcome in ("confirmed", "cause_unknown") and rng.random() < 0.7:
                    pattern = rng.choice(patterns_of[component.pk])
                match = "" if pattern is None else ("confirmed" if outcome == "confirmed" else "suspected")
                copy.write_row(
                    (rma_id, component.pk, "", "", outcome, pattern, match, rng.randint(5, 90), moment(reported))
                )
        with cursor.cursor.copy(
            "COPY rma_goodwillgrant (rma_id, customer_id, approved_by_id, reason, eligibility_reason,"
            " replacement_device_id, granted_at) FROM STDIN"
        ) as copy:
            for number in range(GOODWILL):
                copy.write_row(
                    (
                        number + 1,
                        number + 1,
                        approver.pk,
                        "Benchmark.",
                        "Cause unknown.",
                        stock[number],
                        moment(rmas[number][1]),
                    )
                )
    FaultSignal.objects.bulk_create(
        FaultSignal(
            cell="lot",
            product_model=models[number % len(models)],
            component=components[number % len(components)],
            lot=f"LOT-{number:04d}",
            observed=rng.randint(5, 40),
            expected=rng.uniform(1, 10),
            units_in_service=rng.randint(500, 3000),
            rate_ratio=rng.uniform(1.5, 6),
            statistic=rng.uniform(5, 30),
            threshold=6.0,
            first_detected_on=TODAY - dt.timedelta(days=rng.randint(0, 300)),
            evidence_as_of=TODAY,
            status=rng.choice(["open", "acknowledged", "dismissed"]),
        )
        for number in range(SIGNALS)
    )
    print(f"  {RMAS:,} returns with diagnoses, {GOODWILL:,} goodwill grants, {SIGNALS} signals")
    print(f"built in {time.perf_counter() - started:.0f} s")


# The same aggregated rows, written by hand -------------------------------------------------------------

FAILURE = "('confirmed', 'cause_unknown')"
SQL: dict[str, str] = {
    "pareto by pattern": f"""
        SELECT p.code, p.title, COUNT(DISTINCT d.rma_id) AS failures
        FROM diagnostics_diagnosis d
        JOIN rma_rma r ON r.id = d.rma_id
        LEFT JOIN diagnostics_failurepattern p ON p.id = d.pattern_id
        WHERE d.outcome IN {FAILURE} AND r.reported_on <= %(today)s
        GROUP BY p.code, p.title ORDER BY failures DESC, p.code""",
    "pareto by component, one model": f"""
        SELECT c.code, c.name, COUNT(DISTINCT d.rma_id) AS failures
        FROM diagnostics_diagnosis d
        JOIN rma_rma r ON r.id = d.rma_id
        JOIN rma_device v ON v.id = r.device_id
        JOIN diagnostics_component c ON c.id = d.component_id
        WHERE d.outcome IN {FAILURE} AND r.reported_on <= %(today)s
          AND v.product_model_id = (SELECT id FROM rma_productmodel WHERE sku = 'PHN-A1')
        GROUP BY c.code, c.name ORDER BY failures DESC, c.code""",
    "failure rates by model": f"""
        WITH units AS (
            SELECT product_model_id, COUNT(*) AS units FROM rma_device
            WHERE shipped_on IS NOT NULL AND shipped_on <= %(today)s GROUP BY product_model_id
        ), failures AS (
            SELECT v.product_model_id, COUNT(DISTINCT d.rma_id) AS failures
            FROM diagnostics_diagnosis d JOIN rma_rma r ON r.id = d.rma_id JOIN rma_device v ON v.id = r.device_id
            WHERE d.outcome IN {FAILURE} AND r.reported_on <= %(today)s GROUP BY v.product_model_id
        )
        SELECT m.sku, units.units, COALESCE(failures.failures, 0),
               1000.0 * COALESCE(failures.failures, 0) / units.units AS rate
        FROM units JOIN rma_productmodel m ON m.id = units.product_model_id
        LEFT JOIN failures USING (product_model_id) ORDER BY rate DESC, m.sku""",
    "failure rates by lot": f"""
        WITH units AS (
            SELECT product_model_id, lot, COUNT(*) AS units FROM rma_device
            WHERE shipped_on IS NOT NULL AND shipped_on <= %(today)s GROUP BY product_model_id, lot
        ), failures AS (
            SELECT v.product_model_id, v.lot, COUNT(DISTINCT d.rma_id) AS failures
            FROM diagnostics_diagnosis d JOIN rma_rma r ON r.id = d.rma_id JOIN rma_device v ON v.id = r.device_id
            WHERE d.outcome IN {FAILURE} AND r.reported_on <= %(today)s GROUP BY v.product_model_id, v.lot
        )
        SELECT m.sku, units.lot, units.units, COALESCE(failures.failures, 0),
               1000.0 * COALESCE(failures.failures, 0) / units.units AS rate
        FROM units JOIN rma_productmodel m ON m.id = units.product_model_id
        LEFT JOIN failures USING (product_model_id, lot) ORDER BY rate DESC, m.sku, units.lot""",
    "failure rates by firmware, one model": f"""
        WITH model AS (SELECT id FROM rma_productmodel WHERE sku = 'PHN-A1'), units AS (
            SELECT product_model_id, firmware_version, COUNT(*) AS units FROM rma_device
            WHERE shipped_on IS NOT NULL AND shipped_on <= %(today)s AND product_model_id = (SELECT id FROM model)
            GROUP BY product_model_id, firmware_version
        ), failures AS (
            SELECT v.product_model_id, v.firmware_version, COUNT(DISTINCT d.rma_id) AS failures
            FROM diagnostics_diagnosis d JOIN rma_rma r ON r.id = d.rma_id JOIN rma_device v ON v.id = r.device_id
            WHERE d.outcome IN {FAILURE} AND r.reported_on <= %(today)s AND v.product_model_id = (SELECT id FROM model)
            GROUP BY v.product_model_id, v.firmware_version
        )
        SELECT m.sku, units.firmware_version, units.units, COALESCE(failures.failures, 0),
               1000.0 * COALESCE(failures.failures, 0) / units.units AS rate
        FROM units JOIN rma_productmodel m ON m.id = units.product_model_id
        LEFT JOIN failures USING (product_model_id, firmware_version) ORDER BY rate DESC, m.sku""",
    "weekly trend": f"""
        SELECT date_trunc('week', r.reported_on)::date AS week, p.code, COUNT(DISTINCT d.rma_id)
        FROM diagnostics_diagnosis d
        JOIN rma_rma r ON r.id = d.rma_id
        LEFT JOIN diagnostics_failurepattern p ON p.id = d.pattern_id
        WHERE d.outcome IN {FAILURE} AND r.reported_on <= %(today)s
        GROUP BY week, p.code ORDER BY week, p.code""",
    "life by model": f"""
        SELECT id, sku FROM rma_productmodel;
        SELECT product_model_id, shipped_on, COUNT(*) FROM rma_device
        WHERE shipped_on IS NOT NULL AND shipped_on <= %(today)s GROUP BY product_model_id, shipped_on;
        SELECT v.product_model_id, v.shipped_on, r.reported_on - v.shipped_on AS age, COUNT(DISTINCT r.device_id)
        FROM diagnostics_diagnosis d JOIN rma_rma r ON r.id = d.rma_id JOIN rma_device v ON v.id = r.device_id
        WHERE d.outcome IN {FAILURE} AND v.shipped_on IS NOT NULL AND v.shipped_on <= r.reported_on
          AND r.reported_on <= %(today)s
          AND NOT EXISTS (
            SELECT 1 FROM diagnostics_diagnosis d2 JOIN rma_rma r2 ON r2.id = d2.rma_id
            WHERE r2.device_id = r.device_id AND d2.outcome IN {FAILURE} AND r2.reported_on < r.reported_on)
        GROUP BY v.product_model_id, v.shipped_on, age""",
    "life by component, one model": f"""
        SELECT id, sku FROM rma_productmodel;
        SELECT product_model_id, shipped_on, COUNT(*) FROM rma_device
        WHERE shipped_on IS NOT NULL AND shipped_on <= %(today)s
          AND product_model_id = (SELECT id FROM rma_productmodel WHERE sku = 'PHN-A1')
        GROUP BY product_model_id, shipped_on;
        SELECT c.code, v.product_model_id, v.shipped_on, r.reported_on - v.shipped_on AS age,
               COUNT(DISTINCT r.device_id)
        FROM diagnostics_diagnosis d JOIN rma_rma r ON r.id = d.rma_id JOIN rma_device v ON v.id = r.device_id
        JOIN diagnostics_component c ON c.id = d.component_id
        WHERE d.outcome IN {FAILURE} AND v.product_model_id = (SELECT id FROM rma_productmodel WHERE sku = 'PHN-A1')
          AND v.shipped_on IS NOT NULL AND v.shipped_on <= r.reported_on AND r.reported_on <= %(today)s
          AND NOT EXISTS (
            SELECT 1 FROM diagnostics_diagnosis d2 JOIN rma_rma r2 ON r2.id = d2.rma_id
            WHERE r2.device_id = r.device_id AND d2.component_id = d.component_id AND d2.outcome IN {FAILURE}
              AND r2.reported_on < r.reported_on)
        GROUP BY c.code, v.product_model_id, v.shipped_on, age""",
    "no fault found": """
        SELECT m.sku, COUNT(DISTINCT d.rma_id),
               COUNT(DISTINCT d.rma_id) FILTER (WHERE d.outcome = 'no_fault_found')
        FROM diagnostics_diagnosis d JOIN rma_rma r ON r.id = d.rma_id JOIN rma_device v ON v.id = r.device_id
        JOIN rma_productmodel m ON m.id = v.product_model_id
        WHERE r.reported_on <= %(today)s GROUP BY m.sku ORDER BY m.sku""",
    "repeats": """
        SELECT m.sku, COUNT(r.id), COUNT(r.id) FILTER (WHERE r.is_repeat)
        FROM rma_rma r JOIN rma_device v ON v.id = r.device_id JOIN rma_productmodel m ON m.id = v.product_model_id
        WHERE r.reported_on <= %(today)s GROUP BY m.sku ORDER BY m.sku""",
    "goodwill": """
        SELECT (SELECT p.code FROM diagnostics_diagnosis d LEFT JOIN diagnostics_failurepattern p ON p.id = d.pattern_id
                WHERE d.rma_id = g.rma_id ORDER BY d.created_at DESC, d.id DESC LIMIT 1) AS pattern,
               COUNT(g.id) AS grants
        FROM rma_goodwillgrant g WHERE g.granted_at < %(today)s::date + 1
        GROUP BY pattern ORDER BY grants DESC, pattern;
        SELECT COUNT(c.id), SUM(c.amount), SUM(c.months) FROM rma_compensation c
        WHERE c.status = 'approved' AND c.decided_at < %(today)s::date + 1""",
    "open fault signals": """
        SELECT status, COUNT(*) FROM diagnostics_faultsignal WHERE first_detected_on <= %(today)s GROUP BY status;
        SELECT s.id, m.sku, c.code, s.lot, s.firmware_version, s.observed, s.expected, s.units_in_service,
               s.rate_ratio, s.statistic, s.threshold, s.first_detected_on, s.status
        FROM diagnostics_faultsignal s JOIN rma_productmodel m ON m.id = s.product_model_id
        JOIN diagnostics_component c ON c.id = s.component_id
        WHERE s.status IN ('open', 'acknowledged') AND s.first_detected_on <= %(today)s
        ORDER BY s.statistic DESC, s.id""",
}


def cases():
    from diagnostics import reports
    from diagnostics.reports import ReportFilters

    everything = ReportFilters(date_to=TODAY)
    one_model = ReportFilters(model="PHN-A1", date_to=TODAY)
    return {
        "pareto by pattern": lambda: reports.pareto(everything, by="pattern"),
        "pareto by component, one model": lambda: reports.pareto(one_model, by="component"),
        "failure rates by model": lambda: reports.failure_rates(everything, by="model"),
        "failure rates by lot": lambda: reports.failure_rates(everything, by="lot"),
        "failure rates by firmware, one model": lambda: reports.failure_rates(one_model, by="firmware"),
        "weekly trend": lambda: reports.trend(everything),
        "life by model": lambda: reports.life(everything, by="model"),
        "life by component, one model": lambda: reports.life(one_model, by="component"),
        "no fault found": lambda: reports.no_fault_found(everything),
        "repeats": lambda: reports.repeats(everything),
        "goodwill": lambda: reports.goodwill(everything),
        "open fault signals": lambda: reports.fault_signals_open(everything),
    }


def medians_ms(runs, repeat: int) -> tuple[list[float], list[object]]:
    """Median wall time of each of ``runs``, taken in turns so that both see the same load."""
    results = [run() for run in runs]  # warm: plans and pages cached, as on a running server
    times: list[list[float]] = [[] for _ in runs]
    for _ in range(repeat):
        for index, run in enumerate(runs):
            started = time.perf_counter()
            results[index] = run()
            times[index].append(1000 * (time.perf_counter() - started))
    return [statistics.median(each) for each in times], results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--reuse", action="store_true", help="keep the fleet when it is already there")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL=postgres://.../rma_bench_reports (a database of its own: its data are replaced).")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("DJANGO_DEBUG", "false")
    database_ensure(url)

    import django

    django.setup()
    import psycopg
    from django.core.management import call_command
    from django.db import connection

    from rma.models import RMA, Device

    call_command("migrate", verbosity=0)
    if not (args.reuse and Device.objects.count() >= DEVICES * 0.99 and RMA.objects.count() == RMAS):
        print("building the fleet")
        build(connection, args.seed)
        with connection.cursor() as cursor:
            for table in ("rma_device", "rma_rma", "diagnostics_diagnosis", "rma_goodwillgrant", "rma_customer"):
                cursor.execute(f"VACUUM ANALYZE {table}")

    print(f"PostgreSQL {connection.pg_version // 10000}; median of {args.repeat} runs each, in turns, after a warm-up")
    print()
    print("| report | rows | report (ms) | hand-written SQL (ms) | report / SQL |")
    print("|---|---:|---:|---:|---:|")
    with psycopg.connect(url) as raw:
        for name, run in cases().items():

            def sql(name=name):
                rows = []
                with raw.cursor() as cursor:
                    for statement in SQL[name].split(";"):
                        cursor.execute(statement, {"today": TODAY})
                        rows.append(cursor.fetchall())
                return rows

            (report_ms, sql_ms), (result, _rows) = medians_ms([run, sql], args.repeat)
            print(
                f"| {name} | {len(result.rows):,} | {report_ms:.1f} | {sql_ms:.1f} | {report_ms / sql_ms:.2f}× |",
                flush=True,
            )


if __name__ == "__main__":
    main()
