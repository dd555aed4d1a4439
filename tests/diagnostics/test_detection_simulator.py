"""The fleet simulator: its CSVs go through the real imports, and the scan finds the fault it injected."""

from __future__ import annotations

import csv
import datetime as dt
import json
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command

from diagnostics.detection import scan
from diagnostics.detection.engine import detect
from diagnostics.models import FaultSignal
from tests.generators.fleets import (
    COMPONENTS,
    Fault,
    FleetSpec,
    Friction,
    ModelSpec,
    simulate,
)

MODEL = ModelSpec("PHN-T9", "Test phone", 12, 250, ((0, "1.0"), (20, "1.1")))


def spec(today: dt.date, *faults: Fault, seed: int = 4) -> FleetSpec:
    weeks = 40
    start = today - dt.timedelta(weeks=weeks)
    start -= dt.timedelta(days=start.weekday())
    return FleetSpec(start=start, weeks=weeks, models=(MODEL,), faults=faults, seed=seed, min_lot=150, max_lot=400)


def test_friction_and_faults_are_as_specified():
    fleet = simulate(
        spec(
            dt.date(2025, 6, 2),
            Fault("lot_hazard", "PHN-T9", "display", multiplier=5.0, lot_week=10, lot_size=1500),
        )
    )
    outcomes = np.bincount(fleet.r_outcome, minlength=4)
    assert outcomes[0] > 0 and outcomes[1] > 0 and outcomes[2] > 0 and outcomes[3] > 0  # every outcome occurs
    ship_delay = fleet.shipped - fleet.built
    assert ship_delay.min() >= 2 and ship_delay.max() <= Friction().ship_delay_days + 4
    sizes = np.bincount(fleet.lot)
    assert sizes.max() == 1500 and sizes.min() >= 150  # the faulty lot is forced to 1,500 units
    [truth] = fleet.truth
    assert truth.kind == "lot_hazard" and truth.lot == fleet.lots[10] and truth.affected_units == 1500
    # the faulty lot fails its displays about five times as often as the others (among confirmed returns)
    display = [c.code for c in COMPONENTS].index("display")
    confirmed = (fleet.r_outcome == 0) & (fleet.r_component == display)
    per_lot = np.bincount(fleet.lot[fleet.r_unit[confirmed]], minlength=len(sizes)) / sizes
    others = np.delete(per_lot, 10)[:10]  # lots of similar age
    assert per_lot[10] > 3 * others.mean()


@pytest.mark.django_db
def test_the_csvs_import_and_the_scan_finds_the_injected_lot(tmp_path, today):
    fleet = simulate(
        spec(today, Fault("lot_subpopulation", "PHN-T9", "mainboard", fraction=0.1, lot_week=12, lot_size=400))
    )
    paths = fleet.write(tmp_path)
    with paths["devices.csv"].open() as file:
        header = next(csv.reader(file))
    assert header[:6] == ["serial_number", "model_sku", "lot", "manufactured_on", "shipped_on", "firmware_version"]
    truth = json.loads(paths["truth.json"].read_text())
    assert truth[0]["kind"] == "lot_subpopulation" and truth[0]["lot"] == fleet.lots[12]

    out = StringIO()
    call_command("import_devices", str(paths["devices.csv"]), "--strict", stdout=out)
    call_command("import_failures", str(paths["failures.csv"]), "--strict", stdout=out)

    # the scan over the imported rows sees what the simulator's own grouped counts give
    report = scan.detect_faults()
    in_memory = detect(fleet.fleet(), as_of=today)
    assert sorted(cell.key for cell in report.result.alarms) == sorted(cell.key for cell in in_memory.alarms)
    lot_signal = FaultSignal.objects.get(cell="lot", lot=fleet.lots[12], component__code="mainboard")
    assert lot_signal.rate_ratio > 3
