"""Bulk import of devices, the installed base (SPEC §8 ``import_devices``).

Every row is checked in Python with cheap checks (a value a file repeats, such as a date or a model,
is checked once). The good rows are then written in bulk: on PostgreSQL they are streamed by COPY
into a temporary table while the file is still being read, and merged into the devices with one
``INSERT ... ON CONFLICT (serial_number) DO UPDATE ... WHERE`` the stored row differs (a bulk load,
at least as many rows as the table holds, sets the table's secondary indexes and foreign keys aside
and rebuilds them once, inserting plainly when no staged serial is stored yet); on other
databases with ``bulk_create`` and ``bulk_update`` in batches. Either way a row that matches what is
stored is not written at all, so importing the same file twice changes nothing.

The warranty end of every device comes from ``rma.policy.warranty_end``, as everywhere else.

The rows are checked in ``rows``, and written by ``postgresql`` or ``portable``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TextIO

from django.db import connection, transaction

from core.importing import Rows, csv_rows, import_lock, mapping_rows, reading
from rma.models import ProductModel
from rma.services.imports.portable import PortableWrite
from rma.services.imports.postgresql import PostgresWrite
from rma.services.imports.rows import DeviceImportResult, _Model

__all__ = ["DeviceImportResult", "devices_import", "devices_import_csv"]


def devices_import_csv(*, file: TextIO, strict: bool = False) -> DeviceImportResult:
    """Import the devices of a CSV file whose first line names the columns; see ``devices_import``."""
    header, rows = csv_rows(file)
    return _DeviceImport(header, strict=strict).run(rows)


def devices_import(*, rows: Iterable[Mapping[str, object]], strict: bool = False) -> DeviceImportResult:
    """Upsert devices by serial number from rows keyed by column name (the CSV columns).

    Unknown SKUs create product models (``warranty_months`` from the row, else 12; ``model_name``,
    else the SKU, as the name). A ``customer_email`` makes that customer, created if new, the owner;
    an empty ``customer_email`` or ``shipped_on`` never erases what is stored. A bad row is reported
    with its line number (counted as in a CSV file with a header) and skipped; with ``strict`` one
    bad row means nothing is written. Raises ``ImportFileInvalid`` when a required column is missing.
    """
    header, data = mapping_rows(rows)
    if not header:
        return DeviceImportResult(written=True)
    return _DeviceImport(header, strict=strict).run(data)


class _DeviceImport(PortableWrite, PostgresWrite):
    @transaction.atomic
    def run(self, rows: Rows) -> DeviceImportResult:
        import_lock("rma.devices_import")
        for sku, name, months in ProductModel.objects.values_list("sku", "name", "warranty_months"):
            self.models[sku] = _Model(name=name, months=months, ends=self.ends_by_months.setdefault(months, {}))
        with reading(rows):
            if connection.vendor == "postgresql":
                self.write_postgresql(self.good_rows(rows))
            else:
                self.write_portable(self.good_rows(rows))
        if self.strict and self.result.errors:
            transaction.set_rollback(True)
            return self.result
        self.result.written = True
        return self.result
