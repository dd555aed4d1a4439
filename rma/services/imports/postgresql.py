"""Writing the good rows of a devices import on PostgreSQL.

They are streamed by COPY into a temporary table while the file is still being read, and merged into
the devices with one ``INSERT ... ON CONFLICT (serial_number) DO UPDATE ... WHERE`` the stored row
differs (a bulk load, at least as many rows as the table holds, sets the table's secondary indexes
and foreign keys aside and rebuilds them once, inserting plainly when no staged serial is stored yet).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from django.conf import settings
from django.db import connection

from rma.models import Customer, Device, ProductModel
from rma.services.devices import device_warranty_end
from rma.services.imports.rows import DeviceRow, RowChecks

logger = logging.getLogger("rma.services.imports")


class PostgresWrite(RowChecks):
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
