"""Bulk import of historical field failures (SPEC §8 ``import_failures``).

Each row becomes a closed RMA (channel ``import``) with its diagnosis and its timeline. They are
written in bulk (COPY on PostgreSQL) but shaped as the services shape them: coverage from
``rma.policy.warranty_decide`` on the day the failure was reported, a number from ``rma_number_new``,
the device's owner as the customer, a diagnosis whose pattern match follows ``diagnosis_record``, and
timeline events from the ``import`` source. No customer is notified: the failures are history.

``external_id`` makes the import idempotent: a row whose external id is already stored is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, TextIO

from django.db import transaction
from django.utils import timezone

from core.dates import EARLIEST_DATE
from core.importing import (
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
    rows_insert,
    text_problem,
)
from diagnostics.models import Component, Diagnosis, FailurePattern
from rma import policy
from rma.models import RMA, Device, RMAEvent, Source
from rma.normalise import SERIAL_PATTERN, serial_problem, serial_text
from rma.services.returns import rma_number_new

REQUIRED_COLUMNS = ("external_id", "serial_number", "reported_on", "component", "pattern_code", "outcome")
OPTIONAL_COLUMNS = ("notes",)

WRITE_BATCH_ROWS = 20_000  # failures built and written at a time
LOOKUP_BATCH_ROWS = 500  # values per IN (...) query (SQLite allows 999 parameters)
FAULT_DESCRIPTION = "Field failure imported from history; no description was recorded."

EXTERNAL_ID_MAX = max_length(RMA, "external_id")
SERIAL_MAX = max_length(Device, "serial_number")
COMPONENT_MAX = max_length(Component, "code")
PATTERN_MAX = max_length(FailurePattern, "code")
COMPONENT_CODE = re.compile(r"[-a-z0-9_]+\Z")
OUTCOMES = tuple(Diagnosis.Outcome.values)
NOT_PATTERN_OUTCOMES = (Diagnosis.Outcome.NO_FAULT_FOUND.value, Diagnosis.Outcome.CUSTOMER_DAMAGE.value)


@dataclass
class FailureImportResult:
    rows: int = 0  # data rows read
    created: int = 0  # closed RMAs created, each with its diagnosis
    already_imported: int = 0  # rows whose external_id was imported before
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    new_components: list[str] = field(default_factory=list)
    new_patterns: list[str] = field(default_factory=list)
    written: bool = False  # False when nothing was written: ``strict`` and at least one bad row


def failures_import_csv(*, file: TextIO, strict: bool = False) -> FailureImportResult:
    """Import the failures of a CSV file whose first line names the columns; see ``failures_import``."""
    header, rows = csv_rows(file)
    return _FailureImport(header, strict=strict).run(rows)


def failures_import(*, rows: Iterable[Mapping[str, object]], strict: bool = False) -> FailureImportResult:
    """Import historical field failures from rows keyed by column name (the CSV columns).

    Each new ``external_id`` becomes a closed RMA with its diagnosis. Unknown component codes and
    failure-pattern codes are created (a new pattern belongs to the row's component, status ``new``);
    an empty ``pattern_code`` means no pattern. A bad row (unknown serial number, invalid outcome, a
    pattern of another component, ...) is reported with its line number and skipped; with ``strict``
    one bad row means nothing is written. Raises ``ImportFileInvalid`` when a required column is
    missing.
    """
    header, data = mapping_rows(rows)
    if not header:
        return FailureImportResult(written=True)
    return _FailureImport(header, strict=strict).run(data)


@dataclass(slots=True)
class _Failure:
    line: int
    external_id: str
    serial: str
    reported_on: date
    component: str  # code
    pattern: str  # code, "" for none
    outcome: str
    notes: str


@dataclass(frozen=True)
class _Device:
    id: int
    owner_id: int | None
    manufactured_on: date | None
    shipped_on: date | None
    warranty_ends_on: date | None


class _FailureImport:
    def __init__(self, header: list[str], *, strict: bool) -> None:
        self.columns = columns_match(header, required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS)
        self.strict = strict
        self.result = FailureImportResult(warnings=self.columns.warnings())
        self.dates = DateCheck(earliest=EARLIEST_DATE, latest=timezone.localdate())
        self.now = timezone.now()
        self.planned_patterns: dict[str, str] = {}  # new pattern code -> its component's code

    def run(self, rows: Rows) -> FailureImportResult:
        with reading(rows):
            failures = self.read(rows)
        with transaction.atomic():
            import_lock("diagnostics.failures_import")
            devices, new = self.check(failures)
            if self.strict and self.result.errors:
                transaction.set_rollback(True)
                return self.result
            self.write(new, devices)
            if self.strict and self.result.errors:  # a pattern created meanwhile for another component
                transaction.set_rollback(True)
                self.result.created = 0
                return self.result
        self.result.written = True
        return self.result

    # Reading: what each row says, checked on its own ----------------------------------------------

    def read(self, rows: Rows) -> list[_Failure]:
        index = self.columns.index
        count = self.columns.count
        i_id, i_serial, i_reported = index["external_id"], index["serial_number"], index["reported_on"]
        i_component, i_pattern, i_outcome = index["component"], index["pattern_code"], index["outcome"]
        i_notes = index.get("notes")
        errors = self.result.errors
        first_line: dict[str, int] = {}
        failures: list[_Failure] = []
        for values in rows:
            line = rows.line_num
            if len(values) != count:
                if any(values):
                    errors.append(RowError(line, f"expected {count} values, found {len(values)}"))
                continue
            if not any(value.strip() for value in values):
                continue
            problems: list[str] = []
            external_id = values[i_id].strip()
            if not external_id:
                problems.append("external_id is empty")
            elif len(external_id) > EXTERNAL_ID_MAX:
                problems.append(f"external_id is longer than {EXTERNAL_ID_MAX} characters")
            elif not external_id.isprintable():
                problems.append(text_problem("external_id", external_id, identifier=True))
            else:
                first = first_line.setdefault(external_id, line)
                if first != line:
                    problems.append(f"external_id {external_id} already appears on line {first}")
            serial = serial_text(values[i_serial])
            if not serial:
                problems.append("serial_number is empty")
            elif len(serial) > SERIAL_MAX:
                problems.append(f"serial_number is longer than {SERIAL_MAX} characters")
            elif not SERIAL_PATTERN.match(serial):
                problems.append(serial_problem(serial))
            serial = serial.upper()
            raw = values[i_reported]
            reported = self.dates.known.get(raw, "")
            if not reported:
                if not raw.strip():
                    problems.append("reported_on is empty")
                else:
                    try:
                        reported = self.dates.check(raw)
                    except ValueError as exc:
                        problems.append(f"reported_on {exc}")
            component = values[i_component].strip().lower()
            if not component:
                problems.append("component is empty")
            elif not component.isprintable():
                problems.append(text_problem("component", component, identifier=True))
            elif len(component) > COMPONENT_MAX or not COMPONENT_CODE.match(component):
                problems.append(
                    f"component “{component}” is not a code (letters, digits, - and _, "
                    f"at most {COMPONENT_MAX} characters)"
                )
            pattern = values[i_pattern].strip().upper()
            if len(pattern) > PATTERN_MAX:
                problems.append(f"pattern_code is longer than {PATTERN_MAX} characters")
            elif not pattern.isprintable():
                problems.append(text_problem("pattern_code", pattern, identifier=True))
            outcome = values[i_outcome].strip().lower()
            if outcome not in OUTCOMES:
                problems.append(f"outcome “{outcome}” is not one of {', '.join(OUTCOMES)}")
            elif pattern and outcome in NOT_PATTERN_OUTCOMES:
                problems.append(f"a failure pattern is linked only to a real failure, not to {outcome}")
            notes = values[i_notes].strip() if i_notes is not None else ""
            if notes and not notes.isprintable() and (problem := text_problem("notes", notes, multiline=True)):
                problems.append(problem)
            if problems:
                errors.append(RowError(line, "; ".join(problems)))
                continue
            failures.append(
                _Failure(line, external_id, serial, date.fromisoformat(reported), component, pattern, outcome, notes)
            )
        self.result.rows = len(failures) + len(errors)
        return failures

    # Checking against what is stored ----------------------------------------------------------------

    def check(self, failures: list[_Failure]) -> tuple[dict[str, _Device], list[_Failure]]:
        """The failures to create: known serials, new external ids, patterns of the right component."""
        devices = self.devices_by_serial({failure.serial for failure in failures})
        imported = self.imported_external_ids([failure.external_id for failure in failures])
        component_codes = set(Component.objects.values_list("code", flat=True))
        pattern_components = dict(FailurePattern.objects.values_list("code", "component__code"))
        new_components: list[str] = []
        new_patterns = self.planned_patterns
        new: list[_Failure] = []
        for failure in failures:
            if failure.external_id in imported:
                self.result.already_imported += 1
                continue
            problems = []
            device = devices.get(failure.serial)
            if device is None:
                problems.append(f"no device has serial number {failure.serial}")
            elif device.manufactured_on and failure.reported_on < device.manufactured_on:
                problems.append(
                    f"reported_on {failure.reported_on} is before the unit was manufactured ({device.manufactured_on})"
                )
            elif device.shipped_on and failure.reported_on < device.shipped_on:
                problems.append(f"reported_on {failure.reported_on} is before the unit shipped ({device.shipped_on})")
            if failure.pattern:
                owner = pattern_components.get(failure.pattern) or new_patterns.get(failure.pattern)
                if owner is not None and owner != failure.component:
                    problems.append(f"pattern {failure.pattern} is a {owner} failure, not {failure.component}")
            if problems:
                self.result.errors.append(RowError(failure.line, "; ".join(problems)))
                continue
            if failure.component not in component_codes:
                component_codes.add(failure.component)
                new_components.append(failure.component)
            if failure.pattern and failure.pattern not in pattern_components:
                new_patterns.setdefault(failure.pattern, failure.component)
            new.append(failure)
        self.result.errors.sort(key=lambda error: error.line)
        self.result.new_components = sorted(new_components)
        self.result.new_patterns = sorted(new_patterns)
        return devices, new

    @staticmethod
    def devices_by_serial(serials: set[str]) -> dict[str, _Device]:
        devices = {}
        for chunk in batched(sorted(serials), LOOKUP_BATCH_ROWS):
            stored = Device.objects.filter(serial_number__in=chunk).values_list(
                "serial_number", "id", "owner_id", "manufactured_on", "shipped_on", "warranty_ends_on"
            )
            for serial, pk, owner_id, manufactured_on, shipped_on, warranty_ends_on in stored:
                devices[serial] = _Device(pk, owner_id, manufactured_on, shipped_on, warranty_ends_on)
        return devices

    @staticmethod
    def imported_external_ids(external_ids: list[str]) -> set[str]:
        imported: set[str] = set()
        for chunk in batched(external_ids, LOOKUP_BATCH_ROWS):
            stored = RMA.objects.filter(external_id__in=chunk).values_list("external_id", flat=True)
            imported.update(external_id for external_id in stored if external_id)
        return imported

    # Writing ------------------------------------------------------------------------------------------

    def write(self, failures: list[_Failure], devices: dict[str, _Device]) -> None:
        if not failures:
            return
        components = self.components_create()
        patterns = self.patterns_create(components)
        good = []
        for failure in failures:
            pattern = patterns.get(failure.pattern)
            if pattern and pattern[1] != components[failure.component][0]:
                self.result.errors.append(
                    RowError(failure.line, f"pattern {failure.pattern} is not a {failure.component} failure")
                )
                continue
            good.append(failure)
        self.result.errors.sort(key=lambda error: error.line)
        for batch in batched(good, WRITE_BATCH_ROWS):
            self.write_batch(batch, devices, components, patterns)
            self.result.created += len(batch)

    def components_create(self) -> dict[str, tuple[int, str]]:
        """Create the new components; returns (id, name) of every component by code."""
        Component.objects.bulk_create(
            [Component(code=code, name=component_name(code)) for code in self.result.new_components],
            ignore_conflicts=True,
        )
        return {code: (pk, name or code) for pk, code, name in Component.objects.values_list("id", "code", "name")}

    def patterns_create(self, components: dict[str, tuple[int, str]]) -> dict[str, tuple[int, int]]:
        """Create the new patterns (status new, title from the code); returns (id, component id) by code."""
        FailurePattern.objects.bulk_create(
            [
                FailurePattern(
                    code=code,
                    title=code,
                    component_id=components[component][0],
                    status=FailurePattern.Status.NEW,
                    created_at=self.now,
                    updated_at=self.now,
                )
                for code, component in self.planned_patterns.items()
            ],
            ignore_conflicts=True,
        )
        return {
            code: (pk, component_id)
            for pk, code, component_id in FailurePattern.objects.values_list("id", "code", "component_id")
        }

    def write_batch(
        self,
        failures: list[_Failure],
        devices: dict[str, _Device],
        components: dict[str, tuple[int, str]],
        patterns: dict[str, tuple[int, int]],
    ) -> None:
        rma_template = row_template(RMA)
        diagnosis_template = row_template(Diagnosis)
        event_template = row_template(RMAEvent)
        numbers = rma_numbers_new(len(failures))
        moments: dict[date, datetime] = {}
        rmas, decisions = [], []
        for failure, number in zip(failures, numbers, strict=True):
            device = devices[failure.serial]
            moment = moments.get(failure.reported_on) or moments.setdefault(
                failure.reported_on, reported_moment(failure.reported_on)
            )
            decision = policy.warranty_decide(reported_on=failure.reported_on, warranty_ends_on=device.warranty_ends_on)
            decisions.append(decision)
            rmas.append(
                rma_template
                | {
                    "number": number,
                    "external_id": failure.external_id,
                    "device_id": device.id,
                    "customer_id": device.owner_id,
                    "fault_description": failure.notes or FAULT_DESCRIPTION,
                    "channel": RMA.Channel.IMPORT.value,
                    "status": RMA.Status.CLOSED.value,
                    "coverage": decision.coverage,
                    "coverage_reason": decision.reason,
                    "resolution": (
                        RMA.Resolution.NO_FAULT_FOUND.value
                        if failure.outcome == Diagnosis.Outcome.NO_FAULT_FOUND
                        else ""
                    ),
                    "reported_on": failure.reported_on,
                    "due_at": None,
                    "status_changed_at": moment,
                    "closed_at": moment,
                    "created_at": moment,
                    "updated_at": self.now,
                }
            )
        rma_ids = rows_insert(RMA, rmas, with_ids=True)

        diagnoses, events = [], []
        for failure, rma_id, rma, decision in zip(failures, rma_ids, rmas, decisions, strict=True):
            component_id, component_label = components[failure.component]
            pattern_id = patterns[failure.pattern][0] if failure.pattern else None
            match = pattern_match(failure.outcome, has_pattern=pattern_id is not None)
            moment = rma["created_at"]
            diagnoses.append(
                diagnosis_template
                | {
                    "rma_id": rma_id,
                    "component_id": component_id,
                    "findings": failure.notes,
                    "outcome": failure.outcome,
                    "pattern_id": pattern_id,
                    "pattern_match": match,
                    "created_at": moment,
                }
            )
            events.append(
                event_template
                | {
                    "rma_id": rma_id,
                    "action": "import",
                    "to_status": RMA.Status.CLOSED.value,
                    "source": Source.IMPORT.value,
                    "internal_note": (
                        f"Imported, closed, from the field-failure history ({failure.external_id}). {decision.reason}"
                    ),
                    "data": {
                        "external_id": failure.external_id,
                        "coverage": decision.coverage,
                        "coverage_code": decision.code,
                        "in_warranty": decision.in_warranty,
                        "resolution": rma["resolution"],
                    },
                    "created_at": moment,
                }
            )
            summary = f"{Diagnosis.Outcome(failure.outcome).label}: {component_label}"
            events.append(
                event_template
                | {
                    "rma_id": rma_id,
                    "action": "record_diagnosis",
                    "source": Source.IMPORT.value,
                    "internal_note": summary + (f", pattern {failure.pattern}" if failure.pattern else ""),
                    "data": {
                        "component": failure.component,
                        "outcome": failure.outcome,
                        "pattern": failure.pattern or None,
                        "pattern_match": match,
                    },
                    "created_at": moment,
                }
            )
        rows_insert(Diagnosis, diagnoses)
        rows_insert(RMAEvent, events)


def row_template(model) -> dict[str, Any]:
    """Every column of ``model`` (but the primary key) with the field's default."""
    return {f.attname: f.get_default() for f in model._meta.concrete_fields if not f.primary_key}


def pattern_match(outcome: str, *, has_pattern: bool) -> str:
    """As ``diagnosis_record`` sets it: confirmed for a confirmed failure, otherwise suspected."""
    if not has_pattern:
        return Diagnosis.PatternMatch.NONE.value
    if outcome == Diagnosis.Outcome.CONFIRMED:
        return Diagnosis.PatternMatch.CONFIRMED.value
    return Diagnosis.PatternMatch.SUSPECTED.value


def reported_moment(day: date) -> datetime:
    """When an imported failure is taken to have been opened and closed: midday of the day it was reported."""
    return timezone.make_aware(datetime.combine(day, time(12)))


def component_name(code: str) -> str:
    """``charging-port`` -> ``Charging port``."""
    return re.sub(r"[-_]+", " ", code).strip().capitalize() or code


def rma_numbers_new(count: int) -> list[str]:
    """``count`` new RMA numbers from ``rma_number_new``, none of them already stored."""
    numbers: set[str] = set()
    while len(numbers) < count:
        fresh = {rma_number_new() for _ in range(count - len(numbers))} - numbers
        for chunk in batched(sorted(fresh), LOOKUP_BATCH_ROWS):
            fresh.difference_update(RMA.objects.filter(number__in=chunk).values_list("number", flat=True))
        numbers |= fresh
    return list(numbers)
