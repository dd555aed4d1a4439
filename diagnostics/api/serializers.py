"""Input and output serializers of the diagnostics API."""

from __future__ import annotations

from rest_framework import serializers

from core.api.input import DayField, StrictInput
from core.api.output import ModelOutput
from diagnostics.models import (
    Component,
    Diagnosis,
    FailurePattern,
    FaultSignal,
    PatternEvent,
    Programme,
    RootCauseCase,
)


class ComponentSerializer(ModelOutput):
    class Meta:
        model = Component
        fields = ["code", "name"]


class ComponentCreateSerializer(StrictInput):
    code = serializers.CharField(max_length=64, help_text="Lower-case letters, digits, hyphens, underscores.")
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ComponentRenameSerializer(StrictInput):
    name = serializers.CharField(max_length=200)


class PatternEventSerializer(ModelOutput):
    actor = serializers.CharField(source="actor.username", read_only=True, allow_null=True, default=None)

    class Meta:
        model = PatternEvent
        fields = ["action", "from_status", "to_status", "actor", "source", "reason", "created_at"]


class FailurePatternSerializer(ModelOutput):
    component = serializers.CharField(source="component.code", read_only=True)
    owner = serializers.CharField(source="owner.username", read_only=True, allow_null=True, default=None)
    affected_models = serializers.SerializerMethodField(help_text="SKUs; empty: every model.")
    affected_lots = serializers.ListField(child=serializers.CharField(), read_only=True, help_text="Empty: every lot.")
    affected_firmware = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Empty: every firmware version."
    )

    class Meta:
        model = FailurePattern
        fields = [
            "code",
            "title",
            "component",
            "status",
            "status_changed_at",
            "symptoms",
            "samples_wanted",
            "owner",
            "affected_models",
            "affected_lots",
            "affected_firmware",
            "root_cause",
            "corrective_action",
            "effectivity",
            "effective_from_lot",
            "effective_from_firmware",
            "effective_from_date",
            "public_summary",
            "created_at",
            "updated_at",
        ]

    def get_affected_models(self, pattern: FailurePattern) -> list[str]:
        return sorted(model.sku for model in pattern.affected_models.all())


class FailurePatternDetailSerializer(FailurePatternSerializer):
    events = PatternEventSerializer(many=True, read_only=True)

    class Meta(FailurePatternSerializer.Meta):
        fields = [*FailurePatternSerializer.Meta.fields, "events"]


class PatternFieldsSerializer(StrictInput):
    """The fields engineers edit on a pattern (its status moves only through the lifecycle actions)."""

    not_editable = {
        "status": "A pattern's status changes only through its lifecycle actions.",
        "code": "A pattern's code never changes.",
    }

    title = serializers.CharField(max_length=200, required=False)
    component = serializers.CharField(required=False, help_text="Component code.")
    symptoms = serializers.CharField(required=False, allow_blank=True)
    samples_wanted = serializers.IntegerField(required=False, min_value=0, max_value=100000)
    owner = serializers.CharField(required=False, allow_null=True, help_text="Username of an engineer.")
    affected_models = serializers.ListField(child=serializers.CharField(), required=False, help_text="SKUs.")
    affected_lots = serializers.ListField(child=serializers.CharField(max_length=64), required=False)
    affected_firmware = serializers.ListField(child=serializers.CharField(max_length=64), required=False)
    root_cause = serializers.CharField(required=False, allow_blank=True)
    corrective_action = serializers.CharField(required=False, allow_blank=True)
    effectivity = serializers.CharField(max_length=200, required=False, allow_blank=True)
    effective_from_lot = serializers.CharField(max_length=64, required=False, allow_blank=True)
    effective_from_firmware = serializers.CharField(max_length=64, required=False, allow_blank=True)
    effective_from_date = DayField(required=False, allow_null=True)
    public_summary = serializers.CharField(required=False, allow_blank=True)


class PatternCreateSerializer(PatternFieldsSerializer):
    code = serializers.CharField(
        max_length=32, required=False, allow_blank=True, help_text="Empty: the next free FP-NNNN."
    )
    title = serializers.CharField(max_length=200)
    component = serializers.CharField(help_text="Component code.")


class PatternMoveSerializer(StrictInput):
    """A lifecycle move, with what it needs written in the same step."""

    reason = serializers.CharField(required=False, allow_blank=True, default="")
    samples_wanted = serializers.IntegerField(required=False, min_value=0, max_value=100000)
    root_cause = serializers.CharField(required=False, allow_blank=True)
    public_summary = serializers.CharField(required=False, allow_blank=True)
    corrective_action = serializers.CharField(required=False, allow_blank=True)
    effectivity = serializers.CharField(max_length=200, required=False, allow_blank=True)
    effective_from_lot = serializers.CharField(max_length=64, required=False, allow_blank=True)
    effective_from_firmware = serializers.CharField(max_length=64, required=False, allow_blank=True)
    effective_from_date = DayField(required=False, allow_null=True)


class DiagnosisSerializer(ModelOutput):
    rma = serializers.CharField(source="rma.number", read_only=True)
    serial_number = serializers.CharField(source="rma.device.serial_number", read_only=True)
    model_sku = serializers.CharField(source="rma.device.product_model.sku", read_only=True)
    component = serializers.CharField(source="component.code", read_only=True)
    pattern = serializers.CharField(source="pattern.code", read_only=True, allow_null=True, default=None)
    technician = serializers.CharField(source="technician.username", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Diagnosis
        fields = [
            "id",
            "rma",
            "serial_number",
            "model_sku",
            "component",
            "outcome",
            "pattern",
            "pattern_match",
            "symptoms",
            "findings",
            "minutes_spent",
            "technician",
            "created_at",
        ]


class DiagnoseSerializer(StrictInput):
    component = serializers.CharField(help_text="Component code.")
    outcome = serializers.ChoiceField(choices=Diagnosis.Outcome.choices)
    pattern = serializers.CharField(required=False, allow_null=True, allow_blank=True, default=None)
    pattern_match = serializers.ChoiceField(
        choices=[("confirmed", "Confirmed"), ("suspected", "Suspected")], required=False, allow_blank=True, default=""
    )
    symptoms = serializers.CharField(required=False, allow_blank=True, default="")
    findings = serializers.CharField(required=False, allow_blank=True, default="")
    minutes_spent = serializers.IntegerField(required=False, min_value=0, max_value=100000, default=0)


class GrantGoodwillSerializer(StrictInput):
    reason = serializers.CharField()
    replacement_serial = serializers.CharField(max_length=64)


class RootCauseCaseSerializer(ModelOutput):
    rma = serializers.CharField(source="rma.number", read_only=True)
    serial_number = serializers.CharField(source="device.serial_number", read_only=True)
    model_sku = serializers.CharField(source="device.product_model.sku", read_only=True)
    engineer = serializers.CharField(source="engineer.username", read_only=True, allow_null=True, default=None)
    pattern = serializers.CharField(source="pattern.code", read_only=True, allow_null=True, default=None)

    class Meta:
        model = RootCauseCase
        fields = [
            "id",
            "rma",
            "serial_number",
            "model_sku",
            "status",
            "engineer",
            "assigned_at",
            "findings",
            "conclusion",
            "pattern",
            "opened_at",
            "closed_at",
        ]


class CaseAssignSerializer(StrictInput):
    engineer = serializers.CharField(allow_null=True, help_text="Username; null takes the case back.")


class CaseFindingsSerializer(StrictInput):
    text = serializers.CharField()


class NewPatternSerializer(StrictInput):
    title = serializers.CharField(max_length=200)
    component = serializers.CharField(help_text="Component code.")
    symptoms = serializers.CharField(required=False, allow_blank=True)


class CaseCloseSerializer(StrictInput):
    conclusion = serializers.CharField()
    pattern = serializers.CharField(required=False, allow_null=True, allow_blank=True, help_text="Pattern code.")
    new_pattern = NewPatternSerializer(required=False, allow_null=True)


class FaultSignalSerializer(ModelOutput):
    model_sku = serializers.CharField(source="product_model.sku", read_only=True)
    component = serializers.CharField(source="component.code", read_only=True)
    cell_label = serializers.CharField(read_only=True)
    cell_key = serializers.CharField(
        read_only=True, help_text="The cell as text: kind:model[:lot or firmware]:component."
    )
    family = serializers.CharField(
        source="family_key",
        read_only=True,
        help_text="The cell key of the signal leading this one's family (its own for a leader).",
    )
    family_leader = serializers.IntegerField(
        source="family_id", read_only=True, allow_null=True, help_text="The leading signal's id; null for a leader."
    )
    affected_units = serializers.IntegerField(source="units_in_service", read_only=True)
    pattern = serializers.CharField(source="pattern.code", read_only=True, allow_null=True, default=None)
    status_changed_by = serializers.CharField(
        source="status_changed_by.username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = FaultSignal
        fields = [
            "id",
            "cell",
            "cell_label",
            "model_sku",
            "component",
            "lot",
            "firmware_version",
            "observed",
            "expected",
            "units_in_service",
            "rate_ratio",
            "statistic",
            "threshold",
            "cell_key",
            "family",
            "family_leader",
            "affected_units",
            "affected_customers",
            "excess_to_date",
            "projected_excess",
            "projected_excess_low",
            "projected_excess_high",
            "first_detected_on",
            "evidence_as_of",
            "last_updated",
            "status",
            "pattern",
            "status_changed_by",
            "status_changed_at",
            "note",
        ]


class SignalFailureSerializer(ModelOutput):
    """A confirmed failure behind a fault signal: the diagnosis, its return and its unit."""

    diagnosis = serializers.IntegerField(source="id", read_only=True)
    rma = serializers.CharField(source="rma.number", read_only=True)
    reported_on = serializers.DateField(source="rma.reported_on", read_only=True)
    serial_number = serializers.CharField(source="rma.device.serial_number", read_only=True)
    lot = serializers.CharField(source="rma.device.lot", read_only=True)
    firmware_version = serializers.CharField(source="rma.device.firmware_version", read_only=True)
    shipped_on = serializers.DateField(source="rma.device.shipped_on", read_only=True, allow_null=True)
    pattern = serializers.CharField(source="pattern.code", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Diagnosis
        fields = [
            "diagnosis",
            "rma",
            "reported_on",
            "serial_number",
            "lot",
            "firmware_version",
            "shipped_on",
            "pattern",
            "findings",
            "created_at",
        ]


class SignalNoteSerializer(StrictInput):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class SignalLinkSerializer(StrictInput):
    pattern = serializers.CharField(help_text="Pattern code (of the signal's component).")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class SignalDismissSerializer(StrictInput):
    reason = serializers.CharField()


# Service programmes (SPEC §11) ------------------------------------------------------------------------------


class ProgrammeSerializer(ModelOutput):
    pattern = serializers.CharField(source="pattern.code", read_only=True)
    component = serializers.CharField(source="pattern.component.code", read_only=True)
    owner = serializers.CharField(source="owner.username", read_only=True, allow_null=True, default=None)
    models = serializers.SerializerMethodField(help_text="SKUs of the product models covered.")
    lots = serializers.ListField(child=serializers.CharField(), read_only=True, help_text="Empty: every lot.")
    firmware_versions = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Empty: every firmware version."
    )

    class Meta:
        model = Programme
        fields = [
            "code",
            "title",
            "summary",
            "status",
            "pattern",
            "component",
            "models",
            "lots",
            "firmware_versions",
            "built_from",
            "built_to",
            "shipped_from",
            "shipped_to",
            "has_serial_list",
            "remedy",
            "coverage_years",
            "covered_until",
            "reimburse_paid_repairs",
            "owner",
            "owners_notified",
            "created_at",
            "activated_at",
            "closed_at",
        ]

    def get_models(self, programme: Programme) -> list[str]:
        return sorted(model.sku for model in programme.product_models.all())


class ProgrammeFieldsSerializer(StrictInput):
    """The fields engineers set on a draft programme (its status moves only through activate and close)."""

    not_editable = {
        "status": "A programme's status changes only through activate and close.",
        "code": "A programme's code never changes.",
    }

    title = serializers.CharField(max_length=200, required=False)
    summary = serializers.CharField(required=False, allow_blank=True)
    pattern = serializers.CharField(required=False, help_text="Failure pattern code.")
    models = serializers.ListField(child=serializers.CharField(), required=False, help_text="SKUs.")
    lots = serializers.ListField(child=serializers.CharField(max_length=64), required=False)
    firmware_versions = serializers.ListField(child=serializers.CharField(max_length=64), required=False)
    built_from = DayField(required=False, allow_null=True)
    built_to = DayField(required=False, allow_null=True)
    shipped_from = DayField(required=False, allow_null=True)
    shipped_to = DayField(required=False, allow_null=True)
    remedy = serializers.ChoiceField(choices=Programme.Remedy.choices, required=False)
    coverage_years = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=15)
    covered_until = DayField(required=False, allow_null=True)
    reimburse_paid_repairs = serializers.BooleanField(required=False)
    owner = serializers.CharField(required=False, allow_null=True, help_text="Username of an engineer.")


class ProgrammeCreateSerializer(ProgrammeFieldsSerializer):
    code = serializers.CharField(max_length=32, required=False, allow_blank=True, help_text="Empty: the next SP-NNNN.")
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField()
    pattern = serializers.CharField(help_text="Failure pattern code.")


class ProgrammeCloseSerializer(StrictInput):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class EligibleProgrammeSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    covered_until = serializers.DateField()
    remedy = serializers.CharField()


class EligibilitySerializer(serializers.Serializer):
    serial_number = serializers.CharField()
    programmes = EligibleProgrammeSerializer(many=True)


class ProgrammeProgressSerializer(serializers.Serializer):
    code = serializers.CharField()
    status = serializers.CharField()
    eligible_in_service = serializers.IntegerField()
    owners_notified = serializers.IntegerField()
    returns_opened = serializers.IntegerField()
    covered_returns = serializers.IntegerField()
    remedied = serializers.IntegerField()
    reimbursements_proposed = serializers.IntegerField()
    reimbursed = serializers.IntegerField()
    cost = serializers.DictField()
    completion = serializers.ListField(child=serializers.DictField())


class ReimbursementDecisionSerializer(StrictInput):
    reason = serializers.CharField(required=False, allow_blank=True, default="")
