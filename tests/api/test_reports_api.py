"""The reports over the API: JSON by default, CSV with ?format=csv, filters checked, queries pinned."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from diagnostics.imports import failures_import
from tests.factories import UserFactory
from tests.report_fleet import build_report_fleet

pytestmark = pytest.mark.django_db


@pytest.fixture
def fleet(db):
    build_report_fleet()


def test_pareto_as_json_and_csv(api, engineer, fleet):
    client = api(engineer)

    as_json = client.get("/api/v1/reports/pareto/", {"date_to": "2025-06-30"})
    as_csv = client.get("/api/v1/reports/pareto/", {"date_to": "2025-06-30", "format": "csv", "by": "component"})

    assert as_json.status_code == 200
    body = as_json.json()
    assert body["report"] == "pareto"
    assert body["filters"]["date_to"] == "2025-06-30"
    assert [(row["key"], row["failures"]) for row in body["rows"]] == [("FP-0001", 3), ("(no pattern)", 1)]
    assert as_csv.status_code == 200
    assert as_csv["Content-Type"].startswith("text/csv")
    assert as_csv["Content-Disposition"] == 'attachment; filename="pareto.csv"'
    table = list(csv.DictReader(io.StringIO(as_csv.content.decode())))
    assert [(row["key"], row["failures"], row["cumulative_share"]) for row in table] == [
        ("battery", "3", "0.75"),
        ("display", "1", "1"),
    ]


def test_life_points_as_csv(api, engineer, fleet):
    answer = api(engineer).get(
        "/api/v1/reports/life/", {"date_to": "2025-06-30", "model": "PHN-A", "format": "csv", "table": "points"}
    )
    table = list(csv.DictReader(io.StringIO(answer.content.decode())))
    # figures for people in the CSV (0.09999999999999998 reads 0.1); the JSON keeps full precision
    assert [(row["age_days"], row["unreliability"]) for row in table] == [("31", "0.1"), ("59", "0.2"), ("61", "0.3")]
    assert all(float(row["unreliability_low"]) < float(row["unreliability"]) for row in table)


@pytest.mark.parametrize(
    "params, field",
    [
        ({"date_from": "yesterday"}, "date_from"),
        ({"date_from": "2025-05-01", "date_to": "2025-04-01"}, "date_to"),
        ({"by": "colour"}, "by"),
        ({"format": "xml"}, None),
        ({"surprise": "1"}, "surprise"),
    ],
)
def test_bad_filters_are_400(api, engineer, params, field):
    answer = api(engineer).get("/api/v1/reports/failure-rates/", params)
    assert answer.status_code in (400, 404)
    if field:
        assert answer.status_code == 400
        body = answer.json()
        assert field in body.get("errors", {}) or body.get("field") == field, body


def test_reports_need_a_staff_role(api, engineer, technician, roles):
    assert api().get("/api/v1/reports/trend/").status_code == 401
    nobody = UserFactory(username="nobody")
    # a token of a user without a role does not work at all; signed in, the same user is refused the report
    assert api(nobody).get("/api/v1/reports/trend/").json()["code"] == "token_not_allowed"
    session = api()
    session.force_login(nobody)
    assert session.get("/api/v1/reports/trend/").status_code == 403
    assert api(technician).get("/api/v1/reports/trend/").status_code == 200


# Per request: the token with its user, the user's two permission queries; then the report's own.
REPORT_QUERIES = {
    "pareto": 1,
    "failure-rates": 3,  # units, failures, the models' SKUs
    "trend": 1,
    "life": 3,
    "no-fault-found": 1,
    "repeats": 1,
    "goodwill": 3,  # grants by pattern, compensation, service-programme reimbursements
    "fault-signals": 2,
}


@pytest.mark.parametrize("name", sorted(REPORT_QUERIES))
def test_report_queries_are_pinned_and_do_not_grow_with_the_fleet(api, engineer, name, make_device, battery):
    counts = []
    for _round in range(2):
        build_more(make_device)
        client = api(engineer)
        with CaptureQueriesContext(connection) as queries:
            answer = client.get(f"/api/v1/reports/{name}/")
        assert answer.status_code == 200
        counts.append(len(queries))
    assert counts == [3 + REPORT_QUERIES[name]] * 2, [q["sql"] for q in queries.captured_queries]


SERIES = itertools.count(1)


def build_more(make_device):
    """Five more units, each with a failure of its own date, component and pattern."""
    start = dt.date(2025, 1, 6)
    rows = []
    for _ in range(5):
        device = make_device(shipped_on=start, manufactured_on=start)
        number = next(SERIES)
        rows.append(
            {
                "external_id": f"Q{number}",
                "serial_number": device.serial_number,
                "reported_on": (start + dt.timedelta(days=7 * number)).isoformat(),
                "component": f"part-{number}",
                "pattern_code": f"FP-{number:04d}",
                "outcome": "confirmed",
            }
        )
    assert not failures_import(rows=rows, strict=True).errors


def test_an_error_is_json_even_when_csv_was_asked_for(api, engineer):
    answer = api(engineer).get("/api/v1/reports/pareto/", {"format": "csv", "date_from": "soon"})

    assert answer.status_code == 400
    assert answer["Content-Type"] == "application/json"
    assert answer.json()["errors"]["date_from"]


def test_blank_filters_mean_no_filter(api, engineer, fleet):
    answer = api(engineer).get("/api/v1/reports/pareto/", {"date_from": "", "model": "", "date_to": "2025-06-30"})
    assert answer.status_code == 200
    assert answer.json()["total_failures"] == 4


def test_the_csv_path_answers_the_same_table_as_format_csv(api, engineer, fleet):
    client = api(engineer)
    params = {"date_to": "2025-06-30", "by": "component"}

    by_path = client.get("/api/v1/reports/pareto.csv", params, HTTP_ACCEPT="application/json")
    by_format = client.get("/api/v1/reports/pareto/", {**params, "format": "csv"})
    refused = client.get("/api/v1/reports/pareto.csv", {"date_from": "soon"})

    assert by_path.status_code == 200
    assert by_path["Content-Type"].startswith("text/csv")
    assert by_path["Content-Disposition"] == 'attachment; filename="pareto.csv"'
    assert by_path.content == by_format.content
    assert refused.status_code == 400 and refused.json()["errors"]["date_from"]


def declared(serializer) -> dict:
    """The fields a serializer declares, nested ones (and lists of them) as dicts of their own."""
    shape = {}
    for name, field in serializer.fields.items():
        child = getattr(field, "child", field)
        shape[name] = declared(child) if hasattr(child, "fields") else None
    return shape


def emitted(value) -> dict | None:
    """The fields a JSON answer has, with every row (or nested object) merged into one shape."""
    if isinstance(value, list):
        shapes = [emitted(item) for item in value if isinstance(item, dict)]
        return {k: v for shape in shapes for k, v in (shape or {}).items()} if shapes else None
    if isinstance(value, dict):
        return {name: emitted(item) for name, item in value.items()}
    return None


@pytest.mark.parametrize(
    ("name", "by"),
    [
        ("pareto", ""),
        ("pareto", "component"),
        ("failure-rates", "model"),
        ("failure-rates", "lot"),
        ("failure-rates", "firmware"),
        ("trend", ""),
        ("life", "model"),
        ("life", "component"),
        ("no-fault-found", ""),
        ("repeats", ""),
        ("goodwill", ""),
        ("fault-signals", ""),
    ],
)
def test_each_report_answers_exactly_the_fields_its_schema_declares(api, engineer, fleet, name, by, build, supervisor):
    from diagnostics import services as diagnostics_services
    from diagnostics.api.report_serializers import SERIALIZERS
    from diagnostics.models import Component, FaultSignal
    from rma.models import RMA, Source

    # a goodwill grant and a fault signal on a whole model (its lot and firmware null), as of today
    kept = build(RMA.Status.DIAGNOSING, in_warranty=False)
    diagnostics_services.goodwill_grant(
        rma=kept, actor=supervisor, source=Source.ADMIN, reason="Unknown.", replacement_serial="GW-SHAPE"
    )
    # and a service programme's reimbursement, approved
    from diagnostics import programmes
    from diagnostics.models import Reimbursement
    from tests.factories import FailurePatternFactory

    programme = programmes.programme_create(
        actor=engineer,
        title="Battery programme",
        summary="Swelling.",
        pattern=FailurePatternFactory(component=Component.objects.get(code="battery")),
        product_models=[kept.device.product_model],
        coverage_years=3,
    )
    proposal = Reimbursement.objects.create(programme=programme, rma=kept, amount="49.00", currency="EUR")
    programmes.reimbursement_approve(reimbursement=proposal, actor=supervisor, source=Source.ADMIN)
    FaultSignal.objects.create(
        cell="model",
        product_model=kept.device.product_model,
        component=Component.objects.get(code="battery"),
        observed=9,
        expected=2.5,
        units_in_service=1500,
        rate_ratio=3.6,
        statistic=8.1,
        threshold=6.0,
        first_detected_on=dt.date(2025, 6, 2),
        evidence_as_of=dt.date(2025, 6, 2),
    )
    params = {"by": by} if by else {}
    if name != "goodwill":
        params["date_to"] = "2025-06-30"
    body = api(engineer).get(f"/api/v1/reports/{name}/", params).json()
    wanted = declared(SERIALIZERS[name]())
    if name == "failure-rates":  # the grouping column is there only when grouped by it
        for column in {"lot", "firmware"} - {by}:
            wanted["rows"].pop(column)

    assert body["rows"], "every report has rows here"
    assert emitted(body) == wanted
