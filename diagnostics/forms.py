from __future__ import annotations

from django import forms

from diagnostics.models import Component, Diagnosis, FailurePattern
from rma.models import RMA


class DiagnosisForm(forms.Form):
    component = forms.ModelChoiceField(queryset=Component.objects.order_by("name"))
    outcome = forms.ChoiceField(choices=Diagnosis.Outcome.choices)
    symptoms = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="What the unit does, in your words.")
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


class GoodwillForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="Why you approve it: stored with the grant."
    )
    replacement_serial = forms.CharField(
        max_length=64, help_text="A unit from stock, or a new serial of the failed unit's model."
    )


class RetainForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DisposeForm(forms.Form):
    disposition = forms.ChoiceField(
        choices=[(RMA.Disposition.SCRAPPED, "Scrap"), (RMA.Disposition.REFURBISHED_STOCK, "Refurbish")]
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
