"""A full detection scan over 2,000,000 devices and 100,000 diagnosed returns on PostgreSQL (SPEC §10: ≤ 30 s).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rma_bench_detect \\
        nice -n 10 .venv/bin/python benchmarks/detection_scan.py

Creates the database named in DATABASE_URL if it does not exist and migrates it (use a database of
its own). Unless it already holds the fleet, simulates one (``tests.generators.fleets``:
four models in weekly lots over 130 weeks, with the friction of SPEC §10 and one faulty lot) trimmed
to exactly 2,000,000 devices and 100,000 returns, writes the two CSVs to benchmarks/out/ and loads
them with ``import_devices`` and ``import_failures`` (both COPY-based on PostgreSQL). Then it runs the
scan ``--runs`` times (``diagnostics.detection.scan.detect_faults``, as ``detect_faults`` and the
nightly task do, writing signals), timing each phase: the two aggregate queries, the statistics,
and the writes. The first run raises the signals, the others update them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "benchmarks" / "out"

DEVICES = 2_000_000
RETURNS = 100_000


def build_fleet(directory: Path, today) -> dict[str, Path]:
    import numpy as np

    from tests.generators.fleets import Fault, FleetSpec, ModelSpec, simulate

    models = (
        ModelSpec("PHN-A1", "Aurora phone", 24, 4200, ((0, "5.0"), (30, "5.1"), (70, "5.2"), (110, "5.3"))),
        ModelSpec("PHN-B2", "Breeze phone", 12, 3800, ((0, "3.4"), (40, "3.5"), (85, "3.6")), hazard=1.2),
        ModelSpec("TAB-T1", "Tide tablet", 24, 3000, ((0, "2.1"), (55, "2.2"), (100, "2.3")), hazard=0.8),
        ModelSpec("EAR-E1", "Echo earbuds", 12, 4500, ((0, "1.2"), (60, "1.3"))),
    )
    start = today - timedelta(weeks=131)
    start -= timedelta(days=start.weekday())
    spec = FleetSpec(
        start=start,
        weeks=130,
        models=models,
        lot_size_spread=0.3,
        max_lot=9000,
        faults=(Fault("lot_hazard", "PHN-B2", "display", multiplier=5.0, lot_week=100, lot_size=1500),),
        seed=7,
    )
    fleet = simulate(spec)
    print(f"simulated {len(fleet.serial):,} devices and {len(fleet.r_unit):,} returns", flush=True)
    # exactly DEVICES devices (every model's lots, then the last model's latest lots dropped) and RETURNS returns
    keep = np.arange(len(fleet.serial)) < DEVICES
    for name in ("serial", "model", "lot", "firmware", "built", "shipped", "warranty_days"):
        setattr(fleet, name, getattr(fleet, name)[keep])
    rng = np.random.default_rng(1)
    returns = np.flatnonzero(fleet.r_unit < DEVICES)
    chosen = np.sort(rng.choice(returns, size=min(RETURNS, len(returns)), replace=False))
    for name in ("r_unit", "r_reported", "r_component", "r_outcome"):
        setattr(fleet, name, getattr(fleet, name)[chosen])
    return fleet.write(directory, until=today)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL=postgres://.../rma_bench_detect (a database of its own).")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("DJANGO_DEBUG", "false")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from import_devices import database_ensure

    database_ensure(url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from core.importing import open_csv
    from diagnostics.detection import engine, scan
    from diagnostics.imports import failures_import_csv
    from diagnostics.models import Diagnosis, FaultSignal
    from rma.models import Device
    from rma.services import devices_import_csv

    call_command("migrate", verbosity=0)
    today = timezone.localdate()
    if Device.objects.count() < DEVICES or Diagnosis.objects.count() < RETURNS:
        paths = build_fleet(OUT / "detection-scan", today)
        for label, path, load in (
            ("import_devices", paths["devices.csv"], devices_import_csv),
            ("import_failures", paths["failures.csv"], failures_import_csv),
        ):
            started = time.perf_counter()
            with open_csv(str(path)) as file:
                result = load(file=file, strict=True)
            print(f"{label}: {result.rows:,} rows in {time.perf_counter() - started:.1f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    devices, diagnoses = Device.objects.count(), Diagnosis.objects.count()
    print(f"database: {devices:,} devices, {diagnoses:,} diagnoses, {FaultSignal.objects.count()} signals", flush=True)

    for run in range(1, args.runs + 1):
        started = time.perf_counter()
        fleet = scan.fleet_load(as_of=today)
        loaded = time.perf_counter()
        result = engine.detect(fleet, as_of=today, settings=scan.settings_from_config())
        tested = time.perf_counter()
        report = scan.detect_faults(as_of=today)  # as the command runs it: lock, load, test, write
        total = time.perf_counter() - tested
        print(
            f"run {run}: detect_faults {total:.1f} s in all ({len(report.raised)} raised, {report.updated} updated, "
            f"{report.cells:,} cells); of which counting in SQL {loaded - started:.1f} s "
            f"({len(fleet.c_count):,} cohort rows, {len(fleet.f_count):,} failure rows), "
            f"statistics {tested - loaded:.1f} s, {len(result.alarms)} alarms",
            flush=True,
        )


if __name__ == "__main__":
    main()
