"""Input and output serializers of the returns API. Output serializers only read; inputs only check shape."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.input import DayField, StrictInput
from core.api.output import ModelOutput
from rma import policy
from rma.models import RMA, Device, QuoteAnswerChannel, Refund, RepairCentre, RMAEvent


class DeviceRMASerializer(ModelOutput):
    """A return in a device's history."""

    class Meta:
        model = RMA
        fields = ["number", "status", "coverage", "resolution", "reported_on", "is_repeat", "created_at"]


class DeviceSerializer(ModelOutput):
    model_sku = serializers.CharField(source="product_model.sku", read_only=True)
    model_name = serializers.CharField(source="product_model.name", read_only=True)
    owner_email = serializers.EmailField(source="owner.email", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Device
        fields = [
            "serial_number",
            "model_sku",
            "model_name",
            "lot",
            "manufactured_on",
            "shipped_on",
            "purchased_on",
            "firmware_version",
            "owner_email",
            "warranty_ends_on",
            "warranty_extension_months",
            "created_at",
        ]


class DeviceDetailSerializer(DeviceSerializer):
    rmas = serializers.SerializerMethodField(help_text="The unit's returns, newest first.")

    class Meta(DeviceSerializer.Meta):
        fields = [*DeviceSerializer.Meta.fields, "rmas"]

    @extend_schema_field(DeviceRMASerializer(many=True))
    def get_rmas(self, device: Device) -> Any:
        return DeviceRMASerializer(self.context["rma_history"], many=True).data


class DeviceCreateSerializer(StrictInput):
    serial_number = serializers.CharField(max_length=64)
    model_sku = serializers.CharField(max_length=64)
    lot = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    manufactured_on = DayField(required=False, allow_null=True, default=None)
    shipped_on = DayField(required=False, allow_null=True, default=None)
    purchased_on = DayField(required=False, allow_null=True, default=None)
    firmware_version = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class RMAEventSerializer(ModelOutput):
    actor = serializers.CharField(source="actor.username", read_only=True, allow_null=True, default=None)

    class Meta:
        model = RMAEvent
        fields = [
            "action",
            "from_status",
            "to_status",
            "actor",
            "source",
            "customer_message",
            "internal_note",
            "created_at",
        ]


class RMASerializer(ModelOutput):
    """A return as the list shows it."""

    serial_number = serializers.CharField(source="device.serial_number", read_only=True)
    model_sku = serializers.CharField(source="device.product_model.sku", read_only=True)
    customer_email = serializers.EmailField(source="customer.email", read_only=True, allow_null=True, default=None)
    replacement_serial = serializers.CharField(
        source="replacement_device.serial_number", read_only=True, allow_null=True, default=None
    )
    is_overdue = serializers.BooleanField(read_only=True)
    centre = serializers.CharField(source="centre.code", read_only=True, allow_null=True, default=None)
    assignee = serializers.CharField(source="assignee.username", read_only=True, allow_null=True, default=None)
    programme = serializers.SerializerMethodField(help_text="The service programme's code when it covers the return.")

    class Meta:
        model = RMA
        fields = [
            "number",
            "serial_number",
            "model_sku",
            "customer_email",
            "channel",
            "status",
            "coverage",
            "programme",
            "resolution",
            "disposition",
            "ownership",
            "is_repeat",
            "replacement_serial",
            "centre",
            "assignee",
            "reported_on",
            "due_at",
            "is_overdue",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_programme(self, rma: RMA) -> str | None:
        return rma.programme_code or None

    def to_representation(self, instance: RMA) -> dict[str, Any]:
        """The same fields as DRF's own rendering, written out: a list page renders 50 of these per request."""
        device = instance.device
        return {
            "number": instance.number,
            "serial_number": device.serial_number,
            "model_sku": device.product_model.sku,
            "customer_email": instance.customer.email if instance.customer is not None else None,
            "channel": instance.channel,
            "status": instance.status,
            "coverage": instance.coverage,
            "programme": instance.programme_code or None,
            "resolution": instance.resolution,
            "disposition": instance.disposition,
            "ownership": instance.ownership,
            "centre": instance.centre.code if instance.centre is not None else None,
            "assignee": instance.assignee.username if instance.assignee is not None else None,
            "is_repeat": instance.is_repeat,
            "replacement_serial": (
                instance.replacement_device.serial_number if instance.replacement_device is not None else None
            ),
            "reported_on": instance.reported_on.isoformat() if instance.reported_on else None,
            "due_at": _moment(instance.due_at),
            "is_overdue": instance.is_overdue,
            "created_at": _moment(instance.created_at),
            "updated_at": _moment(instance.updated_at),
        }


_MOMENT = serializers.DateTimeField()


def _moment(value: Any) -> str | None:
    return None if value is None else _MOMENT.to_representation(value)


class RepairCentreSerializer(ModelOutput):
    """A repair centre (SPEC §13): where returns are sent, its calendar and service levels, and its staff."""

    staff: serializers.Field = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)
    service_levels = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField()),
        read_only=True,
        help_text='Targets per status overriding the site\'s, e.g. {"received": {"business_days": 2}}.',
    )

    class Meta:
        model = RepairCentre
        fields = [
            "code",
            "name",
            "address",
            "country",
            "subdivision",
            "time_zone",
            "is_default",
            "service_levels",
            "turnaround_business_days",
            "staff",
        ]


class RefundOutputSerializer(ModelOutput):
    """The refund recorded on a return (SPEC §4): what was paid back, how, and who approved it."""

    approved_by = serializers.CharField(source="approved_by.username", read_only=True)

    class Meta:
        model = Refund
        fields = ["amount", "currency", "method", "approved_by", "reason", "created_at"]
        read_only_fields = fields


class RMADetailSerializer(RMASerializer):
    """A return as ``rmas/{number}/`` shows it, with its coverage reasoning and timeline."""

    to_representation = ModelOutput.to_representation  # more fields than the list's row: DRF's own rendering

    in_warranty = serializers.SerializerMethodField()
    repeat_of = serializers.CharField(source="repeat_of.number", read_only=True, allow_null=True, default=None)
    goodwill_eligible = serializers.SerializerMethodField(
        help_text="Whether the policy would allow a goodwill replacement now (null: not known here)."
    )
    goodwill_reason = serializers.SerializerMethodField(help_text="Why, in words staff can repeat.")
    events = RMAEventSerializer(many=True, read_only=True)
    refund = serializers.SerializerMethodField(help_text="The refund recorded when the return closed as refunded.")

    class Meta(RMASerializer.Meta):
        fields = [
            *RMASerializer.Meta.fields,
            "fault_description",
            "coverage_reason",
            "in_warranty",
            "goodwill_eligible",
            "goodwill_reason",
            "repeat_of",
            "quote_amount",
            "quote_status",
            "inbound_tracking",
            "outbound_tracking",
            "promised_on",
            "received_at",
            "shipped_at",
            "closed_at",
            "refund",
            "events",
        ]

    @extend_schema_field(RefundOutputSerializer(allow_null=True))
    def get_refund(self, rma: RMA) -> dict | None:
        refund = getattr(rma, "refund", None)
        return None if refund is None else RefundOutputSerializer(refund).data

    def get_in_warranty(self, rma: RMA) -> bool:
        return policy.warranty_decide(
            reported_on=rma.reported_on, warranty_ends_on=rma.device.warranty_ends_on
        ).in_warranty

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_goodwill_eligible(self, rma: RMA) -> bool | None:
        decision = self.context.get("goodwill")
        return None if decision is None else decision.allowed

    @extend_schema_field(serializers.CharField())
    def get_goodwill_reason(self, rma: RMA) -> str:
        decision = self.context.get("goodwill")
        return "" if decision is None else decision.reason


class RMACreateSerializer(StrictInput):
    serial_number = serializers.CharField(max_length=64)
    customer_email = serializers.EmailField()
    customer_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    fault_description = serializers.CharField()
    channel = serializers.ChoiceField(choices=RMA.Channel.choices, required=False, default=RMA.Channel.PHONE)
    idempotency_key = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="Sending the same key again returns the return opened the first time.",
    )


# Lifecycle action inputs ---------------------------------------------------------------------------------


class NoInputSerializer(StrictInput):
    pass


class AuthorizeSerializer(StrictInput):
    instructions = serializers.CharField(required=False, allow_blank=True, default="")


class ReasonSerializer(StrictInput):
    reason = serializers.CharField()


class OptionalReasonSerializer(StrictInput):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class OwnershipNoteSerializer(StrictInput):
    note = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="What was checked (internal, kept on the timeline)."
    )


class ReceiveSerializer(StrictInput):
    inbound_tracking = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class QuoteSerializer(StrictInput):
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))


class ReplaceSerializer(StrictInput):
    replacement_serial = serializers.CharField(max_length=64)


class AssignSerializer(StrictInput):
    assignee = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        default="",
        help_text="The username of a member of the return's centre's staff; empty or null to unassign.",
    )


class ShipSerializer(StrictInput):
    tracking_number = serializers.CharField(max_length=100)


class QuoteAnswerSerializer(StrictInput):
    answered_via = serializers.ChoiceField(
        choices=[(value, label) for value, label in QuoteAnswerChannel.choices if value != QuoteAnswerChannel.PAGE],
        help_text="How the customer gave their answer (staff record it on their behalf; supervisors only).",
    )


class RefundSerializer(StrictInput):
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    currency = serializers.CharField(max_length=3, help_text="ISO 4217 code, e.g. EUR.")
    method = serializers.ChoiceField(choices=Refund.Method.choices)
    reason = serializers.CharField(help_text="The approver's reason.")


class CloseSerializer(StrictInput):
    resolution = serializers.ChoiceField(
        choices=RMA.Resolution.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Empty: derived from what happened. One that contradicts it is refused (409 resolution_mismatch).",
    )
