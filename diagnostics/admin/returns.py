"""What diagnostics adds to a return's admin page: its diagnoses, goodwill, retention and pattern suggestions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.html import format_html

from core.actions import Action
from core.admin import ReadOnlyInline, person_column
from core.extensions import ACTION_INITIAL, ACTION_PANELS, INLINES, PAGE_PANELS
from diagnostics import matching, selectors
from diagnostics.models import (
    Component,
    Diagnosis,
    FailurePattern,
)
from rma.models import RMA


class DiagnosisInline(ReadOnlyInline):
    model = Diagnosis
    fields = [
        "created_at",
        "component",
        "outcome",
        "pattern",
        "pattern_match",
        "symptoms",
        "findings",
        "technician_name",
    ]
    readonly_fields = [
        "created_at",
        "component",
        "outcome",
        "pattern",
        "pattern_match",
        "symptoms",
        "findings",
        "technician_name",
    ]
    verbose_name_plural = "diagnoses"
    technician_name = person_column("technician")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("component", "pattern", "technician")


def _suggestion_inputs(rma: RMA, form: forms.Form) -> tuple[str, Component | None, str, str]:
    """What to rank patterns for: what the technician typed, else the latest diagnosis, else the customer's words."""
    values = form.data if form.is_bound else form.initial
    symptoms = str(values.get("symptoms") or "").strip()
    component_id = str(values.get("component") or "").strip()
    component = Component.objects.filter(pk=component_id).first() if component_id.isdigit() else None
    source = "the symptoms typed"
    if symptoms == rma.fault_description.strip():  # the form starts from the customer's words
        source = "the customer's description"
    elif not symptoms:
        latest = selectors.latest_diagnosis(rma.pk)
        if latest is not None and latest.symptoms:
            symptoms, source = latest.symptoms, "the last diagnosis"
            component = component or latest.component
        else:
            symptoms, source = rma.fault_description, "the customer's description"
    return symptoms, component, source, str(values.get("pattern") or "")


def rma_page_panels(request: HttpRequest, rma: RMA) -> list[dict[str, Any]]:
    """Goodwill, retention and the unit's earlier returns, on the return's admin page."""
    panels: list[dict[str, Any]] = []
    if rma.status in (RMA.Status.RECEIVED, RMA.Status.DIAGNOSING, RMA.Status.AWAITING_CUSTOMER):
        suggestion = selectors.goodwill_suggestion(rma)
        if suggestion:
            panels.append(
                {
                    "title": "Goodwill replacement suggested",
                    "body": format_html(
                        "{} A supervisor can grant a free replacement and keep the unit for analysis.",
                        suggestion.reason,
                    ),
                    "tone": "good",
                }
            )
        elif rma.coverage == RMA.Coverage.NONE:
            panels.append({"title": "Goodwill not available", "body": suggestion.reason, "tone": "warn"})
    case = getattr(rma, "rca_case", None) if rma.disposition == RMA.Disposition.RETAINED_FOR_RCA else None
    if case is not None:
        panels.append(
            {
                "title": "Retained for root-cause analysis",
                "body": render_to_string("admin/diagnostics/retained.html", {"case": case}, request=request),
                "tone": "info",
            }
        )
    history = selectors.device_history(rma)
    if history:
        repeat = " — this is a repeat failure" if rma.is_repeat else ""
        panels.append(
            {
                "title": f"Earlier returns of this unit ({len(history)}){repeat}",
                "body": render_to_string(
                    "admin/diagnostics/device_history.html", {"history": history, "rma": rma}, request=request
                ),
                "tone": "warn" if rma.is_repeat else "info",
            }
        )
    return panels


def diagnosis_initial(request: HttpRequest, rma: RMA, action: Action) -> dict[str, Any]:
    """The diagnosis form pre-filled from a link (``?pattern=FP-0012&component=&symptoms=``) or a chosen suggestion.

    The symptoms start from the customer's own words, for the technician to correct rather than retype.
    """
    if action.name != "record_diagnosis":
        return {}
    initial: dict[str, Any] = {}
    if request.method == "GET":
        initial["symptoms"] = rma.fault_description
        for name in ("component", "symptoms"):
            if request.GET.get(name):
                initial[name] = request.GET[name]
        chosen = request.GET.get("pattern", "").strip()
        if chosen:
            pattern = FailurePattern.objects.filter(
                **({"pk": chosen} if chosen.isdigit() else {"code": chosen.upper()})
            ).first()
            if pattern is not None:
                initial.update(pattern=pattern.pk, component=pattern.component_id)
    use = request.POST.get("_refresh", "") if request.method == "POST" else ""
    if use.startswith("use:") and use[4:].isdigit():
        pattern = FailurePattern.objects.filter(pk=use[4:]).first()
        if pattern is not None:
            initial.update(pattern=pattern.pk, component=pattern.component_id)
    if "pattern" in initial and not request.POST.get("pattern_match"):
        initial["pattern_match"] = Diagnosis.PatternMatch.CONFIRMED
    return initial


def diagnosis_panels(request: HttpRequest, rma: RMA, action: Action, form: forms.Form) -> list[dict[str, Any]]:
    """The likely failure patterns, ranked, inside the diagnosis form."""
    if action.name != "record_diagnosis":
        return []
    symptoms, component, source, chosen = _suggestion_inputs(rma, form)
    suggestions = matching.pattern_suggestions(
        product_model=rma.device.product_model, component=component, symptoms=symptoms, limit=5
    )
    rows = [{**s.__dict__, "percent": round(s.score * 100)} for s in suggestions]
    context = {
        "suggestions": rows,
        "source": source,
        "component": component,
        "product_model": rma.device.product_model,
        "chosen": chosen,
    }
    return [
        {
            "title": "Likely failure patterns",
            "body": render_to_string("admin/diagnostics/suggestions.html", context, request=request),
        }
    ]


PAGE_PANELS.add("rma", rma_page_panels)
ACTION_INITIAL.add("rma", diagnosis_initial)
ACTION_PANELS.add("rma", diagnosis_panels)
INLINES.add("rma", DiagnosisInline)
