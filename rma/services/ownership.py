"""Whose unit it is (SPEC §8 "Ownership"): anyone may start a return, no stranger takes a unit over.

A return started on the public page by someone other than the unit's registered owner opens with
its ownership *to confirm*: the registered owner is e-mailed, the person who started it sees nothing
of the unit beyond what they typed and is asked for a proof of purchase, and staff confirm (or
refuse) ownership before the return can be authorized. The registered owner starting their own
return supersedes such a return. A unit without a registered owner gets one when its return is
authorized, never earlier.

Staff opening a return (admin, API) are the check: they have the customer on the phone or at the
counter, so the return opens with its ownership confirmed, and the registered owner is still told.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.actors import Actor, staff_actor
from core.exceptions import TransitionRefused
from core.uploads import upload_check
from rma import public
from rma.models import RMA, Customer, Device, OutboxMessage, ProofOfPurchase, Source
from rma.notifications import outbox_enqueue
from rma.services.transitions import Change, record_event, rma_lock, rma_transition

OWN = RMA.Ownership

PROOF_TYPES = frozenset({"image/jpeg", "image/png", "application/pdf"})
PROOF_TYPES_ACCEPTED = "Please upload a photo (JPEG or PNG) or a PDF of your receipt or invoice."


def ownership_at_start(*, device: Device, customer: Customer, actor: Actor, confirmed: bool = False) -> str:
    """Whether a new return's ownership is in question: only when the unit's registered owner is someone else.

    ``confirmed``: it was checked already (a follow-up of a return we accepted).
    """
    if device.owner_id is None or device.owner_id == customer.pk:
        return OWN.NOT_IN_QUESTION
    return OWN.CONFIRMED if confirmed or staff_actor(actor) is not None else OWN.TO_CONFIRM


def supersedes(*, open_rma: RMA, device: Device, customer: Customer) -> bool:
    """The registered owner's new return replaces one a stranger started (and nobody confirmed)."""
    return (
        device.owner_id is not None
        and device.owner_id == customer.pk
        and open_rma.customer_id != customer.pk
        and open_rma.ownership == OWN.TO_CONFIRM
    )


def rma_supersede(*, rma: RMA, actor: Actor, source: str, by_number: str) -> RMA:
    """Cancel a return whose ownership was in question, because the registered owner started their own."""
    return rma_transition(
        rma=rma,
        action="supersede",
        actor=actor,
        source=source,
        internal_note=f"Superseded by {by_number}, started by the unit's registered owner.",
        data={"superseded_by": by_number},
    )


def owner_notify(*, rma: RMA, owner: Customer) -> OutboxMessage:
    """Tell the registered owner a return was started for their unit, by someone else.

    Nothing about the person who started it, and no link to its status page: a number to quote, and
    how to start their own return.
    """
    return outbox_enqueue(
        customer=owner,
        template="ownership_check",
        context={
            "device": public.unit_phrase(rma.device),
            "reference": rma.number,
            "started_on": timezone.localdate(rma.created_at),
            "start_url": settings.RMA_PUBLIC_BASE_URL.rstrip("/") + reverse("rma:start"),
        },
        key=f"ownership-check:{rma.pk}",
    )


def owner_register(*, rma: RMA, change: Change) -> None:
    """At authorization: a unit without an owner, or whose new owner staff confirmed, becomes the customer's."""
    device = rma.device
    if rma.customer_id is None or device.owner_id == rma.customer_id:
        return
    if device.owner_id is not None and rma.ownership != OWN.CONFIRMED:
        return
    device.owner_id = rma.customer_id
    device.updated_at = timezone.now()
    device.save(update_fields=["owner", "updated_at"])
    change.data["owner_registered"] = True


def ownership_check_before_authorize(rma: RMA) -> None:
    if rma.ownership == OWN.TO_CONFIRM:
        raise TransitionRefused(
            f"{rma.number} was started by someone other than the unit's registered owner: confirm ownership "
            "(a proof of purchase) before authorizing it.",
            code="ownership_unconfirmed",
        )


def _ownership_in_question(locked: RMA) -> None:
    if locked.ownership != OWN.TO_CONFIRM:
        raise TransitionRefused(f"{locked.number}'s ownership is not in question.", code="ownership_not_in_question")


def rma_confirm_ownership(*, rma: RMA | int, actor: Actor, source: str, note: str = "") -> RMA:
    """Staff have seen a proof of purchase: the return may go ahead (and its unit changes owner when authorized)."""

    def apply(locked: RMA, change: Change) -> None:
        _ownership_in_question(locked)
        change.set(locked, ownership=OWN.CONFIRMED)

    return rma_transition(
        rma=rma, action="confirm_ownership", actor=actor, source=source, apply=apply, internal_note=note.strip()
    )


def rma_refuse_ownership(*, rma: RMA | int, actor: Actor, source: str, note: str = "") -> RMA:
    """Staff could not confirm that the person who started the return owns the unit: it is rejected."""

    def apply(locked: RMA, change: Change) -> None:
        _ownership_in_question(locked)
        change.set(locked, ownership=OWN.REFUSED)

    return rma_transition(
        rma=rma, action="refuse_ownership", actor=actor, source=source, apply=apply, internal_note=note.strip()
    )


@transaction.atomic
def proof_of_purchase_add(*, rma: RMA | int, file: UploadedFile, source: str = Source.PAGE) -> ProofOfPurchase:
    """Store a receipt or invoice for a return whose ownership is to confirm (checked by content, like
    every upload), and note it on the timeline for staff."""
    locked = rma_lock(rma)
    if locked.ownership != OWN.TO_CONFIRM or locked.status != RMA.Status.SUBMITTED:
        raise TransitionRefused("We do not need a proof of purchase for this return.", code="proof_not_needed")
    if ProofOfPurchase.objects.filter(rma=locked).count() >= settings.RMA_PROOF_MAX_FILES:
        raise TransitionRefused(
            f"We already have {settings.RMA_PROOF_MAX_FILES} files for this return, which is as many as we keep. "
            "We will look at them within one working day.",
            code="proof_limit_reached",
        )
    checked = upload_check(
        file,
        max_bytes=settings.RMA_PROOF_MAX_BYTES,
        max_pixels=settings.DIAGNOSTICS_ATTACHMENT_MAX_PIXELS,
        accepted=PROOF_TYPES,
        not_accepted=PROOF_TYPES_ACCEPTED,
    )
    original_name = (file.name or "")[-255:]
    file.name = f"proof{checked.suffix}"  # the stored name is generated; only its suffix comes from the content
    proof = ProofOfPurchase.objects.create(
        rma=locked, file=file, original_name=original_name, content_type=checked.content_type, size=checked.size
    )
    record_event(
        rma=locked,
        action="proof_of_purchase",
        actor=None,
        source=source,
        internal_note=f"Proof of purchase uploaded: {original_name or 'a file'} ({checked.content_type}).",
        data={"proof": proof.pk},
    )
    return proof
