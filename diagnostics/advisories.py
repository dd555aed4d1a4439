"""Advisories: engineers tell customers about a known fault before they have to ask (SPEC §1, §6).

A published advisory shows on the status page of every return whose unit it affects (a notice
provider registered in ``DiagnosticsConfig.ready``), and the owners of affected units can be
e-mailed, once each, by a background task.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.actors import Actor, staff_actor
from core.exceptions import ActionNotPermitted, InvalidInput, TransitionRefused
from core.tasks import enqueue
from diagnostics.edits import distinct_values, edits_apply
from diagnostics.models import Advisory, FailurePattern, Programme
from diagnostics.patterns import pattern_event_record
from rma.models import RMA, Customer, Device, OutboxMessage, ProductModel, Source
from rma.notices import Notice
from rma.notifications import outbox_enqueue

MANAGE_ADVISORIES = "diagnostics.change_advisory"
NOTIFY_BATCH = 500
SERIALS_PER_EMAIL = 10


def _require(actor: Actor, what: str) -> User:
    user = staff_actor(actor)
    if user is None or not user.has_perm(MANAGE_ADVISORIES):
        raise ActionNotPermitted(f"Only engineers can {what}.")
    return user


@transaction.atomic
def advisory_create(
    *,
    pattern: FailurePattern,
    actor: Actor,
    title: str,
    body: str,
    affected_models: Iterable[ProductModel] = (),
    affected_lots: Iterable[str] = (),
    affected_firmware: Iterable[str] = (),
    programme: Programme | None = None,
) -> Advisory:
    """A draft advisory on ``pattern``; by default it covers the pattern's models, lots and firmware."""
    user = _require(actor, "write advisories")
    models = list(affected_models) or list(pattern.affected_models.all())
    advisory = Advisory.objects.create(
        pattern=pattern,
        title=title.strip(),
        body=body.strip(),
        affected_lots=distinct_values(affected_lots or pattern.affected_lots),
        affected_firmware=distinct_values(affected_firmware or pattern.affected_firmware),
        programme=programme,
        created_by=user,
    )
    advisory.affected_models.set(models)
    return advisory


@transaction.atomic
def advisory_update(*, advisory: Advisory, actor: Actor, **fields: Any) -> Advisory:
    """Edit a draft. A published advisory is not rewritten under its readers: withdraw it and publish anew."""
    _require(actor, "edit advisories")
    locked = Advisory.objects.select_for_update().get(pk=advisory.pk)
    if locked.published_at is not None:
        raise TransitionRefused(
            "A published advisory cannot be edited; withdraw it and publish a new one.", code="advisory_published"
        )
    unknown = set(fields) - {
        "title",
        "body",
        "affected_models",
        "affected_lots",
        "affected_firmware",
        "pattern",
        "programme",
    }
    if unknown:
        raise InvalidInput(f"Unknown advisory fields: {', '.join(sorted(unknown))}.", code="invalid")
    edits_apply(locked, fields, many=["affected_models"], lists=["affected_lots", "affected_firmware"])
    return locked


@transaction.atomic
def advisory_publish(*, advisory: Advisory, actor: Actor) -> Advisory:
    """Show the advisory on affected customers' status pages from now on."""
    user = _require(actor, "publish advisories")
    locked = Advisory.objects.select_for_update().get(pk=advisory.pk)
    if locked.withdrawn_at is not None:
        raise TransitionRefused("A withdrawn advisory cannot be published again.", code="advisory_withdrawn")
    if locked.published_at is not None:
        raise TransitionRefused("This advisory is already published.", code="advisory_published")
    if not locked.title or not locked.body:
        raise InvalidInput("An advisory needs a title and a text for customers.", code="advisory_incomplete")
    if not locked.affected_models.exists():
        raise InvalidInput("Say which product models the advisory is about.", code="advisory_no_models")
    if promises_free_remedy(f"{locked.title} {locked.body}") and (
        locked.programme is None or locked.programme.status != Programme.Status.ACTIVE
    ):
        raise TransitionRefused(
            "This advisory promises a free remedy: only an active service programme can promise one. "
            "Link it to the programme (or remove the promise).",
            code="advisory_promise_without_programme",
        )
    locked.published_at = timezone.now()
    locked.published_by = user
    locked.save(update_fields=["published_at", "published_by"])
    pattern_event_record(
        pattern=locked.pattern,
        action="advisory_published",
        actor=actor,
        source=Source.ADMIN,
        data={"advisory": locked.pk, "title": locked.title},
    )
    return locked


# Words that promise a remedy at no cost; such a promise must be backed by an active programme (SPEC §11).
FREE_REMEDY = re.compile(
    r"\b(free\s+of\s+charge|for\s+free|free\s+(repairs?|replacements?|fix(es)?|remed(y|ies)|service)"
    r"|at\s+no\s+(cost|charge)|without\s+charge|no\s+charge|costs?\s+you\s+nothing"
    r"|kostenlos|gratuit(e|ement)?|gratis)\b",
    re.IGNORECASE,
)


def promises_free_remedy(text: str) -> bool:
    return FREE_REMEDY.search(text) is not None


@transaction.atomic
def advisory_withdraw(*, advisory: Advisory, actor: Actor, reason: str = "") -> Advisory:
    """Take the advisory off the status pages (and stop e-mailing owners about it)."""
    user = _require(actor, "withdraw advisories")
    locked = Advisory.objects.select_for_update().get(pk=advisory.pk)
    if locked.published_at is None:
        raise TransitionRefused("Only a published advisory can be withdrawn.", code="advisory_not_published")
    if locked.withdrawn_at is not None:
        raise TransitionRefused("This advisory is already withdrawn.", code="advisory_withdrawn")
    locked.withdrawn_at = timezone.now()
    locked.withdrawn_by = user
    locked.save(update_fields=["withdrawn_at", "withdrawn_by"])
    pattern_event_record(
        pattern=locked.pattern,
        action="advisory_withdrawn",
        actor=actor,
        source=Source.ADMIN,
        reason=reason.strip(),
        data={"advisory": locked.pk},
    )
    return locked


# Which units an advisory is about -------------------------------------------------------------------


def advisory_affects(advisory: Advisory, device: Device, model_ids: set[int] | None = None) -> bool:
    """The unit's model is listed, and its lot and firmware too where the advisory lists any."""
    if model_ids is None:
        model_ids = {model.pk for model in advisory.affected_models.all()}
    if device.product_model_id not in model_ids:
        return False
    if advisory.affected_lots and device.lot not in advisory.affected_lots:
        return False
    return not (advisory.affected_firmware and device.firmware_version not in advisory.affected_firmware)


def advisories_live():
    return Advisory.objects.filter(published_at__isnull=False, withdrawn_at__isnull=True)


def advisories_for_device(device: Device) -> list[Advisory]:
    """Live advisories affecting ``device`` (two queries whatever the number of advisories)."""
    candidates = list(
        advisories_live()
        .filter(affected_models=device.product_model_id)
        .prefetch_related("affected_models")
        .order_by("-published_at")
    )
    return [advisory for advisory in candidates if advisory_affects(advisory, device)]


def advisory_notices(rma: RMA) -> list[Notice]:
    """The notice provider for customers' status pages."""
    return [Notice(title=advisory.title, body=advisory.body) for advisory in advisories_for_device(rma.device)]


def affected_devices(advisory: Advisory):
    """Units in service that the advisory affects."""
    devices = Device.objects.filter(
        product_model__in=advisory.affected_models.all(), shipped_on__isnull=False, owner__isnull=False
    )
    if advisory.affected_lots:
        devices = devices.filter(lot__in=advisory.affected_lots)
    if advisory.affected_firmware:
        devices = devices.filter(firmware_version__in=advisory.affected_firmware)
    return devices


# Telling the owners -------------------------------------------------------------------------------------


@transaction.atomic
def advisory_notify_owners(*, advisory: Advisory, actor: Actor) -> Advisory:
    """E-mail every owner of an affected unit, once each, in the background (it can be many units).

    Running it again later reaches owners of units shipped since, and nobody twice.
    """
    _require(actor, "notify customers")
    locked = Advisory.objects.select_for_update().get(pk=advisory.pk)
    if not locked.is_live:
        raise TransitionRefused("Only a published advisory can be sent to owners.", code="advisory_not_live")
    if locked.owners_notified_at is None:
        locked.owners_notified_at = timezone.now()
        locked.save(update_fields=["owners_notified_at"])
    advisory_id = locked.pk
    transaction.on_commit(lambda: enqueue("diagnostics.tasks.advisory_notify_owners", advisory_id))
    return locked


def advisory_owner_emails_queue(*, advisory_id: int, batch: int = NOTIFY_BATCH) -> int:
    """Queue one e-mail per owner of an affected unit that has none yet; returns how many were queued.

    Owners are taken in batches, each in its own transaction, so a long run holds no lock for long
    and a run that dies resumes where it stopped (the outbox key is per advisory and owner).
    """
    queued = 0
    last_owner = 0
    while True:
        advisory = Advisory.objects.filter(pk=advisory_id).first()
        if advisory is None or not advisory.is_live:
            return queued
        owner_ids = list(
            affected_devices(advisory)
            .filter(owner_id__gt=last_owner)
            .order_by("owner_id")
            .values_list("owner_id", flat=True)
            .distinct()[:batch]
        )
        if not owner_ids:
            return queued
        last_owner = owner_ids[-1]
        queued += _queue_batch(advisory, owner_ids)


@transaction.atomic
def _queue_batch(advisory: Advisory, owner_ids: list[int]) -> int:
    keys = {owner_id: f"advisory:{advisory.pk}:{owner_id}" for owner_id in owner_ids}
    done = set(OutboxMessage.objects.filter(key__in=keys.values()).values_list("key", flat=True))
    todo = [owner_id for owner_id in owner_ids if keys[owner_id] not in done]
    if not todo:
        return 0
    serials: dict[int, list[str]] = {}
    for owner_id, serial, model_name in (
        affected_devices(advisory)
        .filter(owner_id__in=todo)
        .order_by("owner_id", "serial_number")
        .values_list("owner_id", "serial_number", "product_model__name")
    ):
        serials.setdefault(owner_id, []).append(f"{model_name} ({serial})")
    customers = Customer.objects.in_bulk(todo)
    for owner_id in todo:
        units = serials.get(owner_id, [])
        outbox_enqueue(
            customer=customers[owner_id],
            template="advisory_notice",
            context={
                "title": advisory.title,
                "body": advisory.body,
                "units": units[:SERIALS_PER_EMAIL],
                "more_units": max(len(units) - SERIALS_PER_EMAIL, 0),
            },
            key=keys[owner_id],
        )
    return len(todo)


def advisory_owner_count(advisory: Advisory) -> int:
    return affected_devices(advisory).values("owner_id").distinct().count()


def advisory_owners_notified(advisory: Advisory) -> int:
    return OutboxMessage.objects.filter(Q(key__startswith=f"advisory:{advisory.pk}:")).count()
