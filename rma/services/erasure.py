"""Erasing a customer's personal data on request, keeping the anonymised failure records.

What goes: the customer's name, e-mail, phone and organisation; what they wrote (fault descriptions,
including the ones written in a follow-up answer); tracking numbers; their secret status links; the
recipient and content of their e-mails in the outbox (unsent ones are not sent); and every other
mention of their details anywhere in the database (timeline notes, staff reasons, diagnoses, the
admin's change log), which is replaced by ``[erased]``.

The door closes too: an erased customer's returns can no longer be looked up on the status page (by
number and the erased placeholder address, which is predictable) nor opened by a secret link, even
one issued afterwards, and their timeline writes no more e-mails; a return they start later, under
their own address, is new and unaffected.

What stays, for engineers: the devices (without an owner), the returns with their technical data
(status, coverage, dates, resolution, disposition, repeat flags), the timeline rows, diagnoses,
root-cause cases, goodwill grants and compensation, attached to an anonymous customer record so
that every count and report is unchanged.

Timeline rows are append-only; erasure is the one write that may rewrite their text, and only to
remove personal data: through the plain queryset rather than the append-only one, and on PostgreSQL
with the transaction-local setting that the append-only trigger lets through (migration rma 0005).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.utils import timezone

from rma.models import (
    ERASED_EMAIL_DOMAIN,
    RMA,
    Customer,
    Device,
    OutboxMessage,
    ProofOfPurchase,
    RMAEvent,
    StatusLink,
)
from rma.services.transitions import Actor, record_event

ERASED = "[erased]"
ERASED_DOMAIN = ERASED_EMAIL_DOMAIN
# Tables never searched: Django's own bookkeeping (sessions hold no customer data; staff accounts are not customers').
SKIPPED_APPS = {"sessions", "contenttypes", "auth", "authtoken", "migrations"}


@dataclass
class ErasureReport:
    customer_id: int
    returns: int = 0
    outbox_messages: int = 0
    unsent_cancelled: int = 0
    status_links: int = 0
    devices_unlinked: int = 0
    proofs_deleted: int = 0
    mentions: dict[str, int] = field(default_factory=dict)  # "app.Model.field" → rows rewritten

    @property
    def total_mentions(self) -> int:
        return sum(self.mentions.values())


def _delete_files(files: list[tuple[Any, str]]) -> None:
    for storage, name in files:
        storage.delete(name)


def erased_email(customer_id: int) -> str:
    return f"erased-{customer_id}@{ERASED_DOMAIN}"


def _personal_strings(customer: Customer) -> list[str]:
    """What identifies the customer in free text: longest first, so a full name goes before a part of it."""
    values = {customer.email, customer.name, customer.phone, customer.organisation}
    return sorted((v.strip() for v in values if v and len(v.strip()) >= 3), key=len, reverse=True)


def _distinctive(value: str) -> bool:
    """Safe to look for in every table: an address, a phone number, or a name of several words (not "Sam")."""
    digits = sum(ch.isdigit() for ch in value)
    return "@" in value or digits >= 6 or (" " in value.strip() and len(value) >= 6) or len(value) >= 10


def _pattern(strings: list[str]) -> re.Pattern[str] | None:
    if not strings:
        return None
    return re.compile("|".join(re.escape(s) for s in strings), re.IGNORECASE)


def _scrub(value: Any, pattern: re.Pattern[str]) -> Any:
    """``value`` with every mention replaced; JSON is walked (keys and values)."""
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, list):
        return [_scrub(item, pattern) for item in value]
    if isinstance(value, dict):
        return {_scrub(key, pattern): _scrub(item, pattern) for key, item in value.items()}
    return value


def _text_fields(model: type[models.Model]) -> list[models.Field]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField | models.JSONField)
        and not isinstance(f, models.GeneratedField)
        and not f.primary_key
    ]


def _rewrite(
    queryset: models.QuerySet, pattern: re.Pattern[str], report: ErasureReport, fields: list[models.Field] | None = None
) -> None:
    """Replace the mentions in ``queryset``'s text columns, row by row (through the plain queryset)."""
    model = queryset.model
    fields = fields if fields is not None else _text_fields(model)
    plain: models.QuerySet = models.QuerySet(model=model, using=queryset.db)
    for row in queryset.values("pk", *[f.attname for f in fields]).iterator():
        changes = {}
        for f in fields:
            value = row[f.attname]
            if value in (None, "", [], {}):
                continue
            new = _scrub(value, pattern)
            if new != value:
                changes[f.attname] = new
        if changes:
            plain.filter(pk=row["pk"]).update(**changes)
            for name in changes:
                key = f"{model._meta.label}.{name}"
                report.mentions[key] = report.mentions.get(key, 0) + 1


def _mentions_anywhere(strings: list[str]) -> list[models.QuerySet]:
    """Every row of every table whose text mentions one of ``strings``."""
    found: list[models.QuerySet] = []
    for model in apps.get_models():
        meta = model._meta
        if meta.app_label in SKIPPED_APPS or meta.proxy or not meta.managed or model is Customer:
            continue
        fields = _text_fields(model)
        if not fields:
            continue
        condition = models.Q()
        for f in fields:
            for value in strings:
                condition |= models.Q(**{f"{f.name}__icontains": value})
                if isinstance(f, models.JSONField):  # JSON text may hold the value escaped
                    escaped = json.dumps(value)[1:-1]
                    if escaped != value:
                        condition |= models.Q(**{f"{f.name}__icontains": escaped})
        found.append(models.QuerySet(model=model).filter(condition))
    return found


@transaction.atomic
def customer_erase(*, customer: Customer, actor: Actor, source: str, dry_run: bool = False) -> ErasureReport:
    """Erase ``customer``'s personal data everywhere, keeping the anonymised failure records (see the module)."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    report = ErasureReport(customer_id=customer.pk)
    strings = _personal_strings(customer)
    everywhere = _pattern([s for s in strings if _distinctive(s)])
    own = _pattern(strings)
    rmas = RMA.objects.filter(customer=customer)
    report.returns = rmas.count()
    if dry_run:
        report.outbox_messages = OutboxMessage.objects.filter(customer=customer).count()
        report.status_links = StatusLink.objects.filter(rma__in=rmas).count()
        report.devices_unlinked = Device.objects.filter(owner=customer).count()
        report.proofs_deleted = ProofOfPurchase.objects.filter(rma__in=rmas).count()
        transaction.set_rollback(True)
        return report

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('rma.erasing_personal_data', 'on', true)")
    try:
        _erase(customer, rmas, report, strings, own, everywhere, actor=actor, source=source)
    finally:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('rma.erasing_personal_data', 'off', true)")
    return report


def _erase(
    customer: Customer,
    rmas: models.QuerySet[RMA],
    report: ErasureReport,
    strings: list[str],
    own: re.Pattern[str] | None,
    everywhere: re.Pattern[str] | None,
    *,
    actor: Actor,
    source: str,
) -> None:
    # What they wrote, and what ties a return to them outside the database.
    rmas.update(fault_description=ERASED, inbound_tracking="", outbound_tracking="", updated_at=timezone.now())
    report.status_links, _ = StatusLink.objects.filter(rma__in=rmas).delete()
    report.devices_unlinked = Device.objects.filter(owner=customer).update(owner=None, updated_at=timezone.now())
    # Their proofs of purchase (receipts with their name and address): the rows now, the files once committed.
    proofs = ProofOfPurchase.objects.filter(rma__in=rmas)
    files = [(proof.file.storage, proof.file.name) for proof in proofs if proof.file.name]
    report.proofs_deleted = proofs.delete()[0]
    transaction.on_commit(lambda: _delete_files(files))
    # Their e-mails: no recipient, no content, and nothing more sent.
    outbox = OutboxMessage.objects.filter(customer=customer)
    report.outbox_messages = outbox.count()
    report.unsent_cancelled = outbox.filter(
        status__in=[OutboxMessage.Status.PENDING, OutboxMessage.Status.SENDING]
    ).update(status=OutboxMessage.Status.FAILED, last_error="Not sent: the customer's data was erased.")
    outbox.update(to_email=erased_email(customer.pk), context={})
    # Mentions in the rows about their returns (any detail), then anywhere else (distinctive details only).
    if own is not None:
        _rewrite(RMAEvent.objects.filter(rma__in=rmas), own, report)
        _rewrite(outbox, own, report)
        for relation in RMA._meta.related_objects:
            related = relation.related_model
            if related in (RMAEvent, OutboxMessage, StatusLink) or related is RMA:
                continue
            _rewrite(related._default_manager.filter(**{f"{relation.field.name}__in": rmas}), own, report)
    if everywhere is not None:
        for queryset in _mentions_anywhere([s for s in strings if _distinctive(s)]):
            _rewrite(queryset, everywhere, report)
    customer_type = ContentType.objects.get_for_model(Customer)
    report.mentions["admin.LogEntry.object_repr"] = LogEntry.objects.filter(
        content_type=customer_type, object_id=str(customer.pk)
    ).update(object_repr=f"Customer {customer.pk} (erased)", change_message="")
    # The customer record itself stays, anonymous, so counts (goodwill per customer) still hold.
    Customer.objects.filter(pk=customer.pk).update(name="", email=erased_email(customer.pk), phone="", organisation="")
    for rma in rmas:
        record_event(
            rma=rma,
            action="customer_erased",
            actor=actor,
            source=source,
            internal_note="The customer's personal data was erased on request.",
        )
