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
