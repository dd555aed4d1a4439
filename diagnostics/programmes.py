"""Service programmes: a known fault fixed free for every affected unit (SPEC §11).

A programme names its population (product models, narrowed by lots, firmware versions, build-date
and ship-date ranges and an uploaded serial list), its remedy and its period. Its status moves
``draft → active → closed`` through one door, ``programme_transition``, checked against the action
registry (``diagnostics.actions``). One selector answers which active programmes cover a unit and
until when (``programmes_for_device``); the public checker, the API, the return's admin page, the
status pages and the warranty policy all ask it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Count, Exists, F, Field, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncWeek
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from core.actions import registry
from core.actors import Actor, staff_actor
from core.exceptions import ActionNotPermitted, InvalidInput, NotFound, TransitionRefused
from core.phrases import Said, say, say_plural
from core.tasks import enqueue
from diagnostics.edits import distinct_values, edits_apply
from diagnostics.models import Diagnosis, FailurePattern, Programme, ProgrammeSerial, Reimbursement
from diagnostics.patterns import pattern_event_record
from rma import policy
from rma.models import RMA, Customer, Device, OutboxMessage, ProductModel
from rma.models.units import ERASED_EMAIL_DOMAIN
from rma.normalise import normalise_serial
from rma.notices import Notice
from rma.notifications import drain_after_commit, outbox_queue_for
from rma.services import record_event

P = Programme.Status
CODE_RE = re.compile(r"SP-\d{4,}")
NOTICE_TEMPLATE = "programme_notice"  # the ``programme_`` prefix marks bulk mail
EDITABLE = (
    "title",
    "summary",
    "pattern",
    "product_models",
    "lots",
    "firmware_versions",
    "built_from",
    "built_to",
    "shipped_from",
    "shipped_to",
    "remedy",
    "coverage_years",
    "covered_until",
    "reimburse_paid_repairs",
    "owner",
)


def _require(actor: Actor, permission: str, what: str) -> User:
    user = staff_actor(actor)
    if user is None or not user.has_perm(permission):
        raise ActionNotPermitted(f"You do not have permission to {what}.")
    return user


def programme_get(code: str) -> Programme:
    programme = Programme.objects.filter(code=code.strip().upper()).first()
    if programme is None:
        raise NotFound(f"No service programme has code {code.strip()}.", code="unknown_programme")
    return programme


def _code_next() -> str:
    numbers = [int(code[3:]) for code in Programme.objects.values_list("code", flat=True) if CODE_RE.fullmatch(code)]
    return f"SP-{max(numbers, default=0) + 1:04d}"


def _check(fields: dict[str, Any]) -> None:
    """What a programme's fields must say, whatever door they came through."""
    for start, end in (("built_from", "built_to"), ("shipped_from", "shipped_to")):
        if fields.get(start) and fields.get(end) and fields[start] > fields[end]:
            raise InvalidInput(f"{start} is after {end}.", code="invalid_range", field=start)
    if fields.get("coverage_years") is not None and fields.get("covered_until") is not None:
        raise InvalidInput(
            "Give either coverage_years or covered_until, not both.", code="one_coverage_period", field="covered_until"
        )
    if fields.get("coverage_years") is not None and not 1 <= int(fields["coverage_years"]) <= 15:
        raise InvalidInput("coverage_years is between 1 and 15.", code="invalid_coverage_years", field="coverage_years")
    if fields.get("remedy") is not None and fields["remedy"] not in Programme.Remedy.values:
        raise InvalidInput(f"Unknown remedy “{fields['remedy']}”.", code="invalid_remedy", field="remedy")


@transaction.atomic
def programme_create(
    *,
    actor: Actor,
    title: str,
    summary: str,
    pattern: FailurePattern,
    product_models: Iterable[ProductModel],
    code: str = "",
    lots: Iterable[str] = (),
    firmware_versions: Iterable[str] = (),
    built_from: dt.date | None = None,
    built_to: dt.date | None = None,
    shipped_from: dt.date | None = None,
    shipped_to: dt.date | None = None,
    remedy: str = Programme.Remedy.REPAIR,
    coverage_years: int | None = None,
    covered_until: dt.date | None = None,
    reimburse_paid_repairs: bool = True,
    owner: User | None = None,
) -> Programme:
    """A draft programme; its owner engineer is whoever creates it unless another is named."""
    user = _require(actor, "diagnostics.add_programme", "create service programmes")
    fields = {
        "built_from": built_from,
        "built_to": built_to,
        "shipped_from": shipped_from,
        "shipped_to": shipped_to,
        "remedy": remedy,
        "coverage_years": coverage_years,
        "covered_until": covered_until,
    }
    _check(fields)
    code = code.strip().upper()
    if code and not CODE_RE.fullmatch(code):
        raise InvalidInput("A programme code looks like SP-0001.", code="invalid_code", field="code")
    if code and Programme.objects.filter(code=code).exists():
        raise InvalidInput(f"Programme {code} already exists.", code="programme_exists", field="code")
    if not title.strip():
        raise InvalidInput("A programme needs a public title.", code="title_required", field="title")
    programme = Programme.objects.create(
        code=code or _code_next(),
        title=title.strip(),
        summary=summary.strip(),
        pattern=pattern,
        lots=distinct_values(lots),
        firmware_versions=distinct_values(firmware_versions),
        reimburse_paid_repairs=reimburse_paid_repairs,
        owner=owner or user,
        **fields,
    )
    programme.product_models.set(list(product_models) or list(pattern.affected_models.all()))
    return programme


@transaction.atomic
def programme_update(*, programme: Programme, actor: Actor, **fields: Any) -> Programme:
    """Edit a draft; an active programme's promise is not rewritten under the customers reading it."""
    _require(actor, "diagnostics.change_programme", "edit service programmes")
    locked = Programme.objects.select_for_update().get(pk=programme.pk)
    if locked.status != P.DRAFT:
        raise TransitionRefused(
            f"{locked.code} is {locked.get_status_display().lower()}: only a draft can be edited.",
            code="programme_not_draft",
        )
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise InvalidInput(f"Unknown programme fields: {', '.join(sorted(unknown))}.", code="invalid")
    merged = {name: getattr(locked, name) for name in EDITABLE if name != "product_models"} | fields
    _check(merged)
    edits_apply(locked, fields, many=["product_models"], lists=["lots", "firmware_versions"])
    return locked


@transaction.atomic
def programme_serials_set(*, programme: Programme, actor: Actor, serials: Iterable[str]) -> Programme:
    """Replace a draft's uploaded serial list (one serial a line); an empty list lifts the restriction."""
    _require(actor, "diagnostics.change_programme", "edit service programmes")
    locked = Programme.objects.select_for_update().get(pk=programme.pk)
    if locked.status != P.DRAFT:
        raise TransitionRefused(f"{locked.code} is no longer a draft.", code="programme_not_draft")
    cleaned = sorted({normalise_serial(serial) for serial in serials if serial.strip()})
    too_long = [serial for serial in cleaned if len(serial) > 64]
    if too_long:
        raise InvalidInput(f"Serial {too_long[0][:70]} is too long.", code="invalid_serial", field="serials")
    ProgrammeSerial.objects.filter(programme=locked).delete()
    ProgrammeSerial.objects.bulk_create(
        [ProgrammeSerial(programme=locked, serial_number=serial) for serial in cleaned], batch_size=5000
    )
    locked.has_serial_list = bool(cleaned)
    locked.save(update_fields=["has_serial_list"])
    return locked


# The one door for status -----------------------------------------------------------------------------


def programme_transition(
    *,
    programme: Programme,
    action: str,
    actor: Actor,
    source: str,
    apply: Callable[[Programme], list[str]] | None = None,
    reason: str = "",
) -> Programme:
    """Move a programme: the declaration's permission, the lock, the table, the change, the pattern's history."""
    declared = registry.get("programme", action)
    with transaction.atomic():
        declared.check_permission(actor, source)
        locked = Programme.objects.select_for_update().get(pk=programme.pk)
        declared.check_status(locked, name=locked.code)
        from_status = locked.status
        changed = apply(locked) if apply else []
        locked.status = declared.to_status or locked.status
        locked.save(update_fields=["status", *changed])
        pattern_event_record(
            pattern=locked.pattern,
            action=f"programme_{action}",
            actor=actor,
            source=source,
            reason=reason,
            data={"programme": locked.code, "from": from_status, "to": locked.status},
        )
    return locked


def programme_activate(*, programme: Programme, actor: Actor, source: str) -> Programme:
    """Start covering the population; earlier paid repairs of the fault are proposed for reimbursement."""

    def apply(locked: Programme) -> list[str]:
        if locked.coverage_years is None and locked.covered_until is None:
            raise TransitionRefused(
                "Set the coverage period (coverage_years or covered_until) first.", code="programme_no_period"
            )
        if not locked.product_models.exists():
            raise TransitionRefused("Say which product models the programme covers.", code="programme_no_models")
        if not locked.summary.strip():
            raise TransitionRefused("Write the summary customers will read.", code="programme_no_summary")
        if not locked.pattern.cause_known:
            raise TransitionRefused(
                f"Pattern {locked.pattern.code} is not root-caused yet: a programme needs a known fault.",
                code="programme_pattern_not_root_caused",
            )
        if locked.covered_until is not None and locked.covered_until < timezone.localdate():
            raise TransitionRefused("The coverage period has already ended.", code="programme_period_over")
        locked.activated_at = timezone.now()
        return ["activated_at"]

    activated = programme_transition(programme=programme, action="activate", actor=actor, source=source, apply=apply)
    if activated.reimburse_paid_repairs:
        reimbursements_propose(programme=activated)
    return activated


def programme_close(*, programme: Programme, actor: Actor, source: str, reason: str = "") -> Programme:
    """End the programme: no new cover, no more notices; returns already covered keep their cover."""

    def apply(locked: Programme) -> list[str]:
        locked.closed_at = timezone.now()
        return ["closed_at"]

    return programme_transition(
        programme=programme, action="close", actor=actor, source=source, apply=apply, reason=reason.strip()
    )


# Eligibility -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Eligibility:
    programme: Programme
    covered_until: dt.date


def covered_until(programme: Programme, device: Device) -> dt.date | None:
    return policy.programme_covered_until(
        warranty_starts_on=device.warranty_starts_on,
        coverage_years=programme.coverage_years,
        covered_until=programme.covered_until,
    )


def programme_covers(programme: Programme, device: Device, *, listed: bool) -> bool:
    """Whether the unit is in the programme's population (the caller has checked its model)."""
    if device.shipped_on is None:  # in stock: not in service yet
        return False
    if programme.lots and device.lot not in programme.lots:
        return False
    if programme.firmware_versions and device.firmware_version not in programme.firmware_versions:
        return False
    for day, start, end in (
        (device.manufactured_on, programme.built_from, programme.built_to),
        (device.shipped_on, programme.shipped_from, programme.shipped_to),
    ):
        if (start or end) and day is None:
            return False
        if start and day < start:  # type: ignore[operator]
            return False
        if end and day > end:  # type: ignore[operator]
            return False
    return not programme.has_serial_list or listed


DEVICE_FIELDS = ("serial_number", "lot", "firmware_version", "manufactured_on", "shipped_on", "purchased_on")


def _candidates() -> QuerySet[Programme]:
    return Programme.objects.filter(status=P.ACTIVE).select_related("pattern").order_by("code")


def _eligible(
    candidates: Sequence[Programme], device: Device, listed: set[int], on: dt.date | None
) -> list[Eligibility]:
    on = on or timezone.localdate()
    found = []
    for programme in candidates:
        if not programme_covers(programme, device, listed=programme.pk in listed):
            continue
        until = covered_until(programme, device)
        if until is not None and until >= on:
            found.append(Eligibility(programme, until))
    return found


def programmes_for_device(device: Device, *, on: dt.date | None = None) -> list[Eligibility]:
    """The active programmes that cover ``device`` on ``on`` (today), each with its last day of cover.

    One query whatever the number of programmes: the programmes of the unit's model, each with
    whether the unit's serial is on its uploaded list.
    """
    listed_here = ProgrammeSerial.objects.filter(programme=OuterRef("pk"), serial_number=device.serial_number)
    candidates = list(_candidates().filter(product_models=device.product_model_id).annotate(listed=Exists(listed_here)))
    return _eligible(candidates, device, {programme.pk for programme in candidates if programme.listed}, on)


def eligibility_by_serial(serial_number: str, *, on: dt.date | None = None) -> tuple[str, list[Eligibility]]:
    """The normalised serial and the programmes covering it; an unknown serial is covered by none.

    One query: the active programmes of the unit's model joined to the unit by its serial, with the
    unit's facts the rules need and whether its serial is on each programme's list.
    """
    serial = normalise_serial(serial_number)
    if not serial:
        return serial, []
    unit = "product_models__devices__"
    listed_here = ProgrammeSerial.objects.filter(programme=OuterRef("pk"), serial_number=serial)
    candidates = list(
        _candidates()
        .filter(**{f"{unit}serial_number": serial})
        .annotate(listed=Exists(listed_here), **{f"unit_{name}": F(unit + name) for name in DEVICE_FIELDS})
    )
    if not candidates:
        return serial, []
    first = candidates[0]
    device = Device(**{name: getattr(first, f"unit_{name}") for name in DEVICE_FIELDS})
    return serial, _eligible(candidates, device, {programme.pk for programme in candidates if programme.listed}, on)


def programme_facts(
    device: Device, *, reported_on: dt.date, outcome: str, pattern: FailurePattern | None, confirmed: bool
):
    """The facts the warranty policy needs to decide programme cover for a return (SPEC §11)."""
    covers = [
        policy.ProgrammeCover(
            code=found.programme.code, pattern_code=found.programme.pattern.code, covered_until=found.covered_until
        )
        for found in programmes_for_device(device, on=reported_on)
    ]
    return policy.ProgrammeFacts(
        outcome=outcome, pattern_code=pattern.code if pattern else None, pattern_confirmed=confirmed, programmes=covers
    )


def eligible_devices(
    programme: Programme, *, on: dt.date | None = None, within_period: bool = True
) -> QuerySet[Device]:
    """Units in service that the programme covers on ``on`` (today): the same rules as ``programme_covers``.

    ``within_period=False``: its whole population, whether or not a unit's period has run out.
    """
    on = on or timezone.localdate()
    devices = Device.objects.filter(product_model__in=programme.product_models.values("pk"), shipped_on__isnull=False)
    if programme.lots:
        devices = devices.filter(lot__in=programme.lots)
    if programme.firmware_versions:
        devices = devices.filter(firmware_version__in=programme.firmware_versions)
    for field, start, end in (
        ("manufactured_on", programme.built_from, programme.built_to),
        ("shipped_on", programme.shipped_from, programme.shipped_to),
    ):
        if start:
            devices = devices.filter(**{f"{field}__gte": start})
        if end:
            devices = devices.filter(**{f"{field}__lte": end})
    if programme.has_serial_list:
        devices = devices.filter(serial_number__in=programme.serials.values("serial_number"))
    if not within_period:
        return devices
    if programme.covered_until is not None:
        if programme.covered_until < on:
            return devices.none()
    elif programme.coverage_years is not None:
        # period_end(start, years) >= on  ⇔  start > on less the years
        cut = policy.add_months(on, -12 * programme.coverage_years)
        devices = devices.filter(Q(purchased_on__gt=cut) | Q(purchased_on__isnull=True, shipped_on__gt=cut))
    return devices


# What customers read ------------------------------------------------------------------------------------


def remedy_words(programme: Programme) -> Said:
    words: dict[str, Said] = {
        Programme.Remedy.REPAIR: say("we repair it free of charge"),
        Programme.Remedy.REPLACE: say("we replace it free of charge"),
        Programme.Remedy.REFUND: say("we refund its purchase price"),
    }
    return words[programme.remedy]


def programme_public_text(programme: Programme, until: dt.date | None = None) -> Said:
    """The promise, built from the programme's own facts (so it says nothing the policy does not honour).

    A saying: pages say it at once, the owners' e-mail keeps it and says it in each reader's language.
    """
    if until is None and programme.covered_until is not None:
        until = programme.covered_until
    if until is not None:
        period = say("until %(day)s", day=until)
    else:
        years = programme.coverage_years or 0
        period = say_plural(
            "for %(count)s year from the start of its warranty",
            "for %(count)s years from the start of its warranty",
            years,
        )
    return say(
        "%(summary)s If your device shows this fault %(period)s, %(remedy)s, whatever its warranty says. "
        "Start a return and our technicians will confirm the fault.",
        summary=programme.summary.strip(),
        period=period,
        remedy=remedy_words(programme),
    )


def programme_notices(rma: RMA) -> list[Notice]:
    """Status-page notices: the programmes covering the return's unit, and reimbursements of the return."""
    notices = [
        Notice(
            title=gettext("Service programme %(code)s: %(title)s")
            % {"code": found.programme.code, "title": found.programme.title},
            body=str(programme_public_text(found.programme, found.covered_until)),
            url="/programmes/",
        )
        for found in programmes_for_device(rma.device)
    ]
    for reimbursement in (
        Reimbursement.objects.filter(rma=rma).exclude(status=Reimbursement.Status.DECLINED).select_related("programme")
    ):
        notices.append(
            Notice(title=gettext("Your repair is being paid back"), body=str(reimbursement_words(reimbursement)))
        )
    return notices


def reimbursement_words(reimbursement: Reimbursement) -> Said:
    """Said on the status page and kept on the timeline (and in the e-mail) when a reimbursement is approved."""
    values = {
        "amount": Decimal(str(reimbursement.amount)),
        "currency": reimbursement.currency,
        "code": reimbursement.programme.code,
    }
    if reimbursement.status == Reimbursement.Status.APPROVED:
        return say(
            "The fault you paid us to repair is covered by our service programme %(code)s, so we are paying you "
            "back %(amount)s %(currency)s. It will reach you within 14 days.",
            **values,
        )
    return say(
        "The fault you paid us to repair is covered by our service programme %(code)s. We are arranging to pay you "
        "back %(amount)s %(currency)s and will write to you once it is on its way.",
        **values,
    )


# Telling the owners ---------------------------------------------------------------------------------------


@transaction.atomic
def programme_notify_owners(*, programme: Programme, actor: Actor, source: str) -> Programme:
    """E-mail every owner of an eligible unit in service, once each, in the background."""
    registry.get("programme", "notify_owners").check_permission(actor, source)
    locked = Programme.objects.select_for_update().get(pk=programme.pk)
    if locked.status != P.ACTIVE:
        raise TransitionRefused("Only an active programme can be announced to owners.", code="programme_not_active")
    if locked.owners_notified_at is None:
        locked.owners_notified_at = timezone.now()
        locked.save(update_fields=["owners_notified_at"])
    programme_id = locked.pk
    transaction.on_commit(lambda: enqueue("diagnostics.tasks.programme_notify_owners", programme_id))
    return locked


def notice_context(programme: Programme) -> dict[str, Any]:
    return {
        "code": programme.code,
        "title": programme.title,
        "text": programme_public_text(programme).as_json(),
        "remedy": programme.remedy,
        "check_url": settings.RMA_PUBLIC_BASE_URL.rstrip("/") + reverse("programmes:check"),
        "start_url": settings.RMA_PUBLIC_BASE_URL.rstrip("/") + reverse("rma:start"),
    }


def _key_prefix(programme: Programme) -> str:
    return f"programme:{programme.pk}:"


def programme_owner_emails_queue(*, programme_id: int) -> int:
    """Write one notice per owner of an eligible unit who has none yet; returns how many were written.

    One INSERT ... SELECT with ON CONFLICT DO NOTHING on the outbox's unique key: each owner once
    across runs, and across concurrent runs (the programme's row is locked too). Written on the bulk
    queue (templates named ``programme_...``), drained after commit.
    """
    with transaction.atomic():
        programme = Programme.objects.select_for_update().filter(pk=programme_id, status=P.ACTIVE).first()
        if programme is None:
            return 0
        started = timezone.now()
        owners_sql, owners_params = (
            eligible_devices(programme)
            .filter(owner__isnull=False)
            .order_by()
            .values("owner_id")
            .query.sql_with_params()
        )
        given: dict[str, tuple[str, list[Any]]] = {
            "key": ("%s || c.id", [_key_prefix(programme)]),
            "customer": ("c.id", []),
            "to_email": ("c.email", []),
            "rma": ("NULL", []),
            "template": ("%s", [NOTICE_TEMPLATE]),
            "context": ("%s", [json.dumps(notice_context(programme))]),
            "queue": ("%s", [outbox_queue_for(NOTICE_TEMPLATE)]),
        }
        moment = OutboxMessage._meta.get_field("created_at")
        assert isinstance(moment, Field)
        for name in ("created_at", "next_attempt_at"):
            given[name] = ("%s", [moment.get_db_prep_save(started, connection)])
        columns, values, params = [], [], []
        for field in OutboxMessage._meta.concrete_fields:
            if field.primary_key:
                continue
            columns.append(connection.ops.quote_name(str(field.column)))
            if field.name in given:
                sql, field_params = given[field.name]
            else:  # every other column (status, attempts, ... and any added later) takes the model's default
                sql, field_params = "%s", [field.get_db_prep_save(field.get_default(), connection)]
            if connection.vendor == "postgresql" and field.name == "context":
                sql = "%s::jsonb"
            values.append(sql)
            params.extend(field_params)
        insert = (
            f"INSERT INTO {connection.ops.quote_name(OutboxMessage._meta.db_table)} ({', '.join(columns)}) "
            f"SELECT {', '.join(values)} FROM {connection.ops.quote_name(Customer._meta.db_table)} c "
            f"WHERE c.id IN ({owners_sql}) AND c.email NOT LIKE %s "
            "ON CONFLICT (key) DO NOTHING"
        )
        with connection.cursor() as cursor:
            cursor.execute(insert, [*params, *owners_params, f"%@{ERASED_EMAIL_DOMAIN}"])
            written = max(cursor.rowcount, 0)
        if written:
            Programme.objects.filter(pk=programme.pk).update(owners_notified=programme.owners_notified + written)
        if written:
            drain_after_commit(outbox_queue_for(NOTICE_TEMPLATE))
    return written


# Reimbursements ----------------------------------------------------------------------------------------------


def paid_repairs(programme: Programme) -> QuerySet[RMA]:
    """Paid repairs of the programme's fault on its units, opened before it started."""
    latest = Diagnosis.objects.filter(
        pattern=programme.pattern, outcome=Diagnosis.Outcome.CONFIRMED, rma__coverage=RMA.Coverage.PAID
    )
    return (
        RMA.objects.filter(
            coverage=RMA.Coverage.PAID,
            quote_status=RMA.QuoteStatus.ACCEPTED,
            quote_amount__gt=0,
            created_at__lt=programme.activated_at,
            device__in=_population(programme),
            pk__in=latest.values("rma_id"),
            customer__isnull=False,
        )
        .select_related("customer", "device")
        .order_by("pk")
    )


def _population(programme: Programme) -> QuerySet[Device]:
    """The programme's units whatever the date (a paid repair is reimbursed even if the period has since run out)."""
    return eligible_devices(programme, within_period=False).values("pk")  # type: ignore[return-value]


def reimbursements_propose(*, programme: Programme) -> list[Reimbursement]:
    """One proposal per earlier paid repair of the fault on an eligible unit (at most one each, by constraint)."""
    proposals = [
        Reimbursement(programme=programme, rma=rma, amount=rma.quote_amount, currency=settings.RMA_QUOTE_CURRENCY)
        for rma in paid_repairs(programme)
        if rma.quote_amount is not None
    ]
    with transaction.atomic():
        Reimbursement.objects.bulk_create(proposals, ignore_conflicts=True)
    return list(Reimbursement.objects.filter(programme=programme))


@transaction.atomic
def reimbursement_approve(
    *, reimbursement: Reimbursement, actor: Actor, source: str, reason: str = ""
) -> Reimbursement:
    """A supervisor approves paying the customer back; they are e-mailed and see it on their status page."""
    return _decide(reimbursement, "approve", Reimbursement.Status.APPROVED, actor, source, reason)


@transaction.atomic
def reimbursement_decline(*, reimbursement: Reimbursement, actor: Actor, source: str, reason: str) -> Reimbursement:
    """Decline a proposal (e.g. the repair was already refunded another way), with the reason."""
    if not reason.strip():
        raise InvalidInput("Say why the reimbursement is declined.", code="reason_required", field="reason")
    return _decide(reimbursement, "decline", Reimbursement.Status.DECLINED, actor, source, reason)


def _decide(
    reimbursement: Reimbursement, action: str, to: str, actor: Actor, source: str, reason: str
) -> Reimbursement:
    declared = registry.get("reimbursement", action)
    declared.check_permission(actor, source)
    locked = Reimbursement.objects.select_for_update().select_related("programme", "rma").get(pk=reimbursement.pk)
    declared.check_status(locked, name=f"The reimbursement of {locked.rma.number}")
    locked.status = to
    locked.decided_at = timezone.now()
    locked.decided_by = staff_actor(actor)
    locked.reason = reason.strip()
    locked.save(update_fields=["status", "decided_at", "decided_by", "reason"])
    data = {"programme": locked.programme.code, "amount": str(locked.amount), "currency": locked.currency}
    if to == Reimbursement.Status.APPROVED:
        record_event(
            rma=locked.rma,
            action="reimburse",
            actor=actor,
            source=source,
            customer_message=reimbursement_words(locked),
            internal_note=f"Reimbursement under {locked.programme.code} approved. {locked.reason}".strip(),
            data=data,
        )
    else:
        record_event(
            rma=locked.rma,
            action="reimbursement_declined",
            actor=actor,
            source=source,
            internal_note=f"Reimbursement under {locked.programme.code} declined: {locked.reason}",
            data=data,
        )
    return locked


# Progress --------------------------------------------------------------------------------------------------


def programme_progress(programme: Programme) -> dict[str, Any]:
    """Eligible units in service, owners notified, returns opened, remedied, reimbursed, cost, completion."""
    eligible = eligible_devices(programme).count()
    covered = RMA.objects.filter(programme_code=programme.code)
    since = programme.activated_at
    opened = (
        RMA.objects.filter(device__in=eligible_devices(programme).values("pk"), created_at__gte=since).count()
        if since
        else 0
    )
    remedied = covered.filter(status__in=[RMA.Status.SHIPPED, RMA.Status.CLOSED])
    reimbursed = Reimbursement.objects.filter(programme=programme, status=Reimbursement.Status.APPROVED)
    by_currency = {
        row["currency"]: row["total"]
        for row in reimbursed.values("currency").annotate(total=Sum("amount")).order_by("currency")
    }
    weekly = (
        remedied.filter(shipped_at__isnull=False)
        .annotate(week=TruncWeek("shipped_at"))
        .values("week")
        .annotate(n=Count("id"))
        .order_by("week")
    )
    completion, total = [], 0
    for row in weekly:
        total += row["n"]
        week = row["week"].date() if isinstance(row["week"], dt.datetime) else row["week"]
        completion.append(
            {"week": week.isoformat(), "remedied": total, "share": round(total / eligible, 4) if eligible else 0.0}
        )
    return {
        "code": programme.code,
        "status": programme.status,
        "eligible_in_service": eligible,
        "owners_notified": programme.owners_notified,
        "returns_opened": opened,
        "covered_returns": covered.count(),
        "remedied": remedied.count(),
        "reimbursements_proposed": Reimbursement.objects.filter(
            programme=programme, status=Reimbursement.Status.PROPOSED
        ).count(),
        "reimbursed": reimbursed.count(),
        "cost": {
            "remedies": remedied.count(),
            "reimbursed": {currency: str(total or Decimal("0.00")) for currency, total in by_currency.items()},
        },
        "completion": completion,
    }
