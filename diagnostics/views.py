"""The report pages under ``/reports/`` (staff only): a filter form, charts, the table, and CSV links.

The figures come from ``diagnostics.reports``, the same functions the API's report endpoints call;
the charts are drawn by the vendored Chart.js from the report's JSON embedded in the page. Reports are
read from the read replica when one is configured, and say how old their figures are (``core.replica``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from core.dates import date_in_range
from core.replica import Freshness, replica_reads
from diagnostics import programmes, reports
from diagnostics.models import Programme
from rma.models import ProductModel

VIEW_REPORTS = ("diagnostics.view_diagnosis", "rma.view_device")
TABLE_ROWS = 40  # rows shown under the chart; the CSV has them all


@dataclass(frozen=True)
class Page:
    name: str  # the report's name in ``reports.REPORTS`` and the API
    title: str
    intro: str
    choices: tuple[tuple[str, str], ...] = ()  # ``by``: (value, label), the first the default

    @property
    def url_name(self) -> str:
        return self.name.replace("-", "_")

    @property
    def url(self) -> str:
        return reverse(f"reports:{self.url_name}")


PAGES = {
    page.name: page
    for page in [
        Page(
            "pareto",
            "Pareto of failures",
            "Failures by pattern or component, most frequent first; the line is the running share.",
            (("pattern", "Pattern"), ("component", "Component")),
        ),
        Page(
            "failure-rates",
            "Failure rate per 1,000 units in service",
            "Failures reported in the period per 1,000 units shipped by its end, with exact 90 % intervals, ranked "
            "by how far the interval's low end stands above the model's rate: exposure, not raw counts.",
            (("lot", "Lot"), ("firmware", "Firmware"), ("model", "Model")),
        ),
        Page("trend", "Weekly trend per pattern", "Failures per week (by the day they were reported) and pattern."),
        Page(
            "life",
            "Life data (Weibull)",
            "Time to first failure from the warranty's start, with the units still running counted as censored "
            "(by default at their warranty's end too; by component, also when they left service after another "
            "failure). Points: Kaplan–Meier estimate with its 90 % Greenwood band; lines: the fitted Weibull "
            "(shown from 5 failures, with 90 % bounds in the table), on Weibull probability paper.",
            (("model", "Model"), ("component", "Component")),
        ),
        Page("no-fault-found", "No fault found", "Diagnosed returns per model where the technician found no fault."),
        Page("repeats", "Repeat failures", "Returns per model that came back with the same fault soon after shipping."),
        Page(
            "fault-signals",
            "Open fault signals",
            "Cells where confirmed failures run above what their units in service lead one to expect, raised "
            "by the detection scan and not yet linked to a pattern or dismissed. Bars: observed over expected.",
        ),
        Page(
            "goodwill",
            "Goodwill and compensation",
            "Goodwill replacements by the pattern of the unit kept, the compensation approved and the "
            "service-programme reimbursements paid.",
        ),
    ]
}


class ReportFilterForm(forms.Form):
    model = forms.ChoiceField(required=False, label="Model")
    lot = forms.CharField(required=False, max_length=64)
    firmware = forms.CharField(required=False, max_length=64)
    date_from = forms.DateField(
        required=False, label="From", validators=[date_in_range], widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", validators=[date_in_range], widget=forms.DateInput(attrs={"type": "date"})
    )
    by = forms.ChoiceField(required=False, label="By")
    view = forms.ChoiceField(
        required=False,
        label="Ages",
        choices=[("warranty", "Within warranty (censored at its end)"), ("field", "In the field (to the as-of date)")],
    )

    def __init__(self, *args: Any, page: Page, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        models = ProductModel.objects.order_by("sku").values_list("sku", "name")
        model_field = self.fields["model"]
        assert isinstance(model_field, forms.ChoiceField)
        model_field.choices = [("", "All models"), *[(sku, f"{sku} {name}") for sku, name in models]]
        by_field = self.fields["by"]
        assert isinstance(by_field, forms.ChoiceField)
        if page.choices:
            by_field.choices = list(page.choices)
        else:
            del self.fields["by"]
        if page.name != "life":
            del self.fields["view"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "The range ends before it starts.")
        return data


def _require_staff_reports(request: HttpRequest) -> None:
    if not request.user.has_perms(VIEW_REPORTS):
        raise PermissionDenied


def _table(report: dict[str, Any] | None) -> list[list[Any]]:
    """The first rows in column order (the trend: the latest weeks first)."""
    if not report:
        return []
    rows = report["rows"]
    if report["report"] == "trend":
        rows = list(reversed(rows))
    return [
        [reports.for_people(row.get(column), grouping=True) for column in report["columns"]]
        for row in rows[:TABLE_ROWS]
    ]


@login_required
def report_index(request: HttpRequest) -> HttpResponse:
    _require_staff_reports(request)
    return render(request, "diagnostics/reports/index.html", {"pages": PAGES.values()})


@login_required
def report_page(request: HttpRequest, name: str) -> HttpResponse:
    _require_staff_reports(request)
    page = PAGES[name]
    form = ReportFilterForm(request.GET or None, page=page)
    report = None
    freshness: Freshness | None = None
    status = 200
    if not request.GET or form.is_valid():
        data = form.cleaned_data if request.GET else {}
        filters = reports.ReportFilters(
            model=data.get("model") or "",
            lot=(data.get("lot") or "").strip(),
            firmware=(data.get("firmware") or "").strip(),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
        kwargs: dict[str, Any] = {"by": data.get("by") or page.choices[0][0]} if page.choices else {}
        if name == "life":
            kwargs["view"] = data.get("view") or "warranty"
        with replica_reads() as freshness:
            report = reports.REPORTS[name](filters, **kwargs).as_dict()
        report["freshness"] = freshness.as_dict()
    else:
        status = 400
    query = {key: value for key, value in request.GET.items() if value}
    api_url = reverse(f"v1:report-{name}")
    if page.choices and "by" not in query:
        query["by"] = page.choices[0][0]
    csv_links = [("Download the table (CSV)", f"{api_url}?{urlencode({**query, 'format': 'csv'})}")]
    if name == "life":
        csv_links.append(
            (
                "Download the Kaplan–Meier points (CSV)",
                f"{api_url}?{urlencode({**query, 'format': 'csv', 'table': 'points'})}",
            )
        )
    context = {
        "page": page,
        "pages": PAGES.values(),
        "form": form,
        "report": report,
        "freshness": freshness,
        "csv_links": csv_links,
        "columns": [column.replace("_", " ") for column in report["columns"]] if report else [],
        "table": _table(report),
        "table_rows": TABLE_ROWS,
    }
    return render(request, "diagnostics/reports/report.html", context, status=status)


# Service programmes' progress (SPEC §11) ---------------------------------------------------------------


@login_required
def programme_index(request: HttpRequest) -> HttpResponse:
    _require_staff_reports(request)
    rows = Programme.objects.select_related("pattern").order_by("-status", "code")
    return render(request, "diagnostics/reports/programmes.html", {"pages": PAGES.values(), "programmes": rows})


@login_required
def programme_progress_page(request: HttpRequest, code: str) -> HttpResponse:
    _require_staff_reports(request)
    programme = Programme.objects.filter(code=code.upper()).select_related("pattern").first()
    if programme is None:
        raise Http404
    progress = programmes.programme_progress(programme)
    context = {
        "pages": PAGES.values(),
        "programme": programme,
        "progress": progress,
        "api_url": reverse("v1:programme-progress", args=[programme.code]),
    }
    return render(request, "diagnostics/reports/programme.html", context)
