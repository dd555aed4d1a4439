"""Fault signals over the API: engineers acknowledge, link and dismiss them through their services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from diagnostics import reports
from diagnostics.models import FaultSignal, PatternEvent
from diagnostics.reports import ReportFilters
from tests.factories import ComponentFactory, FailurePatternFactory, ProductModelFactory

pytestmark = pytest.mark.django_db


def signal(*, sku="PHN-1", component="battery", lot=None, firmware=None, detected=dt.date(2026, 3, 2), **figures):
    """A signal as the detection scan leaves it (the scan itself is tested with the detection)."""
    cell = "lot" if lot is not None else "firmware" if firmware is not None else "model"
    values = {"observed": 9, "expected": 2.5, "units_in_service": 1500, "rate_ratio": 3.6, "statistic": 8.1}
    values.update(figures)
    return FaultSignal.objects.create(
        cell=cell,
        product_model=ProductModelFactory(sku=sku),
        component=ComponentFactory(code=component),
        lot=lot,
        firmware_version=firmware,
        threshold=6.0,
        first_detected_on=detected,
        evidence_as_of=detected,
        **values,
    )


def test_list_with_filters(api, technician):
    in_lot = signal(lot="L7", statistic=12.0)
    on_firmware = signal(sku="TAB-1", firmware="2.1", component="display", detected=dt.date(2026, 5, 4))
    client = api(technician)

    by_model = client.get("/api/v1/fault-signals/", {"model": "TAB-1"}).json()
    since = client.get("/api/v1/fault-signals/", {"since": "2026-04-01"}).json()
    by_status = client.get("/api/v1/fault-signals/", {"status": "dismissed"}).json()
    one = client.get(f"/api/v1/fault-signals/{in_lot.pk}/").json()

    assert [row["id"] for row in by_model["results"]] == [on_firmware.pk]
    assert [row["id"] for row in since["results"]] == [on_firmware.pk]
    assert by_status["count"] == 0
    assert one["cell_label"] == "PHN-1 · lot L7 · battery"
    assert one["observed"] == 9
    assert one["status"] == "open"


def test_engineers_acknowledge_link_and_dismiss(api, engineer, battery):
    first, second = signal(lot="L1"), signal(lot="L2")
    pattern = FailurePatternFactory(code="FP-0007", component=battery)
    client = api(engineer)

    acknowledged = client.post(f"/api/v1/fault-signals/{first.pk}/acknowledge/", {"note": "Looking."}, format="json")
    linked = client.post(f"/api/v1/fault-signals/{first.pk}/link/", {"pattern": "fp-0007"}, format="json")
    again = client.post(f"/api/v1/fault-signals/{first.pk}/acknowledge/", {}, format="json")
    no_reason = client.post(f"/api/v1/fault-signals/{second.pk}/dismiss/", {}, format="json")
    dismissed = client.post(f"/api/v1/fault-signals/{second.pk}/dismiss/", {"reason": "Mislabelled."}, format="json")

    assert acknowledged.json()["status"] == "acknowledged"
    assert acknowledged.json()["status_changed_by"] == "eng"
    assert linked.json()["status"] == "linked"
    assert linked.json()["pattern"] == "FP-0007"
    assert PatternEvent.objects.get(pattern=pattern, action="fault_signal_linked").source == "api"
    assert again.status_code == 409
    assert again.json()["code"] == "signal_transition_not_allowed"
    assert no_reason.status_code == 400
    assert dismissed.json()["status"] == "dismissed"
    assert dismissed.json()["note"] == "Mislabelled."


def test_a_pattern_of_another_component_cannot_explain_a_signal(api, engineer):
    target = signal()
    FailurePatternFactory(code="FP-0008", component=ComponentFactory(code="display"))

    answer = api(engineer).post(f"/api/v1/fault-signals/{target.pk}/link/", {"pattern": "FP-0008"}, format="json")

    assert answer.status_code == 400
    assert answer.json()["code"] == "pattern_component_mismatch"


def test_only_engineers_act_on_signals(api, technician, supervisor):
    target = signal()
    for user in (technician, supervisor):
        answer = api(user).post(f"/api/v1/fault-signals/{target.pk}/acknowledge/", {}, format="json")
        assert answer.status_code == 403
    target.refresh_from_db()
    assert target.status == "open"


def test_list_queries_do_not_grow_with_the_page_size(api, engineer):
    for number in range(7):
        signal(lot=f"L{number}", component=f"part-{number}", sku=f"PM-{number}")
    counts = []
    for page_size in (5, 50):
        client = api(engineer)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/fault-signals/", {"page_size": page_size}).status_code == 200
        counts.append(len(queries))
    assert counts == [5, 5]


def test_open_fault_signals_report(api, engineer):
    strong = signal(lot="L1", statistic=15.0)
    weak = signal(lot="L2", statistic=7.0)
    signal(lot="L3").delete()  # gone: not counted
    dismissed = signal(firmware="2.1", component="display")
    FaultSignal.objects.filter(pk=dismissed.pk).update(status="dismissed", note="Chance.")

    report = reports.fault_signals_open(ReportFilters())
    only_lot = reports.fault_signals_open(ReportFilters(lot="L2"))
    over_api = api(engineer).get("/api/v1/reports/fault-signals/", {"format": "csv"})

    assert [row["id"] for row in report.rows] == [strong.pk, weak.pk]
    assert report.rows[0]["cell"] == "PHN-1 · lot L1 · battery"
    assert report.extra["by_status"] == {"open": 2, "acknowledged": 0, "linked": 0, "dismissed": 1}
    assert [row["id"] for row in only_lot.rows] == [weak.pk]
    assert over_api.status_code == 200
    assert over_api.content.decode().splitlines()[0].startswith("id,cell,model,component")
