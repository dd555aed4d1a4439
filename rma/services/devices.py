"""Devices and customers: creating them and keeping their derived warranty end right."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.exceptions import InvalidInput, NotFound
from rma import policy
from rma.languages import language_supported
from rma.models import Customer, Device, ProductModel
from rma.normalise import normalise_email, normalise_serial


def device_warranty_end(device: Device, model: ProductModel | None = None) -> date | None:
    model = model or device.product_model
    return policy.warranty_end(
        starts_on=device.purchased_on or device.shipped_on,
        months=model.warranty_months,
        extension_months=device.warranty_extension_months,
    )


@transaction.atomic
def device_create(
    *,
    serial_number: str,
    product_model: ProductModel,
    lot: str = "",
    manufactured_on: date | None = None,
    shipped_on: date | None = None,
    firmware_version: str = "",
    owner: Customer | None = None,
    purchased_on: date | None = None,
) -> Device:
    serial = normalise_serial(serial_number)
    if not serial:
        raise InvalidInput("A serial number is required.", code="serial_required", field="serial_number")
    if Device.objects.filter(serial_number=serial).exists():
        raise InvalidInput(
            f"A device with serial {serial} already exists.", code="serial_exists", field="serial_number"
        )
    device = Device(
        serial_number=serial,
        product_model=product_model,
        lot=lot.strip(),
        manufactured_on=manufactured_on,
        shipped_on=shipped_on,
        firmware_version=firmware_version.strip(),
        owner=owner,
        purchased_on=purchased_on,
    )
    device.warranty_ends_on = device_warranty_end(device, product_model)
    try:
        with transaction.atomic():
            device.save(force_insert=True)
    except IntegrityError:
        # Another transaction created the same serial since the check above.
        if Device.objects.filter(serial_number=serial).exists():
            raise InvalidInput(
                f"A device with serial {serial} already exists.", code="serial_exists", field="serial_number"
            ) from None
        raise
    return device


def device_get(serial_number: str) -> Device:
    serial = normalise_serial(serial_number)
    try:
        return Device.objects.select_related("product_model").get(serial_number=serial)
    except Device.DoesNotExist:
        raise NotFound(f"No device has serial {serial}.", code="unknown_serial") from None


def device_lock_in_service(serial_number: str) -> Device:
    """The unit with this serial, locked until the end of the transaction, if it was ever sold.

    An unknown serial and a unit still in stock are refused after the same single query (their codes
    differ for staff; the public form answers both the same way).
    """
    serial = normalise_serial(serial_number)
    try:
        device = (
            Device.objects.select_for_update(of=("self",))
            .select_related("product_model", "owner")
            .get(serial_number=serial)
        )
    except Device.DoesNotExist:
        raise NotFound(f"No device has serial {serial}.", code="unknown_serial") from None
    if device.shipped_on is None and device.purchased_on is None:
        raise InvalidInput(
            f"{device.serial_number} has not been sold yet, so it cannot be returned.",
            code="device_not_in_service",
            field="serial_number",
        )
    return device


WARRANTY_FIELDS = {"shipped_on", "purchased_on", "product_model", "warranty_extension_months"}


def device_update(*, device: Device, fields: list[str] | set[str]) -> Device:
    """Save staff edits of ``fields`` on ``device``, keeping the serial normalised and the warranty end right."""
    changed = set(fields)
    if "serial_number" in changed:
        device.serial_number = normalise_serial(device.serial_number)
    if changed & WARRANTY_FIELDS:
        device.warranty_ends_on = device_warranty_end(device)
        changed.add("warranty_ends_on")
    device.updated_at = timezone.now()
    device.save(update_fields=sorted(changed | {"updated_at"}))
    return device


def device_put_in_service(*, device: Device, owner: Customer | None, shipped_on: date) -> Device:
    """A unit leaves stock for a customer: its own warranty starts on its ship date."""
    device.shipped_on = shipped_on
    device.purchased_on = None
    if owner is not None:
        device.owner = owner
    device.warranty_ends_on = device_warranty_end(device)
    device.updated_at = timezone.now()
    device.save(update_fields=["shipped_on", "purchased_on", "owner", "warranty_ends_on", "updated_at"])
    return device


def device_extend_warranty(*, device: Device, months: int) -> Device:
    device.warranty_extension_months += months
    device.warranty_ends_on = device_warranty_end(device)
    device.updated_at = timezone.now()
    device.save(update_fields=["warranty_extension_months", "warranty_ends_on", "updated_at"])
    return device


@transaction.atomic
def product_model_set_warranty(*, product_model: ProductModel, warranty_months: int) -> int:
    """Change a model's warranty length and recompute the warranty end of its devices."""
    product_model.warranty_months = warranty_months
    product_model.save(update_fields=["warranty_months"])
    now = timezone.now()
    updated = []
    for device in Device.objects.filter(product_model=product_model).iterator(chunk_size=5000):
        warranty_ends_on = device_warranty_end(device, product_model)
        if warranty_ends_on == device.warranty_ends_on:
            continue
        device.warranty_ends_on = warranty_ends_on
        device.updated_at = now
        updated.append(device)
        if len(updated) == 5000:
            Device.objects.bulk_update(updated, ["warranty_ends_on", "updated_at"])
            updated = []
    Device.objects.bulk_update(updated, ["warranty_ends_on", "updated_at"])
    return Device.objects.filter(product_model=product_model).count()


def customer_get_or_create(*, email: str, name: str = "", phone: str = "", language: str = "") -> Customer:
    """The customer with this e-mail (normalised), created on first contact; blanks are filled in.

    ``language``, the one they are using (``rma.languages``), becomes their saved choice.
    """
    address = normalise_email(email)
    if not address:
        raise InvalidInput("An e-mail address is required.", code="email_required", field="email")
    language = language_supported(language)
    customer, created = Customer.objects.get_or_create(
        email=address, defaults={"name": name.strip(), "phone": phone.strip(), "language": language}
    )
    if not created:
        updates = []
        if language and customer.language != language:
            customer.language = language
            updates.append("language")
        if name.strip() and not customer.name:
            customer.name = name.strip()
            updates.append("name")
        if phone.strip() and not customer.phone:
            customer.phone = phone.strip()
            updates.append("phone")
        if updates:
            customer.save(update_fields=updates)
    return customer


def customer_language_set(*, customer: Customer, language: str) -> Customer:
    """Save the language ``customer`` chose for their pages and e-mails; an unknown one is refused."""
    chosen = language_supported(language)
    if not chosen:
        raise InvalidInput(f"“{language}” is not one of our languages.", code="invalid_language", field="language")
    if customer.language != chosen and not customer.is_erased:
        customer.language = chosen
        customer.save(update_fields=["language"])
    return customer


@transaction.atomic
def replacement_device_take(*, failed: Device, serial_number: str) -> Device:
    """The unit that replaces ``failed``: a unit from stock, or a new one of the failed unit's model."""
    try:
        serial = normalise_serial(serial_number)
    except InvalidInput as error:
        raise InvalidInput(error.message, code=error.code, field="replacement_serial") from None
    if not serial:
        raise InvalidInput(
            "A replacement serial number is required.", code="replacement_serial_required", field="replacement_serial"
        )
    if serial == failed.serial_number:
        raise InvalidInput(
            "The replacement must be a different unit from the failed one.",
            code="replacement_is_failed_unit",
            field="replacement_serial",
        )
    device = Device.objects.select_for_update().filter(serial_number=serial).first()
    if device is None:
        try:
            return device_create(
                serial_number=serial,
                product_model=failed.product_model,
                firmware_version=failed.firmware_version,
            )
        except InvalidInput as error:
            if error.code != "serial_exists":
                raise
            raise InvalidInput(
                f"{serial} has just been registered by another return or import: look it up and try again.",
                code="replacement_not_in_stock",
                field="replacement_serial",
            ) from None
    if device.shipped_on is not None or device.owner_id is not None or device.replacement_for.exists():
        raise InvalidInput(
            f"{serial} is not in stock: it has already been shipped or promised to a customer.",
            code="replacement_not_in_stock",
            field="replacement_serial",
        )
    if device.product_model_id != failed.product_model_id:
        raise InvalidInput(
            f"{serial} is a {device.product_model.name}; the replacement must be the same model as the failed unit"
            f" ({failed.product_model.name}).",
            code="replacement_wrong_model",
            field="replacement_serial",
        )
    return device
