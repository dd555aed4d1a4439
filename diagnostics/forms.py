from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from core.dates import date_in_range
from diagnostics.models import (
    Advisory,
    CaseAttachment,
    Component,
    Diagnosis,
    DiagnosisAttachment,
    FailurePattern,
    Programme,
)
from diagnostics.programmes import EDITABLE as PROGRAMME_FIELDS
from rma.forms import StockPickerForm
from rma.models import RMA


class DiagnosisForm(forms.Form):
    component = forms.ModelChoiceField(queryset=Component.objects.order_by("name"))
    symptoms = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the unit does, in your words. “Suggest patterns” ranks the known patterns for it.",
    )
    outcome = forms.ChoiceField(choices=Diagnosis.Outcome.choices)
    findings = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    pattern = forms.ModelChoiceField(
        queryset=FailurePattern.objects.select_related("component").order_by("code"),
        required=False,
        help_text="The failure pattern this matches, if any.",
    )
    pattern_match = forms.ChoiceField(
        choices=[("", "—"), *[(v, label) for v, label in Diagnosis.PatternMatch.choices if v]], required=False
    )
    minutes_spent = forms.IntegerField(min_value=0, max_value=24 * 60, initial=0)


class GoodwillForm(StockPickerForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="Why you approve it: stored with the grant."
    )
    replacement_serial = forms.CharField(
        max_length=64, help_text="A unit from stock (offered as you type), or a new serial of the failed unit's model."
    )


class RetainForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DisposeForm(forms.Form):
    disposition = forms.ChoiceField(
        choices=[(RMA.Disposition.SCRAPPED, "Scrap"), (RMA.Disposition.REFURBISHED_STOCK, "Refurbish")]
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


# Engineers: failure patterns, root-cause cases, advisories ----------------------------------------------


class ListField(forms.CharField):
    """A list of short values typed comma-separated (lots, firmware versions)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "Comma-separated; empty for all.")
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(item) for item in value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        if text.startswith("["):  # a value shown back after a failed save
            text = text.strip("[]").replace('"', "").replace("'", "")
        return sorted({item.strip() for item in text.split(",") if item.strip()})


class FailurePatternForm(forms.ModelForm):
    affected_lots = ListField()
    affected_firmware = ListField()

    class Meta:
        model = FailurePattern
        fields = [
            "code",
            "title",
            "component",
            "symptoms",
            "owner",
            "samples_wanted",
            "affected_models",
            "affected_lots",
            "affected_firmware",
            "root_cause",
            "public_summary",
            "corrective_action",
            "effectivity",
            "effective_from_lot",
            "effective_from_firmware",
            "effective_from_date",
        ]
        widgets = {
            "symptoms": forms.Textarea(attrs={"rows": 3}),
            "root_cause": forms.Textarea(attrs={"rows": 3}),
            "public_summary": forms.Textarea(attrs={"rows": 3}),
            "corrective_action": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "code" in self.fields:
            self.fields["code"].required = False
            self.fields["code"].help_text = "Empty: the next free FP-NNNN."
        if "owner" in self.fields:
            self.fields["owner"].queryset = engineers()


def engineers():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(is_active=True, groups__name="engineer").distinct().order_by("username")


def transition_form(spec) -> type[forms.Form]:
    """The form for one pattern lifecycle action: what the move needs, and why."""
    fields: dict[str, forms.Field] = {}

    def text(help_text: str = "") -> forms.CharField:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text=help_text)

    if spec.name == "root_cause":
        fields["root_cause"] = text("What engineering found.")
        fields["public_summary"] = text(
            "Customers whose units helped are thanked with this text: plain words, no jargon."
        )
    if spec.name == "start_corrective_action":
        fields["corrective_action"] = text()
        fields["effectivity"] = forms.CharField(required=False, help_text="The fix and where it applies, in words.")
    if spec.name == "verify":
        fields["effective_from_lot"] = forms.CharField(required=False, help_text="The first lot built with the fix.")
        fields["effective_from_firmware"] = forms.CharField(required=False, help_text="The first fixed firmware.")
        fields["effective_from_date"] = forms.DateField(
            required=False,
            validators=[date_in_range],
            help_text="Units built from this date have the fix (YYYY-MM-DD).",
        )
    if spec.name == "reopen":
        fields["samples_wanted"] = forms.IntegerField(
            min_value=0, required=False, help_text="How many more failed units to keep for analysis."
        )
    fields["reason"] = forms.CharField(
        required=spec.reason_required,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Recorded in the pattern's history.",
    )
    return type(f"{spec.name.title().replace('_', '')}Form", (forms.Form,), fields)


class CaseAssignForm(forms.Form):
    engineer = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), required=False, empty_label="Nobody (back to the queue)"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["engineer"].queryset = engineers()


class CaseFindingsForm(forms.Form):
    text = forms.CharField(
        label="Findings", widget=forms.Textarea(attrs={"rows": 5}), help_text="Added to the case, dated and signed."
    )


class CaseAttachForm(forms.Form):
    kind = forms.ChoiceField(choices=CaseAttachment.Kind.choices)
    file = forms.FileField(help_text="A photo (JPEG, PNG), a PDF, a ZIP or a plain-text log; at most 10 MB.")


class DiagnosisAttachForm(forms.Form):
    kind = forms.ChoiceField(choices=DiagnosisAttachment.Kind.choices)
    file = forms.FileField(help_text="A photo (JPEG, PNG) or a plain-text log; a PDF or a ZIP too. At most 10 MB.")


class CaseCloseForm(forms.Form):
    LINK, CREATE, NONE = "link", "create", "none"

    conclusion = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    outcome = forms.ChoiceField(
        label="Pattern",
        choices=[
            (LINK, "It is an existing failure pattern"),
            (CREATE, "It is a new failure pattern"),
            (NONE, "No pattern: a one-off failure"),
        ],
        widget=forms.RadioSelect,
        initial=LINK,
    )
    pattern = forms.ModelChoiceField(
        queryset=FailurePattern.objects.select_related("component").order_by("code"), required=False
    )
    new_title = forms.CharField(label="New pattern's title", max_length=200, required=False)
    new_component = forms.ModelChoiceField(
        label="New pattern's component", queryset=Component.objects.order_by("name"), required=False
    )
    new_symptoms = forms.CharField(
        label="New pattern's symptoms", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def clean(self):
        data = super().clean()
        outcome = data.get("outcome")
        if outcome == self.LINK and not data.get("pattern"):
            self.add_error("pattern", "Choose the pattern.")
        if outcome == self.CREATE:
            if not data.get("new_title"):
                self.add_error("new_title", "Give the new pattern a title.")
            if not data.get("new_component"):
                self.add_error("new_component", "Choose the failed component.")
        return data

    def service_kwargs(self) -> dict:
        return case_close_kwargs(None, self.cleaned_data)


def case_close_kwargs(case, data: dict) -> dict:
    """What ``rca_case_close`` takes, from the close form's cleaned data."""
    kwargs: dict = {"conclusion": data["conclusion"]}
    if data["outcome"] == CaseCloseForm.LINK:
        kwargs["pattern"] = data["pattern"]
    elif data["outcome"] == CaseCloseForm.CREATE:
        kwargs["new_pattern"] = {
            "title": data["new_title"],
            "component": data["new_component"],
            "symptoms": data.get("new_symptoms", ""),
        }
    return kwargs


class AdvisoryForm(forms.ModelForm):
    affected_lots = ListField()
    affected_firmware = ListField()

    class Meta:
        model = Advisory
        fields = ["pattern", "programme", "title", "body", "affected_models", "affected_lots", "affected_firmware"]
        widgets = {"body": forms.Textarea(attrs={"rows": 6})}


class ProgrammeForm(forms.ModelForm):
    lots = ListField()
    firmware_versions = ListField()
    code = forms.CharField(required=False, max_length=32, help_text="Empty: the next free SP-NNNN.")

    class Meta:
        model = Programme
        fields = ["code", *PROGRAMME_FIELDS]
        widgets = {"summary": forms.Textarea(attrs={"rows": 4})}


class WithdrawForm(forms.Form):
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SignalNoteForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SignalLinkForm(forms.Form):
    pattern = forms.ModelChoiceField(queryset=FailurePattern.objects.none())
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, component_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        patterns = FailurePattern.objects.select_related("component").order_by("code")
        field = self.fields["pattern"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = patterns.filter(component_id=component_id) if component_id else patterns
        self.fields["pattern"].help_text = "Patterns of the signal's component."


class SignalDismissForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), help_text="Kept with the signal.")


class ProgrammeCloseForm(forms.Form):
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ProgrammeSerialsForm(forms.Form):
    serials = forms.FileField(
        required=False,
        help_text="A text or CSV file, one serial number a line (the first column is read). "
        "Leave empty to remove the list: the programme then covers every unit its other rules select.",
    )

    def clean_serials(self) -> list[str]:
        upload = self.cleaned_data.get("serials")
        if upload is None:
            return []
        if upload.size > 20 * 1024 * 1024:
            raise forms.ValidationError("The file is larger than 20 MB.", code="file_too_large")
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("The file is not UTF-8 text.", code="invalid_encoding") from None
        serials = [line.split(",")[0].strip().strip('"') for line in text.splitlines()]
        return [serial for serial in serials if serial and serial.lower() not in ("serial", "serial_number")]


class ReimbursementDecisionForm(forms.Form):
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ProgrammeCheckForm(forms.Form):
    serial_number = forms.CharField(
        label=_("Serial number"),
        max_length=64,
        help_text=_("It is on the label on the back of your device or under its battery, and on the box."),
        error_messages={"required": _("Please enter your device's serial number.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
