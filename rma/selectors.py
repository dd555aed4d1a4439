"""Reads for the returns domain. Views, admin and API take their querysets from here."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from core.exceptions import NotFound
from rma import lifecycle, policy, resolutions, service_levels
from rma.models import (
    RMA,
    Compensation,
    Device,
    FollowUp,
    GoodwillGrant,
    ProofOfPurchase,
    RepairCentre,
    RMAEvent,
    is_erased_email,
)
from rma.normalise import normalise_serial


def overdue_q(now: datetime | None = None) -> Q:
    """RMAs past the target date of their current status."""
    return Q(due_at__lt=now or timezone.now()) & ~Q(status__in=lifecycle.FINAL_STATUSES)


def rma_list() -> QuerySet[RMA]:
    return RMA.objects.select_related("device__product_model", "customer", "replacement_device", "centre", "assignee")


def queue_mine_q(user: Any) -> Q:
    """Open returns assigned to ``user``."""
    return Q(assignee_id=user.pk) & ~Q(status__in=lifecycle.FINAL_STATUSES)


def queue_unassigned_q(user: Any) -> Q:
    """Open unassigned returns of the centres ``user`` works at."""
    return Q(assignee__isnull=True, centre__staff__id=user.pk) & ~Q(status__in=lifecycle.FINAL_STATUSES)


def rma_queue(user: Any, which: str) -> QuerySet[RMA]:
    """A queue, oldest due first: ``mine`` or ``unassigned`` (at the user's centres)."""
    where = queue_mine_q(user) if which == "mine" else queue_unassigned_q(user)
    return rma_list().filter(where).order_by(F("due_at").asc(nulls_last=True), "id")


def centre_list() -> QuerySet[RepairCentre]:
    return RepairCentre.objects.prefetch_related("staff").order_by("code")


def rma_overdue(now: datetime | None = None) -> QuerySet[RMA]:
    return rma_list().filter(overdue_q(now)).order_by("due_at")


def centre_staff(centre: RepairCentre | None) -> QuerySet[Any]:
    """Who may be given a return of ``centre``: its active staff (every active member of staff without a centre)."""
    users = get_user_model().objects.filter(is_active=True, is_staff=True).order_by("username")
    return users.filter(repair_centres=centre) if centre is not None else users


def in_stock_q(prefix: str = "") -> Q:
    """Units in stock: never shipped, nobody's, not promised as a replacement (as ``replacement_device_take`` asks)."""
    return Q(**{f"{prefix}shipped_on__isnull": True, f"{prefix}owner__isnull": True}) & ~Q(
        **{f"{prefix}replacement_for__isnull": False}
    )


def stock_of_model(product_model_id: int, *, starting: str = "", limit: int = 20) -> QuerySet[Device]:
    """In-stock units of one product model whose serial starts with ``starting`` (normalised), by serial."""
    units = Device.objects.filter(in_stock_q(), product_model_id=product_model_id)
    if starting.strip():
        units = units.filter(serial_number__startswith=starting.strip().upper())
    return units.order_by("serial_number")[:limit]


def goodwill_candidates() -> QuerySet[RMA]:
    """Returns goodwill could be suggested on (out of cover, unit in the repair centre, being diagnosed or quoted,
    reported after the warranty ended); the policy decides among them."""
    return rma_list().filter(
        coverage=RMA.Coverage.NONE,
        status__in=(RMA.Status.DIAGNOSING, RMA.Status.AWAITING_CUSTOMER),
        disposition=RMA.Disposition.IN_REPAIR_CENTRE,
        device__warranty_ends_on__lt=F("reported_on"),
    )


def diagnosis_outcome(rma: RMA) -> str | None:
    """The outcome of the return's latest diagnosis as its timeline recorded it (None before any), kept on the row.

    For what a page offers; the services read it again under their lock.
    """
    if "_diagnosis_outcome" not in rma.__dict__:
        latest = (
            RMAEvent.objects.filter(rma=rma, action="record_diagnosis", data__has_key="outcome")
            .order_by("-created_at", "-id")
            .values_list("data", flat=True)
            .first()
        )
        rma.__dict__["_diagnosis_outcome"] = latest.get("outcome") if latest else None
    return rma.__dict__["_diagnosis_outcome"]


def rma_get_by_number(number: str) -> RMA:
    try:
        return rma_list().get(number=number.strip().upper())
    except RMA.DoesNotExist:
        raise NotFound(f"No return has number {number.strip()}.", code="unknown_rma") from None


def rma_timeline(rma: RMA, *, customer_visible: bool = False) -> QuerySet[RMAEvent]:
    events = RMAEvent.objects.filter(rma=rma).select_related("actor").order_by("created_at", "id")
    if customer_visible:
        events = events.exclude(customer_message="")
    return events


def device_list() -> QuerySet[Device]:
    return Device.objects.select_related("product_model", "owner")


def device_by_serial(serial_number: str) -> Device:
    try:
        return device_list().get(serial_number=normalise_serial(serial_number))
    except Device.DoesNotExist:
        raise NotFound(f"No device has serial {normalise_serial(serial_number)}.", code="unknown_serial") from None


def device_rma_history(device: Device) -> QuerySet[RMA]:
    return RMA.objects.filter(device=device).order_by("-created_at")


# Customers' pages ---------------------------------------------------------------------------------


def rma_lookup_key(number: str) -> tuple[int | None, str]:
    """The RMA's id and its customer's e-mail, or ``(None, "")``.

    One indexed query returning two values whether the number exists or not, so a wrong number and
    a wrong e-mail cost the same. An erased customer's return is not found: its placeholder address
    is no secret.
    """
    row = RMA.objects.filter(number=number.strip().upper()).values_list("pk", "customer__email").first()
    if row is None or (row[1] and is_erased_email(row[1])):
        return None, ""
    return row[0], row[1] or ""


def rma_by_submission_key(key: str) -> RMA | None:
    if not key:
        return None
    return rma_list().filter(submission_key=submission_key_hash(key)).first()


def submission_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def rma_customer_timeline(rma: RMA) -> QuerySet[RMAEvent]:
    """What the customer may read of the timeline: events with a customer message (and its sayings, in
    ``data["say"]``), never notes."""
    return (
        RMAEvent.objects.filter(rma=rma)
        .exclude(customer_message="")
        .only("created_at", "customer_message", "data", "action", "rma_id")
        .order_by("created_at", "id")
    )


# Compensation and goodwill --------------------------------------------------------------------


def compensation_rule() -> policy.CompensationRule:
    values = dict(settings.RMA_COMPENSATION)
    for name in ("credit_per_week", "max_credit"):
        if name in values:
            values[name] = Decimal(str(values[name]))
    return policy.CompensationRule(**values)


def rma_promises(rma: RMA) -> list[policy.Promise]:
    """The dates we gave the customer, and when we kept them.

    The acknowledgement promises a reply within the ``submitted`` service level; receiving the unit
    promises it will be on its way back by ``promised_on``.
    """
    promises = []
    reply_due = service_levels.deadline(rma.created_at, settings.RMA_SERVICE_LEVELS.get(RMA.Status.SUBMITTED))
    if reply_due is not None:
        replied = (
            RMAEvent.objects.filter(rma=rma, from_status=RMA.Status.SUBMITTED)
            .order_by("created_at", "id")
            .values_list("created_at", flat=True)
            .first()
        )
        promises.append(
            policy.Promise(
                "reply",
                timezone.localdate(reply_due),
                timezone.localdate(replied) if replied else None,
            )
        )
    if rma.promised_on is not None:
        back = rma.shipped_at or rma.closed_at
        promises.append(policy.Promise("back", rma.promised_on, timezone.localdate(back) if back else None))
    return promises


def compensation_preview(rma: RMA, today: date | None = None) -> policy.CompensationSuggestion:
    """What the policy would suggest for ``rma`` if it were shipped today (for staff, while it is open)."""
    today = today or timezone.localdate()
    return policy.compensation_suggest(
        days_late=policy.days_late(promises=rma_promises(rma), today=today),
        repeat_failure=rma.is_repeat,
        rule=compensation_rule(),
    )


def compensation_list() -> QuerySet[Compensation]:
    return Compensation.objects.select_related("rma__device__product_model", "customer", "approved_by", "device")


def compensation_of(rma: RMA) -> Compensation | None:
    """The compensation of one return (suggested or decided), with the unit whose warranty it extended and
    who decided it."""
    return Compensation.objects.select_related("device", "approved_by").filter(rma_id=rma.pk).first()


def proofs_of(rma: RMA) -> QuerySet[ProofOfPurchase]:
    """The proofs of purchase uploaded for a return, oldest first."""
    return ProofOfPurchase.objects.filter(rma_id=rma.pk).order_by("uploaded_at", "id")


def follow_up_of(rma: RMA) -> FollowUp | None:
    return FollowUp.objects.select_related("repeat_rma").filter(rma_id=rma.pk).first()


def compensation_granted(*, since: date | None = None, until: date | None = None) -> QuerySet[Compensation]:
    """Approved compensation (extended warranty or service credit), by decision date."""
    granted = compensation_list().filter(status=Compensation.Status.APPROVED).exclude(kind=Compensation.Kind.NONE)
    if since is not None:
        granted = granted.filter(decided_at__date__gte=since)
    if until is not None:
        granted = granted.filter(decided_at__date__lte=until)
    return granted


@dataclass(frozen=True)
class ServiceRecovery:
    """What we gave customers to make up for failures, for the goodwill report."""

    goodwill_replacements: int
    compensations: int
    extended_warranty_months: int
    service_credit: Decimal

    @property
    def total(self) -> int:
        return self.goodwill_replacements + self.compensations


def service_recovery_summary(*, since: date | None = None, until: date | None = None) -> ServiceRecovery:
    """Goodwill grants and approved compensation counted together over a period (by decision date)."""
    grants = GoodwillGrant.objects.all()
    if since is not None:
        grants = grants.filter(granted_at__date__gte=since)
    if until is not None:
        grants = grants.filter(granted_at__date__lte=until)
    totals = compensation_granted(since=since, until=until).aggregate(
        count=Count("id"),
        months=Sum("months", filter=Q(kind=Compensation.Kind.EXTENDED_WARRANTY)),
        credit=Sum("amount", filter=Q(kind=Compensation.Kind.SERVICE_CREDIT)),
    )
    return ServiceRecovery(
        goodwill_replacements=grants.count(),
        compensations=totals["count"] or 0,
        extended_warranty_months=totals["months"] or 0,
        service_credit=totals["credit"] or Decimal("0.00"),
    )


# Follow-ups -------------------------------------------------------------------------------------


def rma_follow_up_due(now: datetime | None = None) -> QuerySet[RMA]:
    """Closed returns whose follow-up is due: closed ``RMA_FOLLOW_UP_DAYS`` ago (within a week's slack),
    never followed up, with a customer to ask. Imported history is never followed up."""
    now = now or timezone.now()
    due = now - timedelta(days=settings.RMA_FOLLOW_UP_DAYS)
    return (
        rma_list()
        .filter(
            status=RMA.Status.CLOSED,
            closed_at__lte=due,
            closed_at__gt=due - timedelta(days=settings.RMA_FOLLOW_UP_SLACK_DAYS),
            customer__isnull=False,
            follow_up__isnull=True,
            # a refund or a unit sent back unrepaired leaves no fix to ask about
            resolution__in=resolutions.FOLLOWED_UP,
        )
        .exclude(channel=RMA.Channel.IMPORT)
        .order_by("closed_at")
    )


@dataclass(frozen=True)
class Dashboard:
    """A repair centre's figures for its supervisor (SPEC §13); every count is a filter of the RMA list."""

    centre: RepairCentre | None
    today: date
    by_status: list[tuple[str, str, int]]  # (status, label, open returns)
    overdue: int
    due_today: int
    unassigned: int
    weeks: list[tuple[date, int, int]]  # (Monday, opened, closed)
    shipped_30_days: int
    promises_kept: int
    goodwill_this_month: int
    compensations_this_month: int

    @property
    def promises_kept_share(self) -> int | None:
        return round(100 * self.promises_kept / self.shipped_30_days) if self.shipped_30_days else None


def centre_returns(centre: RepairCentre | None) -> QuerySet[RMA]:
    return RMA.objects.filter(centre=centre) if centre is not None else RMA.objects.all()


def promise_kept_q() -> Q:
    """Shipped no later than the day promised at receipt."""
    return Q(shipped_at__isnull=False, promised_on__isnull=False, shipped_at__date__lte=F("promised_on"))


def centre_dashboard(centre: RepairCentre | None, *, today: date | None = None, weeks: int = 8) -> Dashboard:
    """The figures of ``centre`` (every centre when None), in a constant number of queries."""
    today = today or timezone.localdate()
    returns = centre_returns(centre).order_by()
    now = timezone.now()
    open_returns = returns.exclude(status__in=lifecycle.FINAL_STATUSES)
    counts = dict(open_returns.values_list("status").annotate(n=Count("id")))
    by_status = [
        (status, label, counts.get(status, 0))
        for status, label in RMA.Status.choices
        if status not in lifecycle.FINAL_STATUSES
    ]
    figures = open_returns.aggregate(
        overdue=Count("id", filter=Q(due_at__lt=now)),
        due_today=Count("id", filter=Q(due_at__date=today)),
        unassigned=Count("id", filter=Q(assignee__isnull=True)),
    )
    monday = today - timedelta(days=today.weekday())
    first = monday - timedelta(weeks=weeks - 1)
    opened = dict(
        returns.filter(created_at__date__gte=first)
        .annotate(week=TruncWeek("created_at"))
        .values_list("week")
        .annotate(n=Count("id"))
    )
    closed = dict(
        returns.filter(closed_at__date__gte=first, status=RMA.Status.CLOSED)
        .annotate(week=TruncWeek("closed_at"))
        .values_list("week")
        .annotate(n=Count("id"))
    )

    def week_count(counts: dict[Any, int], start: date) -> int:
        return sum(n for week, n in counts.items() if week is not None and _as_date(week) == start)

    week_rows = [
        (start, week_count(opened, start), week_count(closed, start))
        for start in (first + timedelta(weeks=n) for n in range(weeks))
    ]
    shipped = returns.filter(shipped_at__date__gte=today - timedelta(days=30), received_at__isnull=False).aggregate(
        shipped=Count("id"), kept=Count("id", filter=promise_kept_q())
    )
    month_start = today.replace(day=1)
    goodwill = GoodwillGrant.objects.filter(granted_at__date__gte=month_start)
    compensations = compensation_granted(since=month_start)
    if centre is not None:
        goodwill = goodwill.filter(rma__centre=centre)
        compensations = compensations.filter(rma__centre=centre)
    return Dashboard(
        centre=centre,
        today=today,
        by_status=by_status,
        overdue=figures["overdue"],
        due_today=figures["due_today"],
        unassigned=figures["unassigned"],
        weeks=week_rows,
        shipped_30_days=shipped["shipped"],
        promises_kept=shipped["kept"],
        goodwill_this_month=goodwill.count(),
        compensations_this_month=compensations.count(),
    )


def _as_date(value: Any) -> date:
    return timezone.localtime(value).date() if isinstance(value, datetime) else value
