"""Checking the rows of a devices import: each row's values, normalised, or its line number and reason.

Every row is checked in Python with cheap checks (a value a file repeats, such as a date or a model,
is checked once); a row that fails a quick check is explained by a slower one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from core.dates import EARLIEST_DATE, LATEST_DATE
from core.importing import (
    Columns,
    DateCheck,
    RowError,
    Rows,
    columns_match,
    max_length,
    text_problem,
)
from rma import policy
from rma.models import Customer, Device, ProductModel
from rma.normalise import SERIAL_PATTERN, normalise_email, serial_problem, serial_text

REQUIRED_COLUMNS = ("serial_number", "model_sku", "lot", "manufactured_on", "shipped_on", "firmware_version")
OPTIONAL_COLUMNS = ("model_name", "warranty_months", "customer_email")

DEFAULT_WARRANTY_MONTHS = ProductModel._meta.get_field("warranty_months").get_default()
MAX_WARRANTY_MONTHS = 120
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


@dataclass(slots=True)
class _Model:
    """What the rows of one SKU need: its warranty length and name, and the warranty ends worked out."""

    name: str
    months: int
    ends: dict[str, str]  # shipped_on -> warranty_ends_on, shared by the models with the same months
    new: bool = False


class RowChecks:
    """The state of one import and its checks; the writers (``portable``, ``postgresql``) build on it."""

    def __init__(self, header: list[str], *, strict: bool) -> None:
        self.columns: Columns = columns_match(header, required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS)
        self.strict = strict
        self.result = DeviceImportResult(warnings=self.columns.warnings())
        self.dates = DateCheck(
            earliest=EARLIEST_DATE, latest=min(policy.add_months(timezone.localdate(), 12), LATEST_DATE)
        )
        self.now = timezone.now()
        self.models: dict[str, _Model] = {}
        self.ends_by_months: dict[int, dict[str, str]] = {}
        self.warned: set[tuple[str, str]] = set()

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
            serial = values[i_serial].strip()
            if not SERIAL_PATTERN.match(serial):  # the slow path: NFKC, then the character set
                serial = serial_text(serial)
                if serial and not SERIAL_PATTERN.match(serial):
                    problems.append(serial_problem(serial))
            serial = serial.upper()
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
                elif not name.isprintable() and (problem := text_problem("model_name", name)):
                    problems.append(problem)
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


def text_problems(**values: str) -> list[str]:
    """Why the text values of a row are refused: the slow path, for rows that fail the quick check."""
    problems = []
    for name, value in values.items():
        if not value:
            problems.append(f"{name} is empty")
        elif len(value) > TEXT_LIMITS[name]:
            problems.append(f"{name} is longer than {TEXT_LIMITS[name]} characters")
        elif name != "serial_number" and not value.isprintable():  # a serial's characters: serial_problem
            problems.append(text_problem(name, value, identifier=True))
    return problems


def email_problem(email: str) -> str:
    if not email.isprintable():
        return text_problem("customer_email", email, identifier=True)
    if len(email) > EMAIL_MAX:
        return f"customer_email is longer than {EMAIL_MAX} characters"
    try:
        validate_email(email)
    except ValidationError:
        return f"customer_email “{email}” is not a valid e-mail address"
    return ""
