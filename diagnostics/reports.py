"""Failure reports (SPEC §8), one function per report, shared by the API and the report pages.

Every report is computed by aggregate SQL (GROUP BY in the database; Python only shapes the few
aggregated rows) and takes the same filters: product model, lot, firmware and a date range.

A *failure* is a diagnosis that found a real fault: ``confirmed`` or ``cause_unknown``. No fault
found and customer damage are not failures (they have their own rate). The *installed base* is
the devices shipped to customers; rates are per 1,000 units in service, not raw counts.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
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
    Value,
)
from django.db.models.functions import Coalesce, Greatest, TruncWeek
from django.utils import timezone

from diagnostics.models import Diagnosis, FaultSignal, Reimbursement
from diagnostics.reliability import LEVEL, WeibullFit, kaplan_meier, poisson_interval, weibull_fit
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
    """Failures per 1,000 units in service by model, lot or firmware, with exact Poisson 90 % intervals.

    The units in service are those shipped by the end of the range; the failures those reported in it.
    Rows are ranked by how far they stand above their model (SPEC §8), judged on exposure: a row's
    *expected* failures are its unit-years in service (from shipping, or the range's start, to its
    end) at its model's rate per unit-year (for models, the whole fleet's), and the rank is the low
    end of the exact interval on observed over expected. A lot of three units with one failure, whose
    interval is wide, does not top the chart; nor does an old lot outrank a young one that fails
    faster only because it has been in service longer.
    """
    keys = ("product_model_id", *RATE_KEYS[by])
    as_of = filters.as_of
    since = Greatest("shipped_on", Value(filters.date_from)) if filters.date_from else F("shipped_on")
    base = (
        installed_base(filters)
        .values(*keys)
        .annotate(units=Count("*"), days=Sum(DaysBetween(Value(as_of, output_field=DateField()), since)))
        .order_by()
    )
    failed = (
        failures(filters)
        .values(*[f"rma__device__{key}" for key in keys])
        .annotate(failures=Count("rma_id", distinct=True))
        .order_by()
    )
    failures_by_key = {tuple(row[f"rma__device__{key}"] for key in keys): row["failures"] for row in failed}
    skus = model_skus()
    grouped = [(row, failures_by_key.get(tuple(row[key] for key in keys), 0)) for row in base]
    model_years: dict[int, float] = {}
    model_failures: dict[int, int] = {}
    for row, count in grouped:
        model_years[row["product_model_id"]] = model_years.get(row["product_model_id"], 0.0) + _years(row["days"])
        model_failures[row["product_model_id"]] = model_failures.get(row["product_model_id"], 0) + count
    units = sum(row["units"] for row, _ in grouped)
    total = sum(model_failures.values())
    fleet_per_year = total / sum(model_years.values()) if model_years and sum(model_years.values()) > 0 else 0.0
    rows = []
    for row, count in grouped:
        model_id = row["product_model_id"]
        low, high = poisson_interval(count)
        years = _years(row["days"])
        per_year = (
            fleet_per_year
            if by == "model"
            else (model_failures[model_id] / model_years[model_id] if model_years[model_id] > 0 else 0.0)
        )
        expected = per_year * years
        rows.append(
            {
                "model": skus[model_id],
                **{RATE_NAMES[key]: row[key] for key in keys[1:]},
                "units_in_service": row["units"],
                "failures": count,
                "rate_per_1000": 1000 * count / row["units"],
                "rate_low_per_1000": 1000 * low / row["units"],
                "rate_high_per_1000": 1000 * high / row["units"],
                "unit_years": years,
                "expected_failures": expected,
                "ratio_to_model": count / expected if expected > 0 else None,
                "ratio_to_model_low": low / expected if expected > 0 else None,
            }
        )
    names = _rate_columns(by)[: len(keys)]
    rows.sort(
        key=lambda row: (
            -(row["ratio_to_model_low"] or 0.0),
            -row["rate_per_1000"],
            *[str(row[name]) for name in names],
        )
    )
    return Report(
        "failure-rates",
        filters,
        rows,
        {
            "by": by,
            "units_in_service": units,
            "failures": total,
            "rate_per_1000": round(1000 * total / units, 4) if units else 0.0,
            "level": LEVEL,
        },
    )


def _years(days: int | None) -> float:
    return max(days or 0, 0) / 365.25


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
LIFE_VIEWS = ("warranty", "field")
Cohort = tuple[str, dt.date, dt.date | None]  # model SKU, warranty start, warranty end


def left_service() -> Q:
    """A return after which its unit is no longer in the customer's service: swapped, refunded, kept or scrapped."""
    return (
        Q(replacement_device__isnull=False)
        | Q(resolution__in=(RMA.Resolution.REPLACED, RMA.Resolution.REFUNDED))
        | Q(
            disposition__in=(
                RMA.Disposition.RETAINED_FOR_RCA,
                RMA.Disposition.SCRAPPED,
                RMA.Disposition.REFURBISHED_STOCK,
            )
        )
    )


def life(filters: ReportFilters, *, by: str = "model", view: str = "warranty") -> Report:
    """Weibull life per model (or component), fitted to time to first failure with right censoring.

    Ages count from the warranty's start, as the warranty does: the purchase date when there is one,
    else the shipping date (the date range picks units by shipping date). A unit's first failure is
    its age when the failure was reported. In the *warranty* view (the default) every unit is watched
    until its warranty ends: a failure reported later is not counted (out-of-warranty failures are
    under-reported) and the unit is censored there; the *field* view watches units until the as-of
    date (the range's end, or today). Every other unit is censored at its age on the as-of date.

    By component, a unit is at risk for every component and only its first failure of that component
    counts; a unit that left service after failing of another component (swapped, refunded, kept for
    analysis, scrapped) is censored at that age. Fits need ``RELIABILITY_MIN_FAILURES`` failures and
    carry 90 % likelihood-ratio bounds on β, η and B10; Kaplan–Meier points carry Greenwood bands.
    """
    as_of = filters.as_of
    cohort = ReportFilters(filters.model, filters.lot, filters.firmware)
    start = Coalesce("purchased_on", "shipped_on")
    units = (
        installed_base(cohort, as_of=as_of)
        .filter(filters.dates("shipped_on"))
        .annotate(start=start)
        .filter(start__lte=as_of)
        .values("product_model_id", "start", "warranty_ends_on")
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
    device_start = Coalesce("rma__device__purchased_on", "rma__device__shipped_on")
    rows = (
        Diagnosis.objects.filter(
            filters.devices("rma__device__"),
            filters.dates("rma__device__shipped_on"),
            outcome__in=FAILURE_OUTCOMES,
            rma__device__shipped_on__isnull=False,
            rma__reported_on__lte=as_of,
        )
        .annotate(start=device_start)
        .filter(start__lte=F("rma__reported_on"))
        .filter(~Exists(earlier))
        .annotate(
            age=DaysBetween("rma__reported_on", device_start),
            left=Exists(RMA.objects.filter(left_service(), pk=OuterRef("rma_id"))),
        )
    )
    columns = [key, "rma__device__product_model_id", "start", "rma__device__warranty_ends_on", "age", "left"]
    if by == "component":
        # the unit's next departure after this failure, on another return: it was counted as this
        # component's failure and is not to be censored again when the other component's view censors it
        later = RMA.objects.filter(
            left_service(), device_id=OuterRef("rma__device_id"), reported_on__gte=OuterRef("rma__reported_on")
        ).exclude(pk=OuterRef("rma_id"))
        rows = rows.annotate(departed_on=Subquery(later.order_by("reported_on").values("reported_on")[:1]))
        columns.append("departed_on")
    first_failures = rows.values(*columns).annotate(units=Count("rma__device_id", distinct=True)).order_by()

    skus = model_skus()
    at_risk: dict[Cohort, int] = {}
    for row in units:
        cohort_key = (skus[row["product_model_id"]], _as_date(row["start"]), row["warranty_ends_on"])
        at_risk[cohort_key] = at_risk.get(cohort_key, 0) + row["units"]
    # (group, cohort, age, left service, departed later on) -> units
    events: list[tuple[str, Cohort, int, bool, dt.date | None, int]] = []
    for row in first_failures:
        group = skus[row[key]] if by == "model" else row[key]
        cohort_key = (
            skus[row["rma__device__product_model_id"]],
            _as_date(row["start"]),
            row["rma__device__warranty_ends_on"],
        )
        departed = row.get("departed_on")
        events.append((group, cohort_key, int(row["age"]), bool(row["left"]), departed, row["units"]))

    def cap(cohort_key: Cohort) -> float:
        """The last age a unit of the cohort is watched in this view."""
        _sku, begins, ends = cohort_key
        return float((ends - begins).days) if view == "warranty" and ends is not None else float("inf")

    groups = sorted({sku for sku, _, _ in at_risk}) if by == "model" else sorted({event[0] for event in events})
    minimum = settings.RELIABILITY_MIN_FAILURES
    table, points = [], []
    for group in groups:
        pool = {c: n for c, n in at_risk.items() if by == "component" or c[0] == group}
        failed: dict[float, int] = {}
        censored: dict[float, int] = {}
        for name, cohort_key, age, left, departed, count in events:
            if cohort_key not in pool:
                continue
            limit = cap(cohort_key)
            if name == group:
                if age <= limit:
                    _add(failed, float(age), count)
                else:
                    _add(censored, limit, count)
                pool[cohort_key] -= count
                if departed is not None:  # counted here as a failure; not censored again below
                    _add(censored, min(float((departed - cohort_key[1]).days), limit), -count)
                    pool[cohort_key] += count
            elif by == "component" and left:
                _add(censored, min(float(age), limit), count)
                pool[cohort_key] -= count
        for cohort_key, count in pool.items():
            if count > 0:
                _add(censored, min(float((as_of - cohort_key[1]).days), cap(cohort_key)), count)
        failures_at = sorted(failed.items())
        survivors = sorted((age, count) for age, count in censored.items() if count > 0)
        failure_count = sum(count for _, count in failures_at)
        fit = weibull_fit(failures_at, survivors) if failure_count >= minimum else None
        beta, eta, b10 = (
            (fit.beta_bounds(), fit.eta_bounds(), fit.life_bounds()) if fit is not None else (None, None, None)
        )
        table.append(
            {
                "key": group,
                "units": sum(n for c, n in at_risk.items() if by == "component" or c[0] == group),
                "failures": failure_count,
                "censored": sum(count for _, count in survivors),
                "beta": fit.beta if fit else None,
                "beta_low": beta.low if beta else None,
                "beta_high": beta.high if beta else None,
                "eta_days": fit.eta if fit else None,
                "eta_low_days": eta.low if eta else None,
                "eta_high_days": eta.high if eta else None,
                "b10_days": fit.b10 if fit else None,
                "b10_low_days": b10.low if b10 else None,
                "b10_high_days": b10.high if b10 else None,
                "mean_life_days": fit.mean_life if fit else None,
                "note": _fit_note(failure_count, minimum, fit),
            }
        )
        for point in kaplan_meier(failures_at, survivors):
            points.append(
                {
                    "key": group,
                    "age_days": point.age,
                    "at_risk": point.at_risk,
                    "failed": point.failed,
                    "unreliability": point.unreliability,
                    "unreliability_low": point.low,
                    "unreliability_high": point.high,
                }
            )
    return Report(
        "life",
        filters,
        table,
        {
            "by": by,
            "view": view,
            "as_of": as_of.isoformat(),
            "level": LEVEL,
            "min_failures": minimum,
            "points": points,
        },
    )


def _add(counts: dict[float, int], age: float, count: int) -> None:
    counts[age] = counts.get(age, 0) + count


def _fit_note(failures: int, minimum: int, fit: WeibullFit | None) -> str:
    if failures < minimum:
        return f"No fit: {failures} failure{'s' if failures != 1 else ''}, a Weibull fit needs at least {minimum}."
    if fit is None:
        return "No fit: the failure ages give the likelihood no maximum."
    return ""


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
            "family_leader": row["family_id"],
            "affected_customers": row["affected_customers"],
            "excess_to_date": row["excess_to_date"],
            "projected_excess": row["projected_excess"],
            "projected_excess_low": row["projected_excess_low"],
            "projected_excess_high": row["projected_excess_high"],
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
            "family_id",
            "affected_customers",
            "excess_to_date",
            "projected_excess",
            "projected_excess_low",
            "projected_excess_high",
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
    return [
        "model",
        *[RATE_NAMES[key] for key in RATE_KEYS[by]],
        "units_in_service",
        "failures",
        "rate_per_1000",
        "rate_low_per_1000",
        "rate_high_per_1000",
        "unit_years",
        "expected_failures",
        "ratio_to_model",
        "ratio_to_model_low",
    ]


def for_people(value: Any, *, grouping: bool = False) -> Any:
    """A figure as people read it (pages and CSV; the JSON keeps full precision).

    Whole numbers stay whole; other numbers keep three or four significant digits (``0.569444`` →
    ``0.569``, ``13158.5681`` → ``13159``, ``0.09999999999999998`` → ``0.1``), trailing zeros dropped;
    ``grouping`` adds thousands separators (pages). Anything else is returned as it is.
    """
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return f"{value:,}" if grouping else str(value)
    if not isinstance(value, float):
        return value
    if not math.isfinite(value):
        return ""
    size = abs(value)
    if size >= 100 or value == int(value):
        digits = 0
    elif size >= 10:
        digits = 1
    elif size >= 1:
        digits = 2
    else:
        digits = max(3, 2 - math.floor(math.log10(size))) if size > 0 else 0
    text = f"{value:,.{digits}f}" if grouping else f"{value:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# The columns of each report's rows (a CSV has its header even when no row matches).
COLUMNS = {
    "pareto": lambda by: ["key", "label", "failures", "share", "cumulative_share"],
    "failure-rates": _rate_columns,
    "trend": lambda by: ["week", "pattern", "failures"],
    "life": lambda by: [
        "key",
        "units",
        "failures",
        "censored",
        "beta",
        "beta_low",
        "beta_high",
        "eta_days",
        "eta_low_days",
        "eta_high_days",
        "b10_days",
        "b10_low_days",
        "b10_high_days",
        "mean_life_days",
        "note",
    ],
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
        "family_leader",
        "affected_customers",
        "excess_to_date",
        "projected_excess",
        "projected_excess_low",
        "projected_excess_high",
        "first_detected_on",
        "status",
    ],
}
POINT_COLUMNS = ["key", "age_days", "at_risk", "failed", "unreliability", "unreliability_low", "unreliability_high"]

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
