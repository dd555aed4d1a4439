"""Fault signals over the API: engineers acknowledge, link and dismiss them through their services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from diagnostics import reports
from diagnostics.imports import failures_import
from diagnostics.models import FaultSignal, PatternEvent
from diagnostics.reports import ReportFilters
from tests.factories import ComponentFactory, DeviceFactory, FailurePatternFactory, ProductModelFactory

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


def test_family_magnitude_and_the_failures_behind_a_signal(api, technician, today):
    lot = signal(lot="L7", observed=2, expected=0.2, affected_customers=1, projected_excess=4.0)
    model = signal(observed=3, expected=1.0)
    FaultSignal.objects.filter(pk=model.pk).update(family=lot)
    phone = lot.product_model
    units = [DeviceFactory(product_model=phone, lot=lot_name) for lot_name in ("L7", "L7", "L7", "L8")]
    rows = [
        {"serial_number": units[0].serial_number, "outcome": "confirmed", "component": "battery"},
        {"serial_number": units[1].serial_number, "outcome": "confirmed", "component": "battery"},
        {"serial_number": units[2].serial_number, "outcome": "no_fault_found", "component": "battery"},
        {"serial_number": units[2].serial_number, "outcome": "confirmed", "component": "display"},
        {"serial_number": units[3].serial_number, "outcome": "confirmed", "component": "battery"},
    ]
    result = failures_import(
        rows=[
            {
                **row,
                "external_id": f"X{i}",
                "reported_on": (today - dt.timedelta(days=10)).isoformat(),
                "pattern_code": "",
            }
            for i, row in enumerate(rows)
        ],
        strict=True,
    )
    assert not result.errors
    FaultSignal.objects.filter(pk__in=[lot.pk, model.pk]).update(evidence_as_of=today)
    client = api(technician)

    leader = client.get(f"/api/v1/fault-signals/{lot.pk}/").json()
    member = client.get(f"/api/v1/fault-signals/{model.pk}/").json()
    behind = client.get(f"/api/v1/fault-signals/{lot.pk}/failures/").json()
    behind_model = client.get(f"/api/v1/fault-signals/{model.pk}/failures/").json()
    unknown = client.get("/api/v1/fault-signals/999999/failures/")

    assert leader["cell_key"] == leader["family"] == "lot:PHN-1:L7:battery"
    assert leader["family_leader"] is None
    assert member["family"] == "lot:PHN-1:L7:battery" and member["family_leader"] == lot.pk
    assert leader["affected_units"] == 1500 and leader["affected_customers"] == 1
    assert leader["projected_excess"] == 4.0
    assert behind["count"] == 2
    assert {row["serial_number"] for row in behind["results"]} == {units[0].serial_number, units[1].serial_number}
    assert set(behind["results"][0]) >= {"rma", "reported_on", "serial_number", "lot", "firmware_version", "shipped_on"}
    assert behind_model["count"] == 3  # the model cell: every lot
    assert unknown.status_code == 404 and unknown.json()["code"]
