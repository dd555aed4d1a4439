"""A small fleet whose report figures are worked out by hand (see tests/diagnostics/test_reports.py)."""

from __future__ import annotations

import datetime as dt

from diagnostics.imports import failures_import
from tests.factories import DeviceFactory, ProductModelFactory

AS_OF = dt.date(2025, 6, 30)


def build_report_fleet() -> None:
    """The fleet of tests/diagnostics/test_reports.py (its docstring has the table)."""
    model_a = ProductModelFactory(sku="PHN-A")
    model_b = ProductModelFactory(sku="PHN-B")
    for number in range(10):
        DeviceFactory(
            serial_number=f"A{number:02d}",
            product_model=model_a,
            lot="L1",
            firmware_version="1.0",
            manufactured_on=dt.date(2024, 12, 1),
            shipped_on=dt.date(2025, 1, 1),
        )
    for number in range(5):
        DeviceFactory(
            serial_number=f"B{number:02d}",
            product_model=model_b,
            lot="L2",
            firmware_version="2.0",
            manufactured_on=dt.date(2025, 2, 1),
            shipped_on=dt.date(2025, 3, 1),
        )
    rows = [
        ("E1", "A00", "2025-02-01", "battery", "FP-0001", "confirmed"),
        ("E2", "A01", "2025-03-01", "battery", "FP-0001", "confirmed"),
        ("E3", "A02", "2025-03-03", "display", "", "cause_unknown"),
        ("E4", "A03", "2025-03-05", "battery", "", "no_fault_found"),
        ("E5", "B00", "2025-03-11", "battery", "FP-0001", "confirmed"),
        ("E6", "B01", "2025-04-01", "display", "", "customer_damage"),
    ]
    columns = ("external_id", "serial_number", "reported_on", "component", "pattern_code", "outcome")
    result = failures_import(rows=[dict(zip(columns, row, strict=True)) for row in rows], strict=True)
    assert not result.errors


def build_chart_fleet(*, seed: int = 11, today: dt.date | None = None) -> None:
    """A fleet big enough to draw readable charts: three models, weekly lots, two firmware versions,
    Weibull lifetimes per component (one lot with a bad battery), imported through the importers."""
    import random

    from rma.services import devices_import

    rng = random.Random(seed)
    today = today or dt.date.today()
    start = today - dt.timedelta(days=420)
    models = [("PHN-1", "Aurora phone"), ("PHN-2", "Borealis phone"), ("TAB-1", "Cirrus tablet")]
    components = {  # code: (shape, scale in days, pattern codes)
        "battery": (2.2, 1400, ["FP-0001", "FP-0002"]),
        "display": (1.0, 5000, ["FP-0003", ""]),
        "charging-port": (1.6, 3000, ["FP-0004"]),
        "mainboard": (0.8, 9000, ["", "FP-0005"]),
    }
    devices, failures = [], []
    for sku, name in models:
        for week in range(0, 52, 4):
            lot = f"L{sku[-1]}{week:02d}"
            built = start + dt.timedelta(days=7 * week)
            firmware = "2.1" if week >= 28 else "2.0"
            for number in range(rng.randint(60, 140)):
                serial = f"{sku}-{lot}-{number:04d}"
                shipped = built + dt.timedelta(days=rng.randint(7, 40))
                if shipped >= today:
                    continue
                devices.append(
                    {
                        "serial_number": serial,
                        "model_sku": sku,
                        "model_name": name,
                        "lot": lot,
                        "manufactured_on": built.isoformat(),
                        "shipped_on": shipped.isoformat(),
                        "firmware_version": firmware,
                    }
                )
                ages = []
                for code, (shape, scale, patterns) in components.items():
                    if code == "battery" and lot == "L116":
                        scale = 300  # the bad lot
                    ages.append((rng.weibullvariate(scale, shape), code, rng.choice(patterns)))
                age, code, pattern = min(ages)
                reported = shipped + dt.timedelta(days=int(age))
                if reported >= today:
                    continue
                outcome = rng.choices(["confirmed", "cause_unknown", "no_fault_found"], [8, 2, 1])[0]
                failures.append(
                    {
                        "external_id": f"X-{serial}",
                        "serial_number": serial,
                        "reported_on": reported.isoformat(),
                        "component": code,
                        "pattern_code": "" if outcome == "no_fault_found" else pattern,
                        "outcome": outcome,
                    }
                )
    assert not devices_import(rows=devices, strict=True).errors
    assert not failures_import(rows=failures, strict=True).errors
