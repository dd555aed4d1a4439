"""``/api/v1/reports/...``: the failure reports as JSON (``reports/<name>/``) and as CSV (``reports/<name>.csv``).

Reports are read from the read replica when one is configured (``core.replica``); how old the figures
are is in the JSON's ``freshness`` and, for the CSV too, in the ``X-Data-As-Of`` header.

``?format=csv`` on the JSON path answers the CSV too (SPEC §8); the schema documents the CSV as an operation
of its own, so a generated client reads each answer with one type.
"""

from __future__ import annotations

import io
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers, serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.input import DayField, StrictInput
from core.api.permissions import ActionPermission
from core.csv_safety import SafeDictWriter
from core.exceptions import InvalidInput
from core.replica import replica_reads
from diagnostics import reports
from diagnostics.api.report_serializers import SERIALIZERS

VIEW_REPORTS = ("diagnostics.view_diagnosis", "rma.view_device")


class ReportFilterSerializer(StrictInput):
    model = serializers.CharField(required=False, allow_blank=True, default="", help_text="Product model SKU.")
    lot = serializers.CharField(required=False, allow_blank=True, default="")
    firmware = serializers.CharField(required=False, allow_blank=True, default="")
    date_from = DayField(required=False, allow_null=True, default=None)
    date_to = DayField(required=False, allow_null=True, default=None)
    format = serializers.ChoiceField(choices=["json", "csv"], required=False, default="json")
    by = serializers.CharField(required=False, allow_blank=True, default="")
    table = serializers.ChoiceField(
        choices=["rows", "points"], required=False, default="rows", help_text="CSV: which table (life: `points`)."
    )
    view = serializers.ChoiceField(choices=list(reports.LIFE_VIEWS), required=False, default="")

    def validate(self, attrs):
        if attrs["date_from"] and attrs["date_to"] and attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_to": ["The range ends before it starts."]})
        return attrs


class CSVRenderer(renderers.BaseRenderer):
    """A report's table as CSV (formula-like text escaped, ``core.csv_safety``; figures rounded for people,
    ``reports.for_people``): its rows, or for life data with ``table=points`` the Kaplan–Meier points."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        request = (renderer_context or {}).get("request")
        table = request.query_params.get("table", "rows") if request is not None else "rows"
        if table == "points" and "points" in data:
            rows, columns = data["points"], reports.POINT_COLUMNS
        else:
            rows = data.get("rows") or []
            columns = data.get("columns") or (list(rows[0]) if rows else [])
        out = io.StringIO()
        writer = SafeDictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        # figures as people read them; the JSON keeps full precision
        writer.writerows({name: reports.for_people(value) for name, value in row.items()} for row in rows)
        return out.getvalue().encode("utf-8")


FILTER_PARAMETERS = [
    OpenApiParameter("model", str, description="Product model SKU."),
    OpenApiParameter("lot", str),
    OpenApiParameter("firmware", str),
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="First day."),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="Last day."),
]


def report_filters(data: dict[str, Any]) -> reports.ReportFilters:
    return reports.ReportFilters(
        model=data["model"].strip(),
        lot=data["lot"].strip(),
        firmware=data["firmware"].strip(),
        date_from=data["date_from"],
        date_to=data["date_to"],
    )


class ReportView(APIView):
    """A report as JSON; ``?format=csv`` still answers its CSV (the schema offers ``reports/<name>.csv``)."""

    report = ""
    choices: tuple[str, ...] = ()  # the report's ``by`` values, the first the default
    permission_classes = [ActionPermission]
    throttle_scope = "reports"  # its own API_THROTTLE_RATES entry (core.api.throttling)
    action_permissions = {"get": VIEW_REPORTS}
    renderer_classes = [renderers.JSONRenderer, CSVRenderer]

    def get_renderers(self) -> list:
        # The schema (drf-spectacular marks its views so) documents one media type for each operation.
        renderers = super().get_renderers()
        return renderers[:1] if getattr(self, "swagger_fake_view", False) else renderers

    def handle_exception(self, exc: Exception) -> Response:
        # Errors are always the API's JSON, even when a CSV was asked for.
        self.request.accepted_renderer = renderers.JSONRenderer()
        self.request.accepted_media_type = "application/json"
        return super().handle_exception(exc)

    def get(self, request: Request) -> Response:
        # An empty parameter (a form's blank field) means no filter.
        params = ReportFilterSerializer(data={key: value for key, value in request.query_params.items() if value})
        params.is_valid(raise_exception=True)
        data = params.validated_data
        kwargs = {}
        if self.choices:
            by = data["by"] or self.choices[0]
            if by not in self.choices:
                raise InvalidInput(f"`by` is one of {', '.join(self.choices)}.", code="invalid_by", field="by")
            kwargs["by"] = by
        elif data["by"]:
            raise InvalidInput("This report has no `by`.", code="invalid_by", field="by")
        if data["view"]:
            if self.report != "life":
                raise InvalidInput("Only the life report has a `view`.", code="invalid_view", field="view")
            kwargs["view"] = data["view"]
        with replica_reads() as freshness:
            result = reports.REPORTS[self.report](report_filters(data), **kwargs)
        response = Response({**result.as_dict(), "freshness": freshness.as_dict()}, headers=freshness.headers())
        if request.accepted_renderer.format == "csv":
            response["Content-Disposition"] = f'attachment; filename="{self.report}.csv"'
        return response


class CSVFirst(DefaultContentNegotiation):
    """``reports/<name>.csv`` answers CSV whatever the client accepts (its errors are still JSON)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class ReportCSVView(ReportView):
    renderer_classes = [CSVRenderer, renderers.JSONRenderer]
    content_negotiation_class = CSVFirst


def _parameters(name: str, choices: tuple[str, ...], *, csv: bool) -> list[OpenApiParameter]:
    parameters = list(FILTER_PARAMETERS)
    if choices:
        parameters.append(OpenApiParameter("by", str, enum=list(choices), description=f"Default `{choices[0]}`."))
    if name == "life":
        parameters.append(
            OpenApiParameter(
                "view",
                str,
                enum=list(reports.LIFE_VIEWS),
                description="`warranty` (default): ages censored at each warranty end; `field`: to the as-of date.",
            )
        )
    if csv and name == "life":
        parameters.append(
            OpenApiParameter(
                "table", str, enum=["rows", "points"], description="`points`: the Kaplan–Meier points, not the fits."
            )
        )
    return parameters


def report_views(name: str, choices: tuple[str, ...] = (), doc: str = "") -> tuple[type[ReportView], type[ReportView]]:
    """The report's JSON view (``reports/<name>/``) and its CSV view (``reports/<name>.csv``)."""
    operation = f"reports_{name.replace('-', '_')}"

    def get(self: ReportView, request: Request) -> Response:
        return ReportView.get(self, request)

    def get_csv(self: ReportView, request: Request) -> Response:
        return ReportView.get(self, request)

    json_get = extend_schema(
        operation_id=operation,
        parameters=_parameters(name, choices, csv=False),
        responses={(200, "application/json"): SERIALIZERS[name]},
        description=f"{doc} The same table as CSV: `reports/{name}.csv`.",
    )(get)
    csv_get = extend_schema(
        operation_id=f"{operation}_csv",
        parameters=_parameters(name, choices, csv=True),
        responses={
            (200, "text/csv"): OpenApiResponse(
                response=OpenApiTypes.STR, description="The report's rows as CSV, with a header line."
            )
        },
        description=f"{doc} As CSV (the rows of `reports/{name}/`).",
    )(get_csv)
    title = name.title().replace("-", "")
    attrs = {"report": name, "choices": choices, "__doc__": doc}
    return (
        type(f"{title}ReportView", (ReportView,), {**attrs, "get": json_get}),
        type(f"{title}ReportCSVView", (ReportCSVView,), {**attrs, "get": csv_get}),
    )


PARETO = report_views("pareto", ("pattern", "component"), "Failures by pattern or component, most first, with shares.")
FAILURE_RATES = report_views(
    "failure-rates", ("model", "lot", "firmware"), "Failures per 1,000 units in service by model, lot or firmware."
)
TREND = report_views("trend", (), "Failures per week and pattern.")
LIFE = report_views(
    "life",
    ("model", "component"),
    "Weibull shape and scale (right-censored MLE), B10 and mean life in days, and the Kaplan–Meier points.",
)
NO_FAULT_FOUND = report_views("no-fault-found", (), "Diagnosed returns per model and the no-fault-found rate.")
REPEATS = report_views("repeats", (), "Returns per model and the repeat-failure rate.")
GOODWILL = report_views("goodwill", (), "Goodwill replacements by pattern, and the compensation approved.")

FAULT_SIGNALS = report_views(
    "fault-signals", (), "Fault signals still open or acknowledged, strongest first, and how many are in each status."
)

# name -> (JSON view, CSV view)
REPORT_VIEWS = {
    "pareto": PARETO,
    "failure-rates": FAILURE_RATES,
    "trend": TREND,
    "life": LIFE,
    "no-fault-found": NO_FAULT_FOUND,
    "repeats": REPEATS,
    "goodwill": GOODWILL,
    "fault-signals": FAULT_SIGNALS,
}
