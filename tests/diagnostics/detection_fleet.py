"""A small fleet for the scan's tests: twenty weekly lots of one model, one lot with a battery fault."""

from __future__ import annotations

import datetime as dt

import numpy as np

from diagnostics.imports import failures_import
from rma.services.imports import devices_import

LOTS = 20
UNITS_PER_LOT = 150
FAULTY_LOT = "L07"


def build_fleet(today: dt.date, *, seed: int = 1, defective_every: int = 10) -> dict[str, list[dict]]:
    """Rows for ``devices_import`` and ``failures_import``; the faulty lot's extra failures come early.

    One unit in ``defective_every`` of the faulty lot has a defective battery.
    """
    rng = np.random.default_rng(seed)
    start = today - dt.timedelta(days=7 * LOTS + 140)
    devices: list[dict] = []
    failures: list[dict] = []
    for lot_number in range(LOTS):
        lot = f"L{lot_number:02d}"
        built = start + dt.timedelta(days=7 * lot_number)
        for unit in range(UNITS_PER_LOT):
            serial = f"SN{lot_number:02d}{unit:04d}"
            shipped = built + dt.timedelta(days=int(rng.integers(3, 20)))
            devices.append(
                {
                    "serial_number": serial,
                    "model_sku": "PHN-1",
                    "lot": lot,
                    "manufactured_on": built.isoformat(),
                    "shipped_on": shipped.isoformat(),
                    "firmware_version": "1.0" if lot_number < 10 else "1.1",
                    "warranty_months": "12",
                }
            )
            for component, weekly_rate in (("battery", 0.0004), ("display", 0.0003)):
                rate = weekly_rate
                if lot == FAULTY_LOT and component == "battery" and unit % defective_every == 0:
                    rate = 0.08  # a defective tenth of the lot
                age = rng.exponential(1 / rate)
                reported = shipped + dt.timedelta(days=int(age * 7) + int(rng.integers(7, 28)))
                if reported <= today:
                    failures.append(
                        {
                            "external_id": f"F-{serial}-{component}",
                            "serial_number": serial,
                            "reported_on": reported.isoformat(),
                            "component": component,
                            "pattern_code": "",
                            "outcome": "confirmed" if rng.random() > 0.15 else "no_fault_found",
                        }
                    )
    return {"devices": devices, "failures": failures}


def import_fleet(rows: dict[str, list[dict]]) -> None:
    devices = devices_import(rows=rows["devices"], strict=True)
    assert devices.written and not devices.errors, devices.errors[:3]
    failures = failures_import(rows=rows["failures"], strict=True)
    assert failures.written and not failures.errors, failures.errors[:3]
