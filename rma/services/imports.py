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
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TextIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone

from core.importing import (
    Columns,
    DateCheck,
    RowError,
    Rows,
    batched,
    columns_match,
    csv_rows,
    import_lock,
    mapping_rows,
    max_length,
    reading,
)
from rma import policy
from rma.models import Customer, Device, ProductModel
from rma.normalise import normalise_email
from rma.services.devices import device_warranty_end

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("serial_number", "model_sku", "lot", "manufactured_on", "shipped_on", "firmware_version")
OPTIONAL_COLUMNS = ("model_name", "warranty_months", "customer_email")

DEFAULT_WARRANTY_MONTHS = ProductModel._meta.get_field("warranty_months").get_default()
MAX_WARRANTY_MONTHS = 120
EARLIEST_DATE = date(1970, 1, 1)
CHECKED_BATCH_ROWS = 5000  # good rows handed on at a time
QUERY_BATCH_ROWS = 500  # rows per query on the portable path (SQLite allows 999 parameters)

TEXT_LIMITS = {
    "serial_number": max_length(Device, "serial_number"),
    "model_sku": max_length(ProductModel, "sku"),
    "lot": max_length(Device, "lot"),
    "firmware_version": max_length(Device, "firmware_version"),
}
SERIAL_MAX, SKU_MAX, LOT_MAX, FIRMWARE_MAX = TEXT_LIMITS.values()
NAME_MAX = max_length(ProductModel, "name")
EMAIL_MAX = max_length(Customer, "email")

# A good row, normalised; dates are ISO text, "" when empty:
# (serial_number, model_sku, lot, manufactured_on, shipped_on, firmware_version, customer_email, warranty_ends_on)
DeviceRow = tuple[str, str, str, str, str, str, str, str]

# What an import sets on a device, as attributes (to compare) and as fields (to save).
STORED_ATTRS = [
    "product_model_id",
    "lot",
    "manufactured_on",
    "shipped_on",
    "firmware_version",
    "owner_id",
    "warranty_ends_on",
]
UPDATED_FIELDS = [
    "product_model",
    "lot",
    "manufactured_on",
    "shipped_on",
    "firmware_version",
    "owner",
    "warranty_ends_on",
    "updated_at",
]


@dataclass
class DeviceImportResult:
    rows: int = 0  # data rows read
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    new_models: list[str] = field(default_factory=list)  # SKUs of the product models created
    new_customers: int = 0
    written: bool = False  # False when nothing was written: ``strict`` and at least one bad row

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged


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


@dataclass(slots=True)
class _Model:
    """What the rows of one SKU need: its warranty length and name, and the warranty ends worked out."""

    name: str
    months: int
    ends: dict[str, str]  # shipped_on -> warranty_ends_on, shared by the models with the same months
    new: bool = False


class _DeviceImport:
    def __init__(self, header: list[str], *, strict: bool) -> None:
        self.columns: Columns = columns_match(header, required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS)
        self.strict = strict
        self.result = DeviceImportResult(warnings=self.columns.warnings())
        self.dates = DateCheck(earliest=EARLIEST_DATE, latest=policy.add_months(timezone.localdate(), 12))
        self.now = timezone.now()
        self.models: dict[str, _Model] = {}
        self.ends_by_months: dict[int, dict[str, str]] = {}
        self.warned: set[tuple[str, str]] = set()

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

    @property
    def refused(self) -> bool:
        return self.strict and bool(self.result.errors)

    # Checking rows ----------------------------------------------------------------------------------

    def good_rows(self, rows: Rows) -> Iterator[list[DeviceRow]]:
        """The rows that pass every check, normalised, in batches; the others become ``result.errors``.

        This loop runs once per row of files of millions: the checks are ordered and memoised for
        speed, and a row that fails a quick check is explained by a slower one.
        """
        index = self.columns.index
        count = self.columns.count
        i_serial, i_sku, i_lot = index["serial_number"], index["model_sku"], index["lot"]
        i_made, i_shipped, i_firmware = index["manufactured_on"], index["shipped_on"], index["firmware_version"]
        i_name, i_months, i_email = index.get("model_name"), index.get("warranty_months"), index.get("customer_email")
        errors = self.result.errors
        known_dates, check_date = self.dates.known, self.dates.check
        models = self.models
        known_months: dict[str, int] = {"": 0}
        valid_emails: set[str] = set()
        first_line: dict[str, int] = {}
        batch: list[DeviceRow] = []
        good = 0
        for values in rows:
            if len(values) != count:
                if any(values):
                    errors.append(RowError(rows.line_num, f"expected {count} values, found {len(values)}"))
                continue
            problems: list[str] = []
            serial = values[i_serial].strip().upper()
            sku = values[i_sku].strip()
            lot = values[i_lot].strip()
            firmware = values[i_firmware].strip()
            if not (
                0 < len(serial) <= SERIAL_MAX
                and 0 < len(sku) <= SKU_MAX
                and 0 < len(lot) <= LOT_MAX
                and 0 < len(firmware) <= FIRMWARE_MAX
                and (serial + sku + lot + firmware).isprintable()
            ):
                problems += text_problems(serial_number=serial, model_sku=sku, lot=lot, firmware_version=firmware)
            if serial:
                first = first_line.setdefault(serial, rows.line_num)
                if first != rows.line_num:
                    problems.append(f"serial number {serial} already appears on line {first}")

            raw = values[i_made]
            made = known_dates.get(raw, "")
            if not made:
                if not raw.strip():
                    problems.append("manufactured_on is empty")
                else:
                    try:
                        made = check_date(raw)
                    except ValueError as exc:
                        problems.append(f"manufactured_on {exc}")
            raw = values[i_shipped]
            shipped = known_dates.get(raw, "")
            if not shipped and raw.strip():  # empty: the unit is still in stock
                try:
                    shipped = check_date(raw)
                except ValueError as exc:
                    problems.append(f"shipped_on {exc}")
            if made and shipped and shipped < made:
                problems.append(f"shipped_on {shipped} is before manufactured_on {made}")

            months = 0
            if i_months is not None:
                raw = values[i_months]
                months = known_months.get(raw, -1)
                if months < 0:
                    months = 0
                    text = raw.strip()
                    if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_WARRANTY_MONTHS:
                        months = known_months[raw] = int(text)
                    elif text:
                        problems.append(
                            f"warranty_months “{text}” is not a whole number from 1 to {MAX_WARRANTY_MONTHS}"
                        )
            name = ""
            if i_name is not None:
                name = values[i_name].strip()
                if len(name) > NAME_MAX:
                    problems.append(f"model_name is longer than {NAME_MAX} characters")
            email = ""
            if i_email is not None and (raw := values[i_email]):
                email = normalise_email(raw)
                if email and email not in valid_emails:
                    problem = email_problem(email)
                    if problem:
                        problems.append(problem)
                    else:
                        valid_emails.add(email)

            if problems:
                if any(value.strip() for value in values):  # a row of empty cells is a blank line
                    errors.append(RowError(rows.line_num, "; ".join(problems)))
                continue

            model = models.get(sku)
            if model is None:
                model = self.plan_model(sku, name=name, months=months)
            elif (months and months != model.months) or (name and name != model.name):
                self.warn_model_differs(sku, line=rows.line_num, name=name, months=months)
            end = ""
            if shipped:
                end = model.ends.get(shipped) or self.warranty_end(model, shipped)
            batch.append((serial, sku, lot, made, shipped, firmware, email, end))
            if len(batch) == CHECKED_BATCH_ROWS:
                good += len(batch)
                yield batch
                batch = []
        good += len(batch)
        self.result.rows = good + len(errors)  # blank lines are not rows
        if batch:
            yield batch

    def warranty_end(self, model: _Model, shipped: str) -> str:
        end = policy.warranty_end(starts_on=self.dates.day(shipped), months=model.months)
        model.ends[shipped] = end.isoformat() if end else ""
        return model.ends[shipped]

    def plan_model(self, sku: str, *, name: str, months: int) -> _Model:
        """A SKU not seen before: its product model will be created with the first good row's values."""
        months = months or DEFAULT_WARRANTY_MONTHS
        model = _Model(name=name or sku, months=months, ends=self.ends_by_months.setdefault(months, {}), new=True)
        self.models[sku] = model
        return model

    def warn_model_differs(self, sku: str, *, line: int, name: str, months: int) -> None:
        """Warn, once per SKU, when a row describes its model differently: the model keeps its values."""
        model = self.models[sku]
        if months and months != model.months and (sku, "months") not in self.warned:
            self.warned.add((sku, "months"))
            self.result.warnings.append(
                f"Line {line}: warranty_months {months} for {sku} differs from the model's {model.months} "
                "months; the model keeps its warranty (change it on the product model)."
            )
        if name and name != model.name and (sku, "name") not in self.warned:
            self.warned.add((sku, "name"))
            self.result.warnings.append(
                f"Line {line}: model_name “{name}” for {sku} differs from the model's name “{model.name}”; "
                "the model keeps its name."
            )

    # Writing ----------------------------------------------------------------------------------------

    def models_create(self, new: dict[str, _Model]) -> dict[str, ProductModel]:
        """Create the product models planned for new SKUs; returns every model by SKU."""
        if new:
            ProductModel.objects.bulk_create(
                [
                    ProductModel(sku=sku, name=model.name, warranty_months=model.months, created_at=self.now)
                    for sku, model in new.items()
                ],
                ignore_conflicts=True,
            )
            self.result.new_models = sorted([*self.result.new_models, *new])
        return {stored.sku: stored for stored in ProductModel.objects.all()}

    @staticmethod
    def stale_skus(new: dict[str, _Model], stored: dict[str, ProductModel]) -> list[str]:
        """New SKUs that another import created meanwhile, with another warranty length."""
        return sorted(sku for sku, model in new.items() if stored[sku].warranty_months != model.months)

    def write_portable(self, batches: Iterator[list[DeviceRow]]) -> None:
        good = [row for batch in batches for row in batch]
        if self.refused:
            return
        new_models = {sku: model for sku, model in self.models.items() if model.new}
        models = self.models_create(new_models)
        stale = set(self.stale_skus(new_models, models))
        owners = self.customers_ensure({row[6] for row in good if row[6]})
        day = self.dates.day
        for chunk in batched(good, QUERY_BATCH_ROWS):
            stored = Device.objects.in_bulk([row[0] for row in chunk], field_name="serial_number")
            new, changed = [], []
            for serial, sku, lot, made, shipped, firmware, email, end in chunk:
                model = models[sku]
                device = stored.get(serial)
                if device is None:
                    device = Device(
                        serial_number=serial,
                        product_model=model,
                        lot=lot,
                        manufactured_on=day(made),
                        shipped_on=day(shipped),
                        firmware_version=firmware,
                        owner_id=owners.get(email),
                        warranty_ends_on=date.fromisoformat(end) if end else None,
                        created_at=self.now,
                        updated_at=self.now,
                    )
                    if sku in stale:
                        device.warranty_ends_on = device_warranty_end(device, model)
                    new.append(device)
                    continue
                before = [getattr(device, name) for name in STORED_ATTRS]
                device.product_model = model
                device.lot = lot
                device.manufactured_on = day(made)
                device.shipped_on = day(shipped) or device.shipped_on
                device.firmware_version = firmware
                device.owner_id = owners.get(email) or device.owner_id
                device.warranty_ends_on = device_warranty_end(device, model)
                if [getattr(device, name) for name in STORED_ATTRS] != before:
                    device.updated_at = self.now
                    changed.append(device)
            Device.objects.bulk_create(new)
            Device.objects.bulk_update(changed, UPDATED_FIELDS)
            self.result.created += len(new)
            self.result.updated += len(changed)
        self.result.unchanged = len(good) - self.result.created - self.result.updated

    def customers_ensure(self, emails: set[str]) -> dict[str, int]:
        """Customer ids by e-mail, creating the customers not yet known."""
        ids: dict[str, int] = {}
        ordered = sorted(emails)
        for chunk in batched(ordered, QUERY_BATCH_ROWS):
            ids.update(Customer.objects.filter(email__in=chunk).values_list("email", "id"))
        missing = [email for email in ordered if email not in ids]
        Customer.objects.bulk_create(
            [Customer(email=email, created_at=self.now) for email in missing],
            batch_size=QUERY_BATCH_ROWS,
            ignore_conflicts=True,
        )
        for chunk in batched(missing, QUERY_BATCH_ROWS):
            ids.update(Customer.objects.filter(email__in=chunk).values_list("email", "id"))
        self.result.new_customers = len(missing)
        return ids

    def write_postgresql(self, batches: Iterator[list[DeviceRow]]) -> None:
        """COPY the good rows into a temporary table while the file is read, then merge them in one go."""
        tables = {
            "device": Device._meta.db_table,
            "model": ProductModel._meta.db_table,
            "customer": Customer._meta.db_table,
        }
        started = time.perf_counter()
        with connection.cursor() as cursor:
            # For this transaction only: a hash join of a million staged rows fits in memory, and one
            # statement run once gains nothing from being compiled.
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("DROP TABLE IF EXISTS pg_temp.device_import")
            cursor.execute(STAGING_TABLE)
            good = 0
            with cursor.copy(STAGING_COPY) as copy:
                for batch in batches:
                    copy.write(copy_text(batch))
                    good += len(batch)
            logger.debug("%d rows checked, %d staged: %.2f s", self.result.rows, good, lap(started))
            if self.refused:
                return

            started = time.perf_counter()
            cursor.execute("ANALYZE device_import")
            new_models = {sku: model for sku, model in self.models.items() if model.new}
            models = self.models_create(new_models)
            self.fix_warranty_ends(cursor, models, stale=self.stale_skus(new_models, models))
            cursor.execute(CUSTOMERS_INSERT.format(**tables), {"now": self.now})
            self.result.new_customers = cursor.rowcount
            cursor.execute(STAGING_DROP_UNCHANGED.format(**tables))
            logger.debug("%d unchanged left out; models, customers: %.2f s", cursor.rowcount, lap(started))

            started = time.perf_counter()
            staged = good - cursor.rowcount
            unburdened: list[str] = []
            if bulk_load_worthwhile(cursor, tables["device"], staged=staged):
                unburdened = table_unburden(cursor, tables["device"])
            if unburdened and not staged_serials_stored(cursor, tables["device"]):
                # nothing to update: a plain insert spares a conflict check per row
                cursor.execute(DEVICES_INSERT.format(**tables), {"now": self.now})
                self.result.created, self.result.updated = cursor.rowcount, 0
            else:
                cursor.execute(DEVICES_UPSERT.format(**tables), {"now": self.now})
                self.result.created, self.result.updated = cursor.fetchone()
            if unburdened:
                logger.debug("merged without secondary indexes and foreign keys: %.2f s", lap(started))
                table_restore(cursor, tables["device"], unburdened)
            self.result.unchanged = good - self.result.created - self.result.updated
            cursor.execute("DROP TABLE device_import")
            logger.debug("%d created, %d updated: %.2f s", self.result.created, self.result.updated, lap(started))

    def fix_warranty_ends(self, cursor, models: dict[str, ProductModel], *, stale: list[str]) -> None:
        """Recompute the warranty end of the staged rows whose stored device changes the answer.

        A staged end assumes a warranty that starts on the row's ship date with no extension. Devices
        with a purchase date or an extension, or whose ship date the row leaves empty, get theirs from
        ``device_warranty_end`` on the device as it will be after the import.
        """
        query = STAGED_DEVICES_WITH_OWN_WARRANTY
        if stale:
            query += STAGED_DEVICES_OF_STALE_MODELS
        cursor.execute(query.format(device=Device._meta.db_table), {"stale_skus": stale})
        serials, ends = [], []
        for serial, sku, shipped, stored_shipped, purchased, extension in cursor.fetchall():
            device = Device(
                shipped_on=shipped or stored_shipped, purchased_on=purchased, warranty_extension_months=extension or 0
            )
            serials.append(serial)
            ends.append(device_warranty_end(device, models[sku]))
        if serials:
            cursor.execute(STAGING_SET_WARRANTY_END, {"serials": serials, "ends": ends})


def bulk_load_worthwhile(cursor, table: str, *, staged: int) -> bool:
    """Whether this merge is a bulk load: many rows, and at least as many as the table holds.

    Then building the secondary indexes once, sorted, and checking the foreign keys with one join,
    costs less than maintaining them row by row (PostgreSQL's "Populating a Database"). The price is
    an exclusive lock on the table until the import commits, acceptable for an initial load.
    """
    threshold = settings.RMA_IMPORT_BULK_LOAD_ROWS
    if not threshold or staged < threshold:
        return False
    cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT %s) AS existing", [staged])
    return cursor.fetchone()[0] < staged


def staged_serials_stored(cursor, table: str) -> bool:
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM device_import s JOIN {table} d ON d.serial_number = s.serial_number)")
    return cursor.fetchone()[0]


def table_unburden(cursor, table: str) -> list[str]:
    """Drop the table's non-unique indexes and foreign keys; return the statements that restore them."""
    cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
    # Checks this transaction deferred (a caller's earlier writes) are made now: a table with pending
    # trigger events cannot be altered. ``table_restore`` defers them again, as Django declares them.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
        " WHERE indrelid = %s::regclass AND NOT indisunique AND NOT indisprimary AND indisvalid",
        [table],
    )
    indexes = cursor.fetchall()
    cursor.execute(
        "SELECT quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %s::regclass AND contype = 'f'",
        [table],
    )
    foreign_keys = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")
    for name, _ in foreign_keys:
        cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    return [definition for _, definition in indexes] + [
        f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}" for name, definition in foreign_keys
    ]


def table_restore(cursor, table: str, statements: list[str]) -> None:
    """Rebuild what ``table_unburden`` dropped; adding a foreign key checks every row in one join."""
    started = time.perf_counter()
    cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for statement in statements:
        cursor.execute(statement)
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    logger.debug("%d indexes and foreign keys rebuilt: %.2f s", len(statements), lap(started))


def lap(started: float) -> float:
    return time.perf_counter() - started


def copy_text(batch: list[DeviceRow]) -> str:
    """Rows in COPY's text format, with an empty value read as NULL (no text column of a good row is empty).

    Tabs and line breaks never get this far (they fail the printable check); a backslash is doubled.
    """
    text = "\n".join(map("\t".join, batch)) + "\n"
    return text.replace("\\", "\\\\") if "\\" in text else text


def text_problems(**values: str) -> list[str]:
    """Why the text values of a row are refused: the slow path, for rows that fail the quick check."""
    problems = []
    for name, value in values.items():
        if not value:
            problems.append(f"{name} is empty")
        elif len(value) > TEXT_LIMITS[name]:
            problems.append(f"{name} is longer than {TEXT_LIMITS[name]} characters")
        elif not value.isprintable():
            problems.append(f"{name} contains control characters")
    return problems


def email_problem(email: str) -> str:
    if len(email) > EMAIL_MAX:
        return f"customer_email is longer than {EMAIL_MAX} characters"
    try:
        validate_email(email)
    except ValidationError:
        return f"customer_email “{email}” is not a valid e-mail address"
    return ""


STAGING_TABLE = """
CREATE TEMPORARY TABLE device_import (
    serial_number text NOT NULL,
    model_sku text NOT NULL,
    lot text NOT NULL,
    manufactured_on date NOT NULL,
    shipped_on date,
    firmware_version text NOT NULL,
    customer_email text,
    warranty_ends_on date
) ON COMMIT DROP
"""

STAGING_COPY = (
    "COPY device_import (serial_number, model_sku, lot, manufactured_on, shipped_on, firmware_version, "
    "customer_email, warranty_ends_on) FROM STDIN (NULL '')"
)

# Staged rows whose warranty end ``device_warranty_end`` recomputes (see ``fix_warranty_ends``).
# They are rare, so each branch starts from the few rows it needs.
STAGED_DEVICES_WITH_OWN_WARRANTY = """
SELECT s.serial_number, s.model_sku, s.shipped_on, d.shipped_on, d.purchased_on, d.warranty_extension_months
FROM device_import s JOIN {device} d ON d.serial_number = s.serial_number
WHERE d.purchased_on IS NOT NULL OR d.warranty_extension_months <> 0
UNION
SELECT s.serial_number, s.model_sku, s.shipped_on, d.shipped_on, d.purchased_on, d.warranty_extension_months
FROM device_import s JOIN {device} d ON d.serial_number = s.serial_number
WHERE s.shipped_on IS NULL AND d.shipped_on IS NOT NULL
"""
STAGED_DEVICES_OF_STALE_MODELS = """
UNION
SELECT s.serial_number, s.model_sku, s.shipped_on, d.shipped_on, d.purchased_on, d.warranty_extension_months
FROM device_import s LEFT JOIN {device} d ON d.serial_number = s.serial_number
WHERE s.model_sku = ANY(%(stale_skus)s)
"""

STAGING_SET_WARRANTY_END = """
UPDATE device_import s SET warranty_ends_on = v.warranty_ends_on
FROM unnest(%(serials)s::text[], %(ends)s::date[]) AS v(serial_number, warranty_ends_on)
WHERE s.serial_number = v.serial_number
"""

CUSTOMERS_INSERT = """
INSERT INTO {customer} (name, email, phone, organisation, created_at)
SELECT '', email, '', '', %(now)s
FROM (SELECT DISTINCT customer_email AS email FROM device_import WHERE customer_email IS NOT NULL) AS emails
ORDER BY email
ON CONFLICT (email) DO NOTHING
"""

# Staged rows identical to their stored device are dropped first: the upsert then neither writes
# nor locks them. (A join, and not a NOT EXISTS inside the INSERT: planned against a devices table
# that is empty at the start, that would scan the table it is filling once per row.)
STAGING_DROP_UNCHANGED = """
DELETE FROM device_import s
USING {device} d, {model} m
WHERE d.serial_number = s.serial_number
  AND m.sku = s.model_sku
  AND d.product_model_id = m.id
  AND d.lot = s.lot
  AND d.manufactured_on = s.manufactured_on
  AND d.shipped_on IS NOT DISTINCT FROM coalesce(s.shipped_on, d.shipped_on)
  AND d.firmware_version = s.firmware_version
  AND d.warranty_ends_on IS NOT DISTINCT FROM s.warranty_ends_on
  AND (s.customer_email IS NULL OR d.owner_id = (SELECT c.id FROM {customer} c WHERE c.email = s.customer_email))
"""

# The staged rows as device rows (the owner looked up by its unique e-mail: an index probe whatever
# the customer table's statistics say).
DEVICES_COLUMNS = """(
    serial_number, product_model_id, lot, manufactured_on, shipped_on, firmware_version, owner_id,
    purchased_on, warranty_extension_months, warranty_ends_on, created_at, updated_at
)"""
DEVICES_SELECT = """
SELECT s.serial_number, m.id, s.lot, s.manufactured_on, s.shipped_on, s.firmware_version,
       CASE WHEN s.customer_email IS NOT NULL
            THEN (SELECT c.id FROM {customer} c WHERE c.email = s.customer_email) END,
       NULL, 0, s.warranty_ends_on, %(now)s, %(now)s
FROM device_import s
JOIN {model} m ON m.sku = s.model_sku
"""

DEVICES_INSERT = "INSERT INTO {device} " + DEVICES_COLUMNS + DEVICES_SELECT

# The WHERE of the DO UPDATE leaves alone a device that became identical meanwhile.
DEVICES_UPSERT = (
    """
WITH upserted AS (
    INSERT INTO {device} AS d """
    + DEVICES_COLUMNS
    + DEVICES_SELECT
    + """    ON CONFLICT (serial_number) DO UPDATE SET
        product_model_id = excluded.product_model_id,
        lot = excluded.lot,
        manufactured_on = excluded.manufactured_on,
        shipped_on = coalesce(excluded.shipped_on, d.shipped_on),
        firmware_version = excluded.firmware_version,
        owner_id = coalesce(excluded.owner_id, d.owner_id),
        warranty_ends_on = excluded.warranty_ends_on,
        updated_at = excluded.updated_at
    WHERE (d.product_model_id, d.lot, d.manufactured_on, d.shipped_on, d.firmware_version, d.owner_id,
           d.warranty_ends_on)
          IS DISTINCT FROM
          (excluded.product_model_id, excluded.lot, excluded.manufactured_on,
           coalesce(excluded.shipped_on, d.shipped_on), excluded.firmware_version,
           coalesce(excluded.owner_id, d.owner_id), excluded.warranty_ends_on)
    RETURNING xmax = 0 AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted
"""
)
