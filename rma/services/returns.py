"""One service per lifecycle action. Each goes through ``rma_transition``."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.exceptions import InvalidInput, TransitionRefused
from core.phrases import Said, say, say_plural
from rma import lifecycle, policy
from rma.models import RMA, Device, Refund, Source
from rma.selectors import submission_key_hash
from rma.services.centres import centre_route
from rma.services.compensation import compensation_assess
from rma.services.devices import (
    customer_get_or_create,
    device_lock_in_service,
    device_put_in_service,
    replacement_device_take,
)
from rma.services.ownership import (
    owner_notify,
    owner_register,
    ownership_at_start,
    ownership_check_before_authorize,
    rma_supersede,
    supersedes,
)
from rma.services.transitions import (
    Actor,
    Change,
    custody_move,
    promised_date,
    record_event,
    rma_action,
    rma_transition,
    status_deadline,
)

S = RMA.Status
D = RMA.Disposition

NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32: no I, L, O, U


def rma_number_new() -> str:
    """A number that cannot be guessed from its neighbours: 40 random bits."""
    return "RMA-" + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))


def _previous_shipped_rma(device: Device) -> RMA | None:
    """The last return that sent this unit out to the customer: its own repair, or it as a replacement."""
    return (
        RMA.objects.filter(shipped_at__isnull=False)
        .filter(Q(device=device, disposition=D.RETURNED_TO_CUSTOMER) | Q(replacement_device=device))
        .order_by("-shipped_at")
        .first()
    )


def rma_coverage_decide(
    *, device: Device, reported_on: date, previous: RMA | None = None
) -> tuple[policy.CoverageDecision, RMA | None]:
    """Coverage at the start of a return: warranty by date, or a repeat failure covered regardless.

    ``previous`` names the earlier return when the customer has told us it did not hold.
    """
    warranty = policy.warranty_decide(reported_on=reported_on, warranty_ends_on=device.warranty_ends_on)
    previous = previous or _previous_shipped_rma(device)
    repeat = policy.repeat_decide(
        reported_on=reported_on,
        previous_shipped_on=timezone.localdate(previous.shipped_at) if previous and previous.shipped_at else None,
        window_days=settings.REPEAT_FAILURE_DAYS,
    )
    if repeat:
        return policy.CoverageDecision(RMA.Coverage.WARRANTY, True, repeat.code, repeat.reason), previous
    return warranty, None


@transaction.atomic
def rma_create(
    *,
    serial_number: str,
    customer_email: str,
    customer_name: str = "",
    fault_description: str,
    channel: str = RMA.Channel.WEB,
    actor: Actor,
    source: str,
    phone: str = "",
    reported_on: date | None = None,
    repeat_of: RMA | None = None,
    idempotency_key: str = "",
    language: str = "",
    country: str = "",
) -> RMA:
    """Open a return: decide coverage from the policy and acknowledge the customer at once.

    ``language`` is the one the customer started it in: their pages and e-mails follow it.

    With an ``idempotency_key`` (a form's one-time submission id, an API client's key), opening the
    same return again returns the first one instead of refusing it.
    """
    if not fault_description.strip():
        raise InvalidInput("Please describe the fault.", code="fault_description_required", field="fault_description")
    # An unknown serial and a unit never sold are refused after the same single query.
    device = device_lock_in_service(serial_number)
    submission_key = submission_key_hash(idempotency_key) if idempotency_key else None
    if submission_key is not None:
        existing = RMA.objects.filter(submission_key=submission_key).first()
        if existing is not None:
            if existing.device_id != device.pk:
                raise TransitionRefused(
                    "This submission was already used for another device.", code="idempotency_key_reused"
                )
            return existing
    customer = customer_get_or_create(email=customer_email, name=customer_name, phone=phone, language=language)
    ownership = ownership_at_start(device=device, customer=customer, actor=actor, confirmed=repeat_of is not None)
    open_rma = RMA.objects.filter(device=device).exclude(status__in=lifecycle.FINAL_STATUSES).first()
    superseded = None
    if open_rma is not None:
        if not supersedes(open_rma=open_rma, device=device, customer=customer):
            raise TransitionRefused(
                f"{device.serial_number} already has an open return ({open_rma.number}).", code="open_rma_exists"
            )
        superseded = open_rma
    if country.strip() and customer.country != country.strip().upper():
        customer.country = country.strip().upper()
        customer.save(update_fields=["country"])
    centre = centre_route(customer=customer, device=device)
    reported_on = reported_on or timezone.localdate()
    decision, previous = rma_coverage_decide(device=device, reported_on=reported_on, previous=repeat_of)
    if repeat_of is not None:
        previous = repeat_of
    now = timezone.now()
    rma = RMA(
        device=device,
        customer=customer,
        fault_description=fault_description.strip(),
        channel=channel,
        coverage=decision.coverage,
        coverage_reason=decision.reason,
        is_repeat=previous is not None,
        repeat_of=previous,
        ownership=ownership,
        submission_key=submission_key,
        reported_on=reported_on,
        centre=centre,
        due_at=status_deadline(S.SUBMITTED, now, centre),
        status_changed_at=now,
        created_at=now,
        updated_at=now,
    )
    if superseded is not None:  # drawn first: the owner's return takes the unit's one open place
        rma.number = _unused_number()
        rma_supersede(rma=superseded, actor=actor, source=source, by_number=rma.number)
    for _attempt in range(5):
        rma.number = rma.number or rma_number_new()
        try:
            with transaction.atomic():
                rma.save(force_insert=True)
            break
        except IntegrityError:
            if RMA.objects.filter(number=rma.number).exists():
                rma.number = ""
                continue
            raise
    else:
        raise RuntimeError("Could not draw an unused RMA number; is the number generator broken?")
    message = say("We have received your return request %(number)s.", number=rma.number) + (
        PROOF_REQUEST if ownership == RMA.Ownership.TO_CONFIRM else lifecycle.CUSTOMER_SENTENCES[S.SUBMITTED]
    )
    record_event(
        rma=rma,
        action="create",
        actor=actor,
        source=source,
        to_status=S.SUBMITTED,
        customer_message=message,
        internal_note=decision.reason,
        data={
            "coverage": decision.coverage,
            "coverage_code": decision.code,
            "in_warranty": decision.in_warranty,
            **({"ownership": ownership} if ownership else {}),
            **({"supersedes": superseded.number} if superseded is not None else {}),
        },
    )
    if ownership and device.owner is not None:
        owner_notify(rma=rma, owner=device.owner)
    return rma


PROOF_REQUEST = say(
    "This device is registered to someone else, so before we go further we need to check that it is yours: "
    "please upload a proof of purchase (a photo or PDF of the receipt or invoice) on your return's page. "
    "We will look at it within one working day."
)


def _unused_number() -> str:
    for _attempt in range(5):
        number = rma_number_new()
        if not RMA.objects.filter(number=number).exists():
            return number
    raise RuntimeError("Could not draw an unused RMA number; is the number generator broken?")


def rma_authorize(*, rma: RMA, actor: Actor, source: str, instructions: str = "") -> RMA:
    message = rma_action("authorize").customer_message
    if instructions.strip():
        message += "\n\n" + instructions.strip()

    def apply(locked: RMA, change: Change) -> None:
        ownership_check_before_authorize(locked)
        owner_register(rma=locked, change=change)

    return rma_transition(
        rma=rma, action="authorize", actor=actor, source=source, customer_message=message, apply=apply
    )


def rma_reject(*, rma: RMA, actor: Actor, source: str, reason: str) -> RMA:
    if not reason.strip():
        raise InvalidInput("A rejection needs a reason the customer can read.", code="reason_required", field="reason")
    return rma_transition(
        rma=rma,
        action="reject",
        actor=actor,
        source=source,
        customer_message=say("We are sorry, we cannot accept this return: %(reason)s", reason=reason.strip()),
        data={"reason": reason.strip()},
    )


def rma_cancel(*, rma: RMA, actor: Actor, source: str, reason: str = "") -> RMA:
    return rma_transition(
        rma=rma, action="cancel", actor=actor, source=source, internal_note=reason.strip(), data={"reason": reason}
    )


def rma_receive(*, rma: RMA, actor: Actor, source: str, inbound_tracking: str = "") -> RMA:
    def apply(locked: RMA, change: Change) -> None:
        now = timezone.now()
        promised_on = promised_date(locked.centre, now)
        change.set(locked, received_at=now, promised_on=promised_on)
        if inbound_tracking.strip():
            change.set(locked, inbound_tracking=inbound_tracking.strip())
        custody_move(rma=locked, change=change, to=D.IN_REPAIR_CENTRE, actor=actor, source=source)
        change.customer_message += say("We aim to have it on its way back to you by %(date)s.", date=promised_on)
        change.data["promised_on"] = promised_on.isoformat()

    return rma_transition(rma=rma, action="receive", actor=actor, source=source, apply=apply)


def rma_start_diagnosis(*, rma: RMA, actor: Actor, source: str) -> RMA:
    return rma_transition(rma=rma, action="start_diagnosis", actor=actor, source=source)


def rma_record_diagnosis(
    *,
    rma: RMA,
    actor: Actor,
    source: str,
    summary: str,
    customer_message: Said | str,
    repeat: policy.Decision | None = None,
    data: dict | None = None,
    programme: policy.ProgrammeFacts | None = None,
) -> RMA:
    """Record a diagnosis on the timeline; the diagnostics app owns the diagnosis itself.

    ``repeat`` is the repeat-failure decision once the failed component is known: a suspected
    repeat with a different fault loses its repeat cover and falls back to the warranty decision.
    ``programme`` holds what the diagnosis found and the service programmes covering the unit: a
    confirmed fault of a programme's pattern within its period is covered by the programme (SPEC §11).
    """

    def apply(locked: RMA, change: Change) -> None:
        _repeat_apply(locked, change)
        if programme is not None:
            programme_cover_apply(locked, change, programme)

    def _repeat_apply(locked: RMA, change: Change) -> None:
        if repeat is None or not locked.is_repeat:
            return
        change.data["repeat"] = {"code": repeat.code, "reason": repeat.reason}
        if repeat:
            change.set(locked, coverage_reason=repeat.reason)
            return
        warranty = policy.warranty_decide(
            reported_on=locked.reported_on, warranty_ends_on=locked.device.warranty_ends_on
        )
        change.set(
            locked,
            is_repeat=False,
            repeat_of=None,
            coverage=warranty.coverage,
            coverage_reason=f"{repeat.reason} {warranty.reason}",
        )

    return rma_transition(
        rma=rma,
        action="record_diagnosis",
        actor=actor,
        source=source,
        apply=apply,
        customer_message=customer_message,
        internal_note=summary,
        data=data,
    )


def programme_cover_apply(locked: RMA, change: Change, facts: policy.ProgrammeFacts) -> None:
    """Cover a return by a service programme, or take back a programme's cover a new diagnosis no longer supports."""
    covers = locked.coverage in (RMA.Coverage.WARRANTY, RMA.Coverage.GOODWILL, RMA.Coverage.PAID)
    decision = policy.programme_decide(reported_on=locked.reported_on, warranty_covers=covers, facts=facts)
    if decision is not None:
        if locked.programme_code != decision.programme:
            change.customer_message += say(
                "Good news: this fault is covered by our service programme %(code)s, so the remedy is free of charge.",
                code=decision.programme,
            )
        change.set(
            locked, coverage=decision.coverage, coverage_reason=decision.reason, programme_code=decision.programme
        )
        if locked.quote_status == RMA.QuoteStatus.PENDING:
            change.set(locked, quote_status=RMA.QuoteStatus.NONE, quote_amount=None)
        change.data["programme"] = {"code": decision.programme, "reason": decision.reason}
        return
    if locked.coverage == RMA.Coverage.PROGRAMME:
        warranty = policy.warranty_decide(
            reported_on=locked.reported_on, warranty_ends_on=locked.device.warranty_ends_on
        )
        change.set(
            locked,
            coverage=warranty.coverage,
            coverage_reason=f"The diagnosis no longer confirms a service programme's fault. {warranty.reason}",
            programme_code="",
        )
        change.data["programme"] = {"code": None, "reason": warranty.reason}


def _require_cover(locked: RMA, *allowed: str) -> None:
    if locked.coverage not in allowed:
        raise TransitionRefused(
            f"{locked.number} is not covered ({locked.coverage_reason or 'no cover'}): "
            "quote a paid repair, or grant goodwill if it is eligible.",
            code="not_covered",
        )


def rma_repair(*, rma: RMA, actor: Actor, source: str) -> RMA:
    def apply(locked: RMA, change: Change) -> None:
        _require_cover(locked, RMA.Coverage.WARRANTY, RMA.Coverage.PROGRAMME)
        if locked.disposition == D.RETAINED_FOR_RCA:
            raise TransitionRefused(
                f"The unit of {locked.number} is retained for root-cause analysis: it cannot be repaired.",
                code="unit_retained",
            )
        if locked.disposition != D.IN_REPAIR_CENTRE:
            raise TransitionRefused(
                f"The unit of {locked.number} is not in the repair centre ({locked.get_disposition_display()}).",
                code="unit_not_in_custody",
            )

    return rma_transition(rma=rma, action="repair", actor=actor, source=source, apply=apply)


def rma_replace(*, rma: RMA, actor: Actor, source: str, replacement_serial: str) -> RMA:
    def apply(locked: RMA, change: Change) -> None:
        _require_cover(locked, RMA.Coverage.WARRANTY, RMA.Coverage.PROGRAMME, RMA.Coverage.PAID)
        replacement = replacement_device_take(failed=locked.device, serial_number=replacement_serial)
        change.set(locked, replacement_device=replacement)
        change.data["replacement_serial"] = replacement.serial_number

    return rma_transition(rma=rma, action="replace", actor=actor, source=source, apply=apply)


def rma_ship(*, rma: RMA, actor: Actor, source: str, tracking_number: str) -> RMA:
    """Ship a unit back: the repaired or unrepaired unit, or the replacement."""
    tracking = tracking_number.strip()
    if not tracking:
        raise InvalidInput("Shipping needs a tracking number.", code="tracking_required", field="tracking_number")

    def apply(locked: RMA, change: Change) -> None:
        now = timezone.now()
        replacement = locked.replacement_device
        if replacement is not None:
            device_put_in_service(device=replacement, owner=locked.customer, shipped_on=timezone.localdate(now))
            what = say(
                "Your replacement device (%(serial)s) is on its way. Tracking number: %(tracking)s.",
                serial=replacement.serial_number,
                tracking=tracking,
            )
        elif locked.disposition == D.RETAINED_FOR_RCA:
            raise TransitionRefused(
                f"The unit of {locked.number} is retained for root-cause analysis and can never be shipped back.",
                code="unit_retained",
            )
        elif locked.disposition != D.IN_REPAIR_CENTRE:
            raise TransitionRefused(
                f"The unit of {locked.number} is not in the repair centre ({locked.get_disposition_display()}).",
                code="unit_not_in_custody",
            )
        else:
            custody_move(rma=locked, change=change, to=D.RETURNED_TO_CUSTOMER, actor=actor, source=source)
            what = say("Your device is on its way back to you. Tracking number: %(tracking)s.", tracking=tracking)
        change.set(locked, outbound_tracking=tracking, shipped_at=now)
        compensation_assess(rma=locked, today=timezone.localdate(now))
        change.customer_message = what
        change.data["tracking_number"] = tracking

    return rma_transition(rma=rma, action="ship", actor=actor, source=source, apply=apply)


def rma_retain_unit(
    *, rma: RMA, actor: Actor, source: str, on_retained: Callable[[RMA], object], note: str = ""
) -> RMA:
    """Keep the failed unit for root-cause analysis (it will not go back to the customer).

    ``on_retained(rma)`` runs in the same transaction, with the RMA locked, once the unit is kept:
    the caller that owns root-cause analysis opens the unit's case there.
    """

    def apply(locked: RMA, change: Change) -> None:
        if locked.disposition == D.RETAINED_FOR_RCA:
            raise TransitionRefused(f"The unit of {locked.number} is already retained.", code="already_retained")
        if locked.disposition != D.IN_REPAIR_CENTRE:
            raise TransitionRefused(
                f"The unit of {locked.number} is not in the repair centre ({locked.get_disposition_display()}).",
                code="unit_not_in_custody",
            )
        if locked.status == S.REPAIRING:
            raise TransitionRefused(
                "The unit is being repaired for the customer; it cannot be retained.", code="unit_owed_to_customer"
            )
        custody_move(rma=locked, change=change, to=D.RETAINED_FOR_RCA, actor=actor, source=source, note=note)
        on_retained(locked)

    return rma_transition(rma=rma, action="retain_unit", actor=actor, source=source, apply=apply, internal_note=note)


def rma_dispose_unit(
    *, rma: RMA, actor: Actor, source: str, disposition: str, analysis_closed: bool, note: str = ""
) -> RMA:
    """Scrap the failed unit or put it into refurbishment stock.

    A unit retained for root-cause analysis can be scrapped only once its analysis is closed, and is
    never refurbished.
    """
    if disposition not in (D.SCRAPPED, D.REFURBISHED_STOCK):
        raise InvalidInput("A unit can be scrapped or refurbished.", code="invalid_disposition", field="disposition")

    def apply(locked: RMA, change: Change) -> None:
        if locked.disposition == D.RETAINED_FOR_RCA:
            if disposition != D.SCRAPPED:
                raise TransitionRefused("A unit kept for analysis is never refurbished.", code="unit_retained")
            if not analysis_closed:
                raise TransitionRefused(
                    f"The unit of {locked.number} is still under root-cause analysis: close the case first.",
                    code="analysis_open",
                )
        elif locked.disposition != D.IN_REPAIR_CENTRE:
            raise TransitionRefused(
                f"The unit of {locked.number} is not in the repair centre ({locked.get_disposition_display()}).",
                code="unit_not_in_custody",
            )
        elif locked.replacement_device_id is None and not Refund.objects.filter(rma=locked).exists():
            raise TransitionRefused(
                "The customer's own unit is owed back to them: replace it, or record a refund, before disposing of it.",
                code="unit_owed_to_customer",
            )
        custody_move(rma=locked, change=change, to=disposition, actor=actor, source=source, note=note)

    return rma_transition(rma=rma, action="dispose_unit", actor=actor, source=source, apply=apply, internal_note=note)


def rma_add_note(*, rma: RMA, actor: Actor, source: str, note: str = "", customer_message: str = "") -> RMA:
    if not note.strip() and not customer_message.strip():
        raise InvalidInput("Write a note or a message.", code="note_required", field="note")
    return rma_transition(
        rma=rma,
        action="note",
        actor=actor,
        source=source,
        internal_note=note.strip(),
        customer_message=customer_message.strip(),
    )


def rma_expire_stale_authorizations(*, now=None) -> list[RMA]:
    """Cancel authorized returns whose unit never arrived."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.RMA_AUTHORIZATION_EXPIRY_DAYS)
    expired = []
    for rma in RMA.objects.filter(status=S.AUTHORIZED, status_changed_at__lt=cutoff).only("pk"):
        try:
            expired.append(
                rma_transition(
                    rma=rma,
                    action="cancel",
                    actor=None,
                    source=Source.TASK,
                    customer_message=say_plural(
                        "We did not receive your device within %(count)s day, so this return has been closed. "
                        "If your device still needs attention, just start a new return.",
                        "We did not receive your device within %(count)s days, so this return has been closed. "
                        "If your device still needs attention, just start a new return.",
                        settings.RMA_AUTHORIZATION_EXPIRY_DAYS,
                    ),
                    internal_note="Authorization expired.",
                )
            )
        except TransitionRefused:
            continue  # moved on meanwhile
    return expired
