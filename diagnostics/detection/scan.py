"""The detection scan against the database: count in SQL, test in ``engine``, raise or update signals.

``fleet_load`` groups the installed base and the confirmed failures known on a day in two
aggregate queries; ``detect_faults`` runs the engine on them and writes ``FaultSignal`` rows: a new
one for a cell that alarms for the first time, fresh figures on every cell that already has one.
The whole scan holds a lock (an advisory lock on PostgreSQL) and the unique constraints on the
cells make a duplicate impossible, so two scans at once give the same signals as one.
"""

from __future__ import annotations

from collections.abc import Sequence
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
from diagnostics.detection.engine import NO_WARRANTY_END, Cell, CellKey, Fleet, Result, Settings, detect
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
    return {
        "observed": cell.observed,
        "expected": round(cell.expected, 4),
        "units_in_service": cell.units_in_service,
        "rate_ratio": round(min(cell.rate_ratio, 1e6), 4),
        "statistic": round(cell.statistic, 4),
        "threshold": round(cell.threshold, 4),
        "evidence_as_of": as_of,
        "last_updated": timezone.now(),
    }


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
        result = detect(fleet_load(as_of=as_of), as_of=as_of, settings=settings, flagged=flagged)
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
                report.raised.append(signal)
        if not write:
            transaction.set_rollback(True)
    return report


def signal_figures(signal: FaultSignal) -> dict[str, Any]:
    """A signal as the command's ``--json`` and the API show it."""
    return {
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
        "status": signal.status,
    }


def cell_figures(cell: Cell, first_detected_on: date) -> dict[str, Any]:
    """A cell that alarmed in a replay, shaped like ``signal_figures``."""
    return {
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
        "status": None,
    }


def backtest(*, start: date, end: date, settings: Settings | None = None) -> list[dict[str, Any]]:
    """Replay the scan weekly from ``start`` to ``end`` (inclusive), each week seeing only what was known then.

    Nothing is written. Each cell that alarms is reported once, with the week it first fired and its
    figures that week; from then on it counts as flagged (left out of its baseline), as a stored
    signal would.
    """
    settings = settings or settings_from_config()
    fired: dict[CellKey, dict[str, Any]] = {}
    day = start
    while day <= end:
        result = detect(fleet_load(as_of=day), as_of=day, settings=settings, flagged=set(fired))
        for cell in result.alarms:
            if cell.key not in fired:
                fired[cell.key] = cell_figures(cell, day)
        day += timedelta(days=7)
    return sorted(fired.values(), key=lambda row: (row["first_detected_on"], row["model_sku"], row["component"]))
