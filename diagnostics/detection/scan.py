"""The detection scan against the database: count in SQL, test in ``engine``, raise or update signals.

``fleet_load`` groups the installed base and the confirmed failures known on a day in two
aggregate queries; ``detect_faults`` runs the engine on them and writes ``FaultSignal`` rows: a new
one for a cell that alarms for the first time, fresh figures on every cell that already has one.
The whole scan holds a lock (an advisory lock on PostgreSQL) and the unique constraints on the
cells make a duplicate impossible, so two scans at once give the same signals as one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
from django.conf import settings as django_settings
from django.db import connections, transaction
from django.db.models import Count, Exists, Min, OuterRef, Q
from django.utils import timezone

from core.importing import import_lock
from core.replica import read_alias, replica_reads
from core.webhooks import webhook_emit
from diagnostics.detection import families
from diagnostics.detection.engine import NO_WARRANTY_END, Cell, CellKey, Fleet, Result, Settings, detect
from diagnostics.detection.statistics import projected_excess
from diagnostics.models import Component, Diagnosis, FaultSignal
from rma.models import Device, ProductModel

LOCK_NAME = "diagnostics.detection_scan"
FLAGGED_STATUSES = (FaultSignal.Status.OPEN, FaultSignal.Status.ACKNOWLEDGED, FaultSignal.Status.LINKED)


def _ordinal(value: Any) -> int:
    if isinstance(value, datetime):
        return value.date().toordinal()
    if isinstance(value, date):
        return value.toordinal()
    return date.fromisoformat(str(value)[:10]).toordinal()


def _index(values: Sequence[Any]) -> tuple[list[str], np.ndarray]:
    """Names (blank ones dropped) and each value's index into them, -1 for blank."""
    names = sorted({str(v) for v in values if v not in (None, "")})
    position = {name: i for i, name in enumerate(names)}
    return names, np.array([position.get(str(v), -1) if v not in (None, "") else -1 for v in values], dtype=np.int64)


def known_cutoff(as_of: date) -> datetime:
    """The first moment after ``as_of`` where the repair centre is: diagnoses made before it were known."""
    return timezone.make_aware(datetime.combine(as_of + timedelta(days=1), time.min))


@replica_reads()
def fleet_load(*, as_of: date) -> Fleet:
    """The installed base shipped by ``as_of`` and the confirmed failures known on it, grouped in SQL.

    Read from the read replica when one is configured (``core.replica``): the counts lead to no write.

    A failure counts when its return was reported by ``as_of``, its diagnosis was made by then,
    and that diagnosis (the return's latest one known then) confirmed a failed component; a unit's
    component counts once, on the first such report.
    """
    cohorts = list(
        Device.objects.filter(shipped_on__isnull=False, shipped_on__lte=as_of)
        .order_by()
        .values_list("product_model_id", "lot", "firmware_version", "shipped_on", "warranty_ends_on")
        .annotate(n=Count("id"))
    )
    cutoff = known_cutoff(as_of)
    later = Diagnosis.objects.filter(rma_id=OuterRef("rma_id"), created_at__lt=cutoff).filter(
        Q(created_at__gt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), id__gt=OuterRef("id"))
    )
    first_failures = (
        Diagnosis.objects.filter(
            outcome=Diagnosis.Outcome.CONFIRMED,
            created_at__lt=cutoff,
            rma__reported_on__lte=as_of,
            rma__device__shipped_on__isnull=False,
        )
        .filter(~Exists(later))
        .order_by()
        .values("rma__device_id", "component_id")
        .annotate(first_reported=Min("rma__reported_on"))
    )
    inner_sql, params = first_failures.query.sql_with_params()
    device = Device._meta.db_table
    with connections[read_alias()].cursor() as cursor:
        # group the (unit, component) firsts by what the engine needs; the inner query's columns are,
        # in order, the unit, the component and the first report
        cursor.execute(
            f"""
            WITH f (device_id, component_id, first_reported) AS ({inner_sql})
            SELECT d.product_model_id, d.lot, d.firmware_version, f.component_id, d.shipped_on,
                   d.warranty_ends_on, f.first_reported, COUNT(*)
            FROM f JOIN {device} d ON d.id = f.device_id
            GROUP BY d.product_model_id, d.lot, d.firmware_version, f.component_id, d.shipped_on,
                     d.warranty_ends_on, f.first_reported
            """,
            params,
        )
        failures = cursor.fetchall()
    return _fleet(cohorts, failures)


def _fleet(cohorts: list[tuple], failures: list[tuple]) -> Fleet:
    if not cohorts:
        return Fleet.empty()
    model_ids = sorted({row[0] for row in cohorts})
    skus = dict(ProductModel.objects.filter(pk__in=model_ids).values_list("pk", "sku"))
    model_position = {pk: i for i, pk in enumerate(model_ids)}
    component_ids = sorted({row[3] for row in failures})
    codes = dict(Component.objects.filter(pk__in=component_ids).values_list("pk", "code"))
    component_position = {pk: i for i, pk in enumerate(component_ids)}
    lots, all_lots = _index([row[1] for row in cohorts] + [row[1] for row in failures])
    firmwares, all_fws = _index([row[2] for row in cohorts] + [row[2] for row in failures])
    n = len(cohorts)

    def days(rows: list[tuple], ship: int, end: int) -> tuple[np.ndarray, np.ndarray]:
        shipped = np.array([_ordinal(row[ship]) for row in rows], dtype=np.int64)
        ends = np.array(
            [_ordinal(row[end]) if row[end] is not None else NO_WARRANTY_END for row in rows], dtype=np.int64
        )
        warranty = np.where(ends == NO_WARRANTY_END, NO_WARRANTY_END, np.maximum(ends - shipped, 0))
        return shipped, warranty

    c_ship, c_warranty = days(cohorts, 3, 4)
    f_ship, f_warranty = days(failures, 4, 5)
    f_report = np.array([_ordinal(row[6]) for row in failures], dtype=np.int64)
    return Fleet(
        models=[skus[pk] for pk in model_ids],
        lots=lots,
        firmwares=firmwares,
        components=[codes[pk] for pk in component_ids],
        c_model=np.array([model_position[row[0]] for row in cohorts], dtype=np.int64),
        c_lot=all_lots[:n],
        c_fw=all_fws[:n],
        c_ship=c_ship,
        c_warranty=c_warranty,
        c_count=np.array([row[5] for row in cohorts], dtype=np.int64),
        f_model=np.array([model_position.get(row[0], -1) for row in failures], dtype=np.int64),
        f_lot=all_lots[n:],
        f_fw=all_fws[n:],
        f_comp=np.array([component_position[row[3]] for row in failures], dtype=np.int64),
        f_ship=f_ship,
        f_warranty=f_warranty,
        f_report=f_report,
        f_known=f_report.copy(),
        f_count=np.array([row[7] for row in failures], dtype=np.int64),
    )


def settings_from_config(**overrides: Any) -> Settings:
    """The engine's settings from Django's (``DETECTION_*``), with ``overrides``."""
    values: dict[str, Any] = {
        "budget_per_year": django_settings.DETECTION_FALSE_ALARMS_PER_YEAR,
        "lag_weeks": django_settings.DETECTION_LAG_WEEKS,
        "min_observed": django_settings.DETECTION_MIN_OBSERVED,
    }
    values.update({name: value for name, value in overrides.items() if value is not None})
    return Settings(**values)


def signal_key(signal: FaultSignal) -> CellKey:
    return (signal.cell, signal.product_model.sku, signal.lot, signal.firmware_version, signal.component.code)


def flagged_cells() -> set[CellKey]:
    """Cells whose signal still stands (not dismissed): the baseline leaves their units out."""
    signals = FaultSignal.objects.filter(status__in=FLAGGED_STATUSES).select_related("product_model", "component")
    return {signal_key(signal) for signal in signals}


@dataclass
class ScanReport:
    as_of: date
    result: Result
    raised: list[FaultSignal] = field(default_factory=list)
    updated: int = 0

    @property
    def cells(self) -> int:
        return len(self.result.cells)


def _figures(cell: Cell, as_of: date) -> dict[str, Any]:
    projection = projected_excess(cell.observed, cell.expected, cell.expected_remaining)
    return {
        "observed": cell.observed,
        "expected": round(cell.expected, 4),
        "units_in_service": cell.units_in_service,
        "rate_ratio": round(min(cell.rate_ratio, 1e6), 4),
        "statistic": round(cell.statistic, 4),
        "threshold": round(cell.threshold, 4),
        "excess_to_date": round(cell.observed - cell.expected, 4),
        "projected_excess": round(projection.excess, 4),
        "projected_excess_low": round(projection.low, 4),
        "projected_excess_high": round(projection.high, 4),
        "evidence_as_of": as_of,
        "last_updated": timezone.now(),
    }


def lot_firmwares(fleet: Fleet) -> dict[tuple[str, str], str]:
    """The firmware version most of each lot's units carry, by (model, lot)."""
    units: dict[tuple[str, str], dict[str, int]] = {}
    for m, lot, fw, n in zip(fleet.c_model, fleet.c_lot, fleet.c_fw, fleet.c_count, strict=True):
        if lot >= 0 and fw >= 0:
            by_fw = units.setdefault((fleet.models[m], fleet.lots[lot]), {})
            by_fw[fleet.firmwares[fw]] = by_fw.get(fleet.firmwares[fw], 0) + int(n)
    return {key: max(by_fw, key=lambda name: (by_fw[name], name)) for key, by_fw in units.items()}


def family_leaders(cells: list[Cell], fleet: Fleet) -> dict[CellKey, CellKey]:
    """Each of ``cells``' family leader (``families.leaders`` on their figures)."""
    figures = [families.FamilyCell(cell.key, cell.observed, cell.expected, cell.units_in_service) for cell in cells]
    return families.leaders(figures, lot_firmwares(fleet))


def customers_of(keys: list[CellKey], *, as_of: date) -> dict[CellKey, int]:
    """How many customers own units in service in each cell: one grouped query per kind of cell."""
    counts: dict[CellKey, int] = {}
    models = dict(ProductModel.objects.filter(sku__in={key[1] for key in keys}).values_list("sku", "pk"))
    skus = {pk: sku for sku, pk in models.items()}
    for kind, column in (("model", None), ("lot", "lot"), ("firmware", "firmware_version")):
        mine = [key for key in keys if key[0] == kind and key[1] in models]
        if not mine:
            continue
        where = Q()
        for _kind, sku, lot, firmware, _component in mine:
            where |= Q(product_model_id=models[sku], **({column: lot if kind == "lot" else firmware} if column else {}))
        group = ["product_model_id", *([column] if column else [])]
        rows = (
            Device.objects.filter(where, shipped_on__isnull=False, shipped_on__lte=as_of)
            .order_by()
            .values(*group)
            .annotate(customers=Count("owner_id", distinct=True))
        )
        found = {(skus[row["product_model_id"]], row.get(column) if column else None): row["customers"] for row in rows}
        for key in mine:
            counts[key] = found.get((key[1], key[2] if kind == "lot" else key[3] if kind == "firmware" else None), 0)
    return counts


def detect_faults(*, as_of: date | None = None, settings: Settings | None = None, write: bool = True) -> ScanReport:
    """Scan the installed base as known on ``as_of`` (default today); raise and update fault signals.

    A cell that alarms for the first time gets a signal first detected on ``as_of``; every cell
    that already has a signal (whatever its status) gets the new figures. With ``write=False``
    nothing is stored and ``raised`` holds the signals that would have been raised (unsaved).
    """
    as_of = as_of or timezone.localdate()
    settings = settings or settings_from_config()
    with transaction.atomic():
        import_lock(LOCK_NAME)
        existing = {
            signal_key(signal): signal for signal in FaultSignal.objects.select_related("product_model", "component")
        }
        flagged = {key for key, signal in existing.items() if signal.status in FLAGGED_STATUSES}
        fleet = fleet_load(as_of=as_of)
        result = detect(fleet, as_of=as_of, settings=settings, flagged=flagged)
        report = ScanReport(as_of=as_of, result=result)
        models = {m.sku: m for m in ProductModel.objects.filter(sku__in={cell.model for cell in result.alarms})}
        components = {c.code: c for c in Component.objects.filter(code__in={cell.component for cell in result.alarms})}
        for cell in result.cells:
            signal = existing.get(cell.key)
            if signal is not None:
                if not write:
                    continue
                for name, value in _figures(cell, as_of).items():
                    setattr(signal, name, value)
                signal.save(update_fields=list(_figures(cell, as_of)))
                report.updated += 1
            elif cell.alarm:
                signal = FaultSignal(
                    cell=cell.kind,
                    product_model=models[cell.model],
                    component=components[cell.component],
                    lot=cell.lot,
                    firmware_version=cell.firmware,
                    first_detected_on=as_of,
                    **_figures(cell, as_of),
                )
                if write:
                    signal.save(force_insert=True)
                    webhook_emit("fault_signal.raised", signal_event_data(signal), key=f"fault-signal:{signal.pk}")
                report.raised.append(signal)
                existing[cell.key] = signal
        _magnitude_and_families(existing, result, fleet, as_of=as_of, write=write)
        if not write:
            transaction.set_rollback(True)
    return report


def signal_event_data(signal: FaultSignal) -> dict[str, Any]:
    """A raised signal as its ``fault_signal.raised`` webhook tells it."""
    return {"id": signal.pk, **signal_figures(signal)}


def _magnitude_and_families(
    signals: dict[CellKey, FaultSignal], result: Result, fleet: Fleet, *, as_of: date, write: bool
) -> None:
    """The customers behind each signal seen in this scan, and the families of those still standing."""
    cells = {cell.key: cell for cell in result.cells if cell.key in signals}
    customers = customers_of(list(cells), as_of=as_of)
    standing = [cell for key, cell in cells.items() if signals[key].status != FaultSignal.Status.DISMISSED]
    leaders = family_leaders(standing, fleet)
    for key in cells:
        signal = signals[key]
        signal.affected_customers = customers.get(key, 0)
        lead = leaders.get(key, key)
        signal.family = signals[lead] if lead != key else None
        if write:
            signal.save(update_fields=["affected_customers", "family"])


def signal_figures(signal: FaultSignal) -> dict[str, Any]:
    """A signal as the command's ``--json`` and the API show it."""
    return {
        "cell_key": signal.cell_key,
        "family": signal.family_key,  # an unsaved leader (a dry run) is held in the relation's cache
        "cell": signal.cell,
        "model_sku": signal.product_model.sku,
        "lot": signal.lot,
        "firmware": signal.firmware_version,
        "component": signal.component.code,
        "first_detected_on": signal.first_detected_on.isoformat(),
        "observed": signal.observed,
        "expected": round(signal.expected, 2),
        "units_in_service": signal.units_in_service,
        "rate_ratio": round(signal.rate_ratio, 2),
        "statistic": round(signal.statistic, 2),
        "threshold": round(signal.threshold, 2),
        "affected_units": signal.units_in_service,
        "affected_customers": signal.affected_customers,
        "excess_to_date": round(signal.excess_to_date, 1),
        "projected_excess": round(signal.projected_excess, 1),
        "projected_excess_low": round(signal.projected_excess_low, 1),
        "projected_excess_high": round(signal.projected_excess_high, 1),
        "status": signal.status,
    }


def cell_figures(cell: Cell, first_detected_on: date) -> dict[str, Any]:
    """A cell that alarmed in a replay, shaped like ``signal_figures`` (family and customers filled in later)."""
    projection = projected_excess(cell.observed, cell.expected, cell.expected_remaining)
    return {
        "cell_key": families.cell_key_text(cell.key),
        "family": families.cell_key_text(cell.key),
        "cell": cell.kind,
        "model_sku": cell.model,
        "lot": cell.lot,
        "firmware": cell.firmware,
        "component": cell.component,
        "first_detected_on": first_detected_on.isoformat(),
        "observed": cell.observed,
        "expected": round(cell.expected, 2),
        "units_in_service": cell.units_in_service,
        "rate_ratio": round(min(cell.rate_ratio, 1e6), 2),
        "statistic": round(cell.statistic, 2),
        "threshold": round(cell.threshold, 2),
        "affected_units": cell.units_in_service,
        "affected_customers": None,
        "excess_to_date": round(cell.observed - cell.expected, 1),
        "projected_excess": round(projection.excess, 1),
        "projected_excess_low": round(projection.low, 1),
        "projected_excess_high": round(projection.high, 1),
        "status": None,
    }


def backtest(
    *, start: date, end: date, settings: Settings | None = None, on_week: Callable[[date], None] | None = None
) -> list[dict[str, Any]]:
    """Replay the scan weekly from ``start`` to ``end`` (inclusive), each week seeing only what was known then.

    Nothing is written. Each cell that alarms is reported once, with the week it first fired and its
    figures that week; from then on it counts as flagged (left out of its baseline), as a stored
    signal would. ``on_week(day)`` is called after each week (a command's progress).
    """
    settings = settings or settings_from_config()
    fired: dict[CellKey, dict[str, Any]] = {}
    day = start
    while day <= end:
        fleet = fleet_load(as_of=day)
        result = detect(fleet, as_of=day, settings=settings, flagged=set(fired))
        for cell in result.alarms:
            if cell.key not in fired:
                fired[cell.key] = cell_figures(cell, day)
        # families as they stand this week, among the cells that have fired so far
        leaders = family_leaders([cell for cell in result.cells if cell.key in fired], fleet)
        for key, lead in leaders.items():
            fired[key]["family"] = families.cell_key_text(lead)
        if on_week is not None:
            on_week(day)
        day += timedelta(days=7)
    customers = customers_of(list(fired), as_of=end)
    for key, row in fired.items():
        row["affected_customers"] = customers.get(key, 0)
    return sorted(fired.values(), key=lambda row: (row["first_detected_on"], row["model_sku"], row["component"]))
