"""Writing the good rows of a devices import on databases other than PostgreSQL: ``bulk_create`` and
``bulk_update`` in batches; a row that matches what is stored is not written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from core.importing import (
    batched,
)
from rma.models import Customer, Device
from rma.services.devices import device_warranty_end
from rma.services.imports.rows import QUERY_BATCH_ROWS, STORED_ATTRS, UPDATED_FIELDS, DeviceRow, RowChecks


class PortableWrite(RowChecks):
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
