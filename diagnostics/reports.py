"""Failure reports (SPEC §8), one function per report, shared by the API and the report pages.

Every report is computed by aggregate SQL (GROUP BY in the database; Python only shapes the few
aggregated rows) and takes the same filters: product model, lot, firmware and a date range.

A *failure* is a diagnosis that found a real fault: ``confirmed`` or ``cause_unknown``. No fault
found and customer damage are not failures (they have their own rate). The *installed base* is
the devices shipped to customers; rates are per 1,000 units in service, not raw counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DateField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import TruncWeek
from django.utils import timezone

from diagnostics.models import Diagnosis, FaultSignal, Reimbursement
from diagnostics.reliability import kaplan_meier, weibull_fit
from rma.models import RMA, Compensation, Device, GoodwillGrant, ProductModel

FAILURE_OUTCOMES = (Diagnosis.Outcome.CONFIRMED, Diagnosis.Outcome.CAUSE_UNKNOWN)
CENT = Decimal("0.01")
NO_PATTERN = "(no pattern)"


class DaysBetween(Func):
    """Whole days from the second date to the first, as an integer (no interval to convert)."""

    output_field = IntegerField()
    arity = 2

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


@dataclass(frozen=True)
class ReportFilters:
    """What every report can be narrowed to. The date range is inclusive and applies to when a
    failure was reported (for life data: when the units entered service; for goodwill: the grant)."""

    model: str = ""  # product model SKU
    lot: str = ""
    firmware: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def devices(self, prefix: str = "") -> Q:
        """The device filters, for a queryset that reaches the device through ``prefix``."""
        q = Q()
        if self.model:
            # The model's id, looked up once in the statement: the device indexes lead with it.
            model_id = Subquery(ProductModel.objects.filter(sku=self.model).values("id")[:1])
            q &= Q(**{f"{prefix}product_model_id": model_id})
        if self.lot:
            q &= Q(**{f"{prefix}lot": self.lot})
        if self.firmware:
            q &= Q(**{f"{prefix}firmware_version": self.firmware})
        return q

    def dates(self, field_name: str) -> Q:
        q = Q()
        if self.date_from:
            q &= Q(**{f"{field_name}__gte": self.date_from})
        if self.date_to:
            q &= Q(**{f"{field_name}__lte": self.date_to})
        return q

    def moments(self, field_name: str) -> Q:
        """The date range on a moment: from the first day's start to the last day's end, local time."""
        q = Q()
        if self.date_from:
            q &= Q(**{f"{field_name}__gte": _day_start(self.date_from)})
        if self.date_to:
            q &= Q(**{f"{field_name}__lt": _day_start(self.date_to + dt.timedelta(days=1))})
        return q

    @property
    def as_of(self) -> dt.date:
        return min(self.date_to, timezone.localdate()) if self.date_to else timezone.localdate()

    def as_dict(self) -> dict[str, Any]:
        return {
            name: value.isoformat() if isinstance(value, dt.date) else value for name, value in asdict(self).items()
        }


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@dataclass
class Report:
    name: str
    filters: ReportFilters
    rows: list[dict[str, Any]]
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "report": self.name,
            "filters": self.filters.as_dict(),
            "columns": COLUMNS[self.name](self.extra.get("by", "")),
            "rows": self.rows,
            **self.extra,
        }


def _share(part: float, whole: float) -> float:
    return round(part / whole, 6) if whole else 0.0


def failures(filters: ReportFilters) -> QuerySet[Diagnosis]:
    """Failure diagnoses of the filtered units, reported in the date range."""
    return Diagnosis.objects.filter(
        filters.devices("rma__device__"), filters.dates("rma__reported_on"), outcome__in=FAILURE_OUTCOMES
    )


def installed_base(filters: ReportFilters, *, as_of: dt.date | None = None) -> QuerySet[Device]:
    """Units in service: shipped to a customer on or before ``as_of``."""
    return Device.objects.filter(filters.devices(), shipped_on__isnull=False, shipped_on__lte=as_of or filters.as_of)


# Pareto ------------------------------------------------------------------------------------------------

PARETO_KEYS = {"pattern": ("pattern__code", "pattern__title"), "component": ("component__code", "component__name")}


def pareto(filters: ReportFilters, *, by: str = "pattern") -> Report:
    """Failures by pattern (or component), most frequent first, with each one's share and the running total."""
    key, label = PARETO_KEYS[by]
    grouped = (
        failures(filters)
        .values(key, label)
        .annotate(failures=Count("rma_id", distinct=True))
        .order_by("-failures", key)
    )
    rows = [{"key": row[key] or NO_PATTERN, "label": row[label] or "", "failures": row["failures"]} for row in grouped]
    total = sum(row["failures"] for row in rows)
    running = 0
    for row in rows:
        running += row["failures"]
        row["share"] = _share(row["failures"], total)
        row["cumulative_share"] = _share(running, total)
    return Report("pareto", filters, rows, {"by": by, "total_failures": total})


# Failure rates -------------------------------------------------------------------------------------------

RATE_KEYS = {"model": (), "lot": ("lot",), "firmware": ("firmware_version",)}
RATE_NAMES = {"product_model__sku": "model", "lot": "lot", "firmware_version": "firmware"}


def model_skus() -> dict[int, str]:
    """Product model ids to SKUs: the reports group by the id (an index holds it) and label afterwards."""
    return dict(ProductModel.objects.values_list("id", "sku"))


def failure_rates(filters: ReportFilters, *, by: str = "model") -> Report:
    """Failures per 1,000 units in service by model, lot or firmware.

    The units in service are those shipped by the end of the range; the failures those reported in it.
    """
    keys = ("product_model_id", *RATE_KEYS[by])
    base = installed_base(filters).values(*keys).annotate(units=Count("*")).order_by()
    failed = (
        failures(filters)
        .values(*[f"rma__device__{key}" for key in keys])
        .annotate(failures=Count("rma_id", distinct=True))
        .order_by()
    )
    failures_by_key = {tuple(row[f"rma__device__{key}"] for key in keys): row["failures"] for row in failed}
    skus = model_skus()
    rows = []
    for row in base:
        group = tuple(row[key] for key in keys)
        count = failures_by_key.get(group, 0)
        rows.append(
            {
                "model": skus[row["product_model_id"]],
                **{RATE_NAMES[key]: row[key] for key in keys[1:]},
                "units_in_service": row["units"],
                "failures": count,
                "rate_per_1000": round(1000 * count / row["units"], 4),
            }
        )
    names = _rate_columns(by)[: len(keys)]
    rows.sort(key=lambda row: (-row["rate_per_1000"], *[str(row[name]) for name in names]))
    units = sum(row["units_in_service"] for row in rows)
    total = sum(row["failures"] for row in rows)
    return Report(
        "failure-rates",
        filters,
        rows,
        {
            "by": by,
            "units_in_service": units,
            "failures": total,
            "rate_per_1000": round(1000 * total / units, 4) if units else 0.0,
        },
    )


# Weekly trend --------------------------------------------------------------------------------------------


def trend(filters: ReportFilters) -> Report:
    """Failures per week (Monday to Sunday, by report date) and pattern."""
    grouped = (
        failures(filters)
        .annotate(week=TruncWeek("rma__reported_on", output_field=DateField()))
        .values("week", "pattern__code")
        .annotate(failures=Count("rma_id", distinct=True))
        .order_by("week", "pattern__code")
    )
    rows = [
        {
            "week": _as_date(row["week"]).isoformat(),
            "pattern": row["pattern__code"] or NO_PATTERN,
            "failures": row["failures"],
        }
        for row in grouped
    ]
    return Report("trend", filters, rows, {"patterns": sorted({row["pattern"] for row in rows})})


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


# Life data -----------------------------------------------------------------------------------------------

LIFE_KEYS = {"model": "rma__device__product_model_id", "component": "component__code"}


def life(filters: ReportFilters, *, by: str = "model") -> Report:
    """Weibull life per model (or component), fitted to time to first failure with right censoring.

    Units enter service when shipped (the date range picks them by ship date); a unit's first failure
    is its age when the failure was reported. Every other unit is censored at its age on the as-of
    date (the range's end, or today). By component, a unit is at risk for every component and only
    its first failure of that component counts.
    """
    as_of = filters.as_of
    cohort = ReportFilters(filters.model, filters.lot, filters.firmware)
    units = (
        installed_base(cohort, as_of=as_of)
        .filter(filters.dates("shipped_on"))
        .values("product_model_id", "shipped_on")
        .annotate(units=Count("*"))
        .order_by()
    )
    key = LIFE_KEYS[by]
    same_component = {"component_id": OuterRef("component_id")} if by == "component" else {}
    earlier = Diagnosis.objects.filter(
        outcome__in=FAILURE_OUTCOMES,
        rma__device_id=OuterRef("rma__device_id"),
        rma__reported_on__lt=OuterRef("rma__reported_on"),
        **same_component,
    )
    first_failures = (
        Diagnosis.objects.filter(
            filters.devices("rma__device__"),
            Q(rma__device__shipped_on__lte=F("rma__reported_on")),
            filters.dates("rma__device__shipped_on"),
            outcome__in=FAILURE_OUTCOMES,
            rma__device__shipped_on__isnull=False,
            rma__reported_on__lte=as_of,
        )
        .filter(~Exists(earlier))
        .annotate(age=DaysBetween("rma__reported_on", "rma__device__shipped_on"))
        .values(key, "rma__device__product_model_id", "rma__device__shipped_on", "age")
        .annotate(units=Count("rma__device_id", distinct=True))
        .order_by()
        .values_list(key, "rma__device__product_model_id", "rma__device__shipped_on", "age", "units")
    )
    # Units per model and ship date; failures per group, model, ship date and age (all aggregated in SQL).
    skus = model_skus()
    shipped: dict[str, dict[dt.date, int]] = {}
    for row in units:
        day = row["shipped_on"]
        if day is not None:
            shipped.setdefault(skus[row["product_model_id"]], {})[day] = row["units"]
    failed: dict[str, dict[float, int]] = {}
    failed_by_ship: dict[str, dict[tuple[str, dt.date], int]] = {}
    for group_key, model_id, shipped_day, days, count in first_failures:
        group = skus[group_key] if by == "model" else group_key
        age = float(days)
        by_age = failed.setdefault(group, {})
        by_age[age] = by_age.get(age, 0) + count
        by_ship = failed_by_ship.setdefault(group, {})
        ship_key = (skus[model_id], shipped_day)
        by_ship[ship_key] = by_ship.get(ship_key, 0) + count

    groups = sorted(shipped) if by == "model" else sorted(failed)
    rows, points = [], []
    for group in groups:
        # The units at risk: the group's model, or the whole filtered fleet for a component.
        at_risk = {
            (sku, day): count
            for sku, days in shipped.items()
            for day, count in days.items()
            if by == "component" or sku == group
        }
        removed = failed_by_ship.get(group, {})
        censored: dict[float, int] = {}
        for (sku, day), count in at_risk.items():
            left = count - removed.get((sku, day), 0)
            if left > 0:
                age = float((as_of - day).days)
                censored[age] = censored.get(age, 0) + left
        failures_at = sorted(failed.get(group, {}).items())
        survivors = sorted(censored.items())
        fit = weibull_fit(failures_at, survivors)
        units_total = sum(at_risk.values())
        rows.append(
            {
                "key": group,
                "units": units_total,
                "failures": sum(count for _, count in failures_at),
                "censored": sum(count for _, count in survivors),
                "beta": _round(fit.beta if fit else None),
                "eta_days": _round(fit.eta if fit else None),
                "b10_days": _round(fit.b10 if fit else None),
                "mean_life_days": _round(fit.mean_life if fit else None),
            }
        )
        for point in kaplan_meier(failures_at, survivors):
            points.append(
                {
                    "key": group,
                    "age_days": point.age,
                    "at_risk": point.at_risk,
                    "failed": point.failed,
                    "unreliability": round(point.unreliability, 8),
                }
            )
    return Report("life", filters, rows, {"by": by, "as_of": as_of.isoformat(), "points": points})


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


# No fault found, repeats --------------------------------------------------------------------------------


def no_fault_found(filters: ReportFilters) -> Report:
    """Diagnosed returns per model and the share where no fault was found."""
    grouped = (
        Diagnosis.objects.filter(filters.devices("rma__device__"), filters.dates("rma__reported_on"))
        .values("rma__device__product_model__sku")
        .annotate(
            diagnosed=Count("rma_id", distinct=True),
            no_fault_found=Count("rma_id", distinct=True, filter=Q(outcome=Diagnosis.Outcome.NO_FAULT_FOUND)),
        )
        .order_by("rma__device__product_model__sku")
    )
    return _share_by_model(
        "no-fault-found", filters, grouped, "rma__device__product_model__sku", "diagnosed", "no_fault_found"
    )


def repeats(filters: ReportFilters) -> Report:
    """Returns per model and the share that were repeat failures (back within the repeat window)."""
    grouped = (
        RMA.objects.filter(filters.devices("device__"), filters.dates("reported_on"))
        .values("device__product_model__sku")
        .annotate(returns=Count("id"), repeat_count=Count("id", filter=Q(is_repeat=True)))
        .order_by("device__product_model__sku")
    )
    return _share_by_model(
        "repeats", filters, grouped, "device__product_model__sku", "returns", "repeats", part_field="repeat_count"
    )


def _share_by_model(
    name: str, filters: ReportFilters, grouped, model_key: str, whole: str, part: str, *, part_field: str = ""
) -> Report:
    """Rows of (model, whole, part, part's share of the whole), and the same over all models."""
    part_field = part_field or part
    rows = [
        {"model": row[model_key], whole: row[whole], part: row[part_field], "rate": _share(row[part_field], row[whole])}
        for row in grouped
    ]
    whole_total = sum(row[whole] for row in rows)
    part_total = sum(row[part] for row in rows)
    return Report(name, filters, rows, {whole: whole_total, part: part_total, "rate": _share(part_total, whole_total)})


# Goodwill ----------------------------------------------------------------------------------------------


def goodwill(filters: ReportFilters) -> Report:
    """Goodwill replacements by the pattern their unit was diagnosed with, compensation and reimbursements given."""
    grants = GoodwillGrant.objects.filter(filters.devices("rma__device__"), filters.moments("granted_at"))
    latest_pattern = (
        Diagnosis.objects.filter(rma_id=OuterRef("rma_id")).order_by("-created_at", "-id").values("pattern__code")[:1]
    )
    by_pattern = (
        grants.annotate(pattern=latest_pattern)
        .values("pattern")
        .annotate(grants=Count("id"))
        .order_by("-grants", "pattern")
    )
    rows = [{"pattern": row["pattern"] or NO_PATTERN, "grants": row["grants"]} for row in by_pattern]
    compensation = Compensation.objects.filter(
        filters.devices("rma__device__"),
        filters.moments("decided_at"),
        status=Compensation.Status.APPROVED,
    ).aggregate(
        approved=Count("id"),
        credit=Sum("amount"),
        months=Sum("months"),
    )
    reimbursed = (
        Reimbursement.objects.filter(
            filters.devices("rma__device__"),
            filters.moments("decided_at"),
            status=Reimbursement.Status.APPROVED,
        )
        .values("currency")
        .annotate(approved=Count("id"), amount=Sum("amount"))
        .order_by("currency")
    )
    return Report(
        "goodwill",
        filters,
        rows,
        {
            "grants": sum(row["grants"] for row in rows),
            "compensation": {
                "approved": compensation["approved"],
                "service_credit": str(compensation["credit"] or Decimal("0.00")),
                "warranty_months": compensation["months"] or 0,
            },
            # service-programme reimbursements of earlier paid repairs (SPEC §11), per currency
            "reimbursements": [
                {"currency": row["currency"], "approved": row["approved"], "amount": str(row["amount"].quantize(CENT))}
                for row in reimbursed
            ],
        },
    )


# Open fault signals ---------------------------------------------------------------------------------

OPEN_SIGNAL_STATUSES = (FaultSignal.Status.OPEN, FaultSignal.Status.ACKNOWLEDGED)


def fault_signals_open(filters: ReportFilters) -> Report:
    """Fault signals still waiting for an engineer's conclusion (open or acknowledged), strongest first.

    The date range applies to when a signal was first detected; lot and firmware match their cells.
    """
    q = filters.dates("first_detected_on")
    if filters.model:
        q &= Q(product_model__sku=filters.model)
    if filters.lot:
        q &= Q(lot=filters.lot)
    if filters.firmware:
        q &= Q(firmware_version=filters.firmware)
    signals = FaultSignal.objects.filter(q)
    by_status = {
        row["status"]: row["signals"] for row in signals.values("status").annotate(signals=Count("id")).order_by()
    }
    rows = [
        {
            "id": row["id"],
            "cell": _cell_label(row),
            "model": row["product_model__sku"],
            "component": row["component__code"],
            "lot": row["lot"],
            "firmware": row["firmware_version"],
            "observed": row["observed"],
            "expected": round(row["expected"], 3),
            "units_in_service": row["units_in_service"],
            "rate_ratio": round(row["rate_ratio"], 3),
            "statistic": round(row["statistic"], 3),
            "threshold": round(row["threshold"], 3),
            "first_detected_on": row["first_detected_on"].isoformat(),
            "status": row["status"],
        }
        for row in signals.filter(status__in=OPEN_SIGNAL_STATUSES)
        .values(
            "id",
            "product_model__sku",
            "component__code",
            "lot",
            "firmware_version",
            "observed",
            "expected",
            "units_in_service",
            "rate_ratio",
            "statistic",
            "threshold",
            "first_detected_on",
            "status",
        )
        .order_by("-statistic", "id")
    ]
    return Report(
        "fault-signals",
        filters,
        rows,
        {"by_status": {status: by_status.get(status, 0) for status in FaultSignal.Status.values}},
    )


def _cell_label(row: Mapping[str, Any]) -> str:
    where = [row["product_model__sku"]]
    if row["lot"] is not None:
        where.append(f"lot {row['lot']}")
    if row["firmware_version"] is not None:
        where.append(f"firmware {row['firmware_version']}")
    return " · ".join([*where, row["component__code"]])


def _rate_columns(by: str) -> list[str]:
    return ["model", *[RATE_NAMES[key] for key in RATE_KEYS[by]], "units_in_service", "failures", "rate_per_1000"]


# The columns of each report's rows (a CSV has its header even when no row matches).
COLUMNS = {
    "pareto": lambda by: ["key", "label", "failures", "share", "cumulative_share"],
    "failure-rates": _rate_columns,
    "trend": lambda by: ["week", "pattern", "failures"],
    "life": lambda by: ["key", "units", "failures", "censored", "beta", "eta_days", "b10_days", "mean_life_days"],
    "no-fault-found": lambda by: ["model", "diagnosed", "no_fault_found", "rate"],
    "repeats": lambda by: ["model", "returns", "repeats", "rate"],
    "goodwill": lambda by: ["pattern", "grants"],
    "fault-signals": lambda by: [
        "id",
        "cell",
        "model",
        "component",
        "lot",
        "firmware",
        "observed",
        "expected",
        "units_in_service",
        "rate_ratio",
        "statistic",
        "threshold",
        "first_detected_on",
        "status",
    ],
}
POINT_COLUMNS = ["key", "age_days", "at_risk", "failed", "unreliability"]

REPORTS = {
    "pareto": pareto,
    "failure-rates": failure_rates,
    "trend": trend,
    "life": life,
    "no-fault-found": no_fault_found,
    "repeats": repeats,
    "goodwill": goodwill,
    "fault-signals": fault_signals_open,
}
