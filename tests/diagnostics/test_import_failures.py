"""``import_failures``: historical field failures as closed RMAs with diagnoses (SPEC §8)."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from unittest import mock

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from diagnostics.imports import failures_import, failures_import_csv
from diagnostics.models import Component, Diagnosis, FailurePattern
from rma import policy
from rma.models import RMA, RMAEvent
from rma.services.returns import NUMBER_ALPHABET
from tests.factories import (
    ComponentFactory,
    CustomerFactory,
    DeviceFactory,
    FailurePatternFactory,
    ProductModelFactory,
)

pytestmark = pytest.mark.django_db

HEADER = "external_id,serial_number,reported_on,component,pattern_code,outcome"


@pytest.fixture
def phone_model(db):
    return ProductModelFactory(sku="PHN-1", warranty_months=12)


@pytest.fixture
def owner(db):
    return CustomerFactory(email="owner@example.com")


@pytest.fixture
def device(phone_model, owner):
    return DeviceFactory(
        serial_number="SN-1",
        product_model=phone_model,
        manufactured_on=dt.date(2024, 1, 2),
        shipped_on=dt.date(2024, 1, 15),
        owner=owner,
    )


def import_text(*lines: str, header: str = HEADER, strict: bool = False):
    return failures_import_csv(file=StringIO("\n".join([header, *lines]) + "\n"), strict=strict)


def run_import(tmp_path, *lines: str, header: str = HEADER, args: tuple[str, ...] = ()) -> str:
    path = tmp_path / "failures.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    out = StringIO()
    call_command("import_failures", str(path), *args, stdout=out)
    return out.getvalue()


def errors_by_line(result) -> dict[int, str]:
    return {error.line: error.message for error in result.errors}


def test_each_row_becomes_a_closed_rma_with_its_diagnosis_and_timeline(device, owner):
    battery = ComponentFactory(code="battery", name="Battery")
    pattern = FailurePatternFactory(code="FP-0001", component=battery)

    result = import_text(
        "EXT-1,sn-1,2024-06-03,Battery,fp-0001,confirmed,Swollen cell",
        header=HEADER + ",notes",
    )

    assert (result.created, result.errors, result.written) == (1, [], True)
    rma = RMA.objects.get(external_id="EXT-1")
    assert rma.device == device and rma.customer == owner
    assert (rma.status, rma.channel, rma.resolution) == ("closed", "import", "")
    decision = policy.warranty_decide(reported_on=dt.date(2024, 6, 3), warranty_ends_on=device.warranty_ends_on)
    assert (rma.coverage, rma.coverage_reason) == ("warranty", decision.reason)
    assert rma.reported_on == dt.date(2024, 6, 3)
    assert timezone.localdate(rma.created_at) == dt.date(2024, 6, 3)
    assert rma.closed_at == rma.created_at == rma.status_changed_at
    assert rma.due_at is None
    assert rma.fault_description == "Swollen cell"
    assert rma.number.startswith("RMA-") and set(rma.number[4:]) <= set(NUMBER_ALPHABET)
    diagnosis = Diagnosis.objects.get(rma=rma)
    assert (diagnosis.component, diagnosis.outcome, diagnosis.pattern) == (battery, "confirmed", pattern)
    assert (diagnosis.pattern_match, diagnosis.findings) == ("confirmed", "Swollen cell")
    assert diagnosis.created_at == rma.created_at
    events = list(rma.events.all())
    assert [(event.action, event.to_status, event.source) for event in events] == [
        ("import", "closed", "import"),
        ("record_diagnosis", "", "import"),
    ]
    assert events[0].data == {
        "external_id": "EXT-1",
        "coverage": "warranty",
        "coverage_code": "in_warranty",
        "in_warranty": True,
        "resolution": "",
    }
    assert events[1].internal_note == "Confirmed failure: Battery, pattern FP-0001"
    assert events[1].data == {
        "component": "battery",
        "outcome": "confirmed",
        "pattern": "FP-0001",
        "pattern_match": "confirmed",
    }
    assert all(event.customer_message == "" for event in events)
    assert mail.outbox == []


def test_coverage_and_resolution_follow_the_policy_and_the_outcome(phone_model):
    DeviceFactory(
        serial_number="OLD",
        product_model=phone_model,
        manufactured_on=dt.date(2022, 1, 3),
        shipped_on=dt.date(2022, 1, 10),
        owner=None,
    )

    import_text(
        "E1,OLD,2023-03-01,display,,no_fault_found",
        "E2,OLD,2023-05-01,display,,cause_unknown",
    )

    nff, unknown = RMA.objects.get(external_id="E1"), RMA.objects.get(external_id="E2")
    assert (nff.coverage, nff.resolution, nff.customer) == ("none", "no_fault_found", None)
    assert (unknown.coverage, unknown.resolution) == ("none", "")
    assert nff.coverage_reason.startswith("Reported on 01 Mar 2023, 51 days after the warranty ended on 09 Jan 2023")
    assert Diagnosis.objects.get(rma=unknown).pattern is None


def test_reimporting_creates_nothing_new(tmp_path, device):
    lines = ["E1,SN-1,2024-06-03,battery,FP-0100,confirmed", "E2,SN-1,2024-07-03,display,,no_fault_found"]
    run_import(tmp_path, *lines)
    counts = (RMA.objects.count(), Diagnosis.objects.count(), RMAEvent.objects.count(), Component.objects.count())

    output = run_import(tmp_path, *lines, "E3,SN-1,2024-08-03,display,,no_fault_found")

    assert RMA.objects.count() == counts[0] + 1
    assert Diagnosis.objects.count() == counts[1] + 1
    assert RMAEvent.objects.count() == counts[2] + 2
    assert Component.objects.count() == counts[3]
    assert "Already imported:" in output and "2" in output.split("Already imported:")[1].splitlines()[0]


def test_unknown_serials_are_errors_with_their_line_numbers(tmp_path, device):
    result = import_text(
        "E1,SN-1,2024-06-03,battery,,confirmed",
        "E2,NOPE-1,2024-06-03,battery,,confirmed",
        "E3,SN-1,2024-06-04,battery,,confirmed",
        "E4,NOPE-2,2024-06-03,battery,,confirmed",
    )

    assert errors_by_line(result) == {3: "no device has serial number NOPE-1", 5: "no device has serial number NOPE-2"}
    assert set(RMA.objects.values_list("external_id", flat=True)) == {"E1", "E3"}
    output = run_import(tmp_path, "E9,NOPE-3,2024-06-03,battery,,confirmed")
    assert "line 2: no device has serial number NOPE-3" in output


def test_unknown_components_and_patterns_are_created_and_listed(tmp_path, device):
    ComponentFactory(code="battery", name="Battery")

    output = run_import(
        tmp_path,
        "E1,SN-1,2024-06-03,charging-port,FP-0042,confirmed",
        "E2,SN-1,2024-06-04,charging-port,fp-0042,cause_unknown",
        "E3,SN-1,2024-06-05,battery,,confirmed",
        "E4,SN-1,2024-06-06,Radio_Module,,confirmed",
    )

    port = Component.objects.get(code="charging-port")
    assert port.name == "Charging port"
    assert Component.objects.get(code="radio_module").name == "Radio module"
    pattern = FailurePattern.objects.get(code="FP-0042")
    assert (pattern.component, pattern.status, pattern.title) == (port, "new", "FP-0042")
    assert Diagnosis.objects.filter(pattern=pattern).count() == 2
    assert Diagnosis.objects.get(rma__external_id="E2").pattern_match == "suspected"
    assert "New components:" in output and "(charging-port, radio_module)" in output
    assert "New patterns:" in output and "(FP-0042)" in output


def test_outcomes_and_patterns_are_validated(device):
    display = ComponentFactory(code="display")
    FailurePatternFactory(code="FP-0001", component=ComponentFactory(code="battery"))

    result = import_text(
        "E1,SN-1,2024-06-03,display,,broken",
        "E2,SN-1,2024-06-03,display,FP-0001,confirmed",
        "E3,SN-1,2024-06-03,display,FP-0777,confirmed",
        "E4,SN-1,2024-06-03,battery,FP-0777,confirmed",
        "E5,SN-1,2024-06-03,display,FP-0777,no_fault_found",
        "E6,SN-1,2024-06-03,display,,",
        "E7,SN-1,2024-06-03,display,,CUSTOMER_DAMAGE",
    )

    assert errors_by_line(result) == {
        2: "outcome “broken” is not one of confirmed, no_fault_found, customer_damage, cause_unknown",
        3: "pattern FP-0001 is a battery failure, not display",
        5: "pattern FP-0777 is a display failure, not battery",
        6: "a failure pattern is linked only to a real failure, not to no_fault_found",
        7: "outcome “” is not one of confirmed, no_fault_found, customer_damage, cause_unknown",
    }
    assert set(RMA.objects.values_list("external_id", flat=True)) == {"E3", "E7"}
    assert FailurePattern.objects.get(code="FP-0777").component == display
    assert Diagnosis.objects.get(rma__external_id="E7").outcome == "customer_damage"


def test_bad_values_are_reported_per_row(device):
    result = import_text(
        "E1,SN-1,2024-02-30,battery,,confirmed",
        "E2,SN-1,03/06/2024,battery,,confirmed",
        "E3,SN-1,2023-12-01,battery,,confirmed",
        "E4,SN-1,2024-01-10,battery,,confirmed",
        f"E5,SN-1,{timezone.localdate() + dt.timedelta(days=2)},battery,,confirmed",
        ",SN-1,2024-06-03,battery,,confirmed",
        "E7,,2024-06-03,battery,,confirmed",
        "E8,SN-1,2024-06-03,main board,,confirmed",
        "E9,SN-1,2024-06-03,battery,,confirmed",
        "E9,SN-1,2024-06-04,battery,,confirmed",
        "E10,SN-1,2024-06-03",
    )

    errors = errors_by_line(result)
    assert errors[2] == "reported_on 2024-02-30 is not a real date"
    assert errors[3] == "reported_on “03/06/2024” is not a date written YYYY-MM-DD"
    assert errors[4] == "reported_on 2023-12-01 is before the unit was manufactured (2024-01-02)"
    assert errors[5] == "reported_on 2024-01-10 is before the unit shipped (2024-01-15)"
    assert errors[6].startswith("reported_on") and "outside" in errors[6]
    assert errors[7] == "external_id is empty"
    assert errors[8] == "serial_number is empty"
    assert errors[9].startswith("component “main board” is not a code")
    assert errors[11] == "external_id E9 already appears on line 10"
    assert errors[12] == "expected 6 values, found 3"
    assert list(RMA.objects.values_list("external_id", flat=True)) == ["E9"]
    assert result.rows == 11


def test_strict_writes_nothing_when_any_row_is_bad(tmp_path, device):
    with pytest.raises(CommandError, match="nothing was imported"):
        run_import(
            tmp_path,
            "E1,SN-1,2024-06-03,new-part,FP-0900,confirmed",
            "E2,NOPE,2024-06-03,battery,,confirmed",
            args=("--strict",),
        )

    assert not RMA.objects.exists()
    assert not Component.objects.exists()
    assert not FailurePattern.objects.exists()

    clean = import_text("E1,SN-1,2024-06-03,new-part,FP-0900,confirmed", strict=True)
    assert clean.written and clean.created == 1


def test_a_missing_column_is_refused_before_any_row(tmp_path, device):
    with pytest.raises(CommandError, match="lacks the required column outcome"):
        run_import(
            tmp_path,
            "E1,SN-1,2024-06-03,battery,",
            header="external_id,serial_number,reported_on,component,pattern_code",
        )
    assert not RMA.objects.exists()


def test_imported_history_leaves_the_device_free_for_a_new_return(device, flow):
    import_text("E1,SN-1,2024-06-03,battery,,confirmed")

    rma = flow.create(device)

    assert rma.status == "submitted"
    assert RMA.objects.filter(device=device).count() == 2


def test_rows_built_in_memory_pass_the_same_checks(device):
    result = failures_import(
        rows=[
            {
                "external_id": "M1",
                "serial_number": "SN-1",
                "reported_on": dt.date(2024, 6, 3),
                "component": "battery",
                "pattern_code": None,
                "outcome": "confirmed",
            },
            {
                "external_id": "M2",
                "serial_number": "SN-2",
                "reported_on": dt.date(2024, 6, 3),
                "component": "battery",
                "pattern_code": None,
                "outcome": "confirmed",
            },
        ]
    )

    assert result.created == 1
    assert errors_by_line(result) == {3: "no device has serial number SN-2"}


def test_thousands_of_failures_in_bulk(phone_model):
    devices = [
        DeviceFactory(
            serial_number=f"B{n:04d}",
            product_model=phone_model,
            manufactured_on=dt.date(2023, 12, 1),
            shipped_on=dt.date(2024, 1, 1),
            owner=None,
        )
        for n in range(300)
    ]
    lines = [
        f"X{n:05d},{devices[n % 300].serial_number},{2024 + n % 2}-{1 + n % 12:02d}-15,battery,"
        f"{'FP-0005' if n % 3 == 0 else ''},{'confirmed' if n % 4 else 'cause_unknown'}"
        for n in range(2500)
    ]

    result = import_text(*lines)
    again = import_text(*lines)

    assert (result.created, result.errors) == (2500, [])
    assert (again.created, again.already_imported) == (0, 2500)
    assert RMA.objects.filter(channel="import", status="closed").count() == 2500
    assert len(set(RMA.objects.values_list("number", flat=True))) == 2500
    assert Diagnosis.objects.filter(pattern__code="FP-0005").count() == 834
    assert RMAEvent.objects.filter(source="import").count() == 5000
    assert RMA.objects.filter(coverage="warranty").count() == RMA.objects.filter(reported_on__year=2024).count() == 1250
    assert RMA.objects.filter(coverage="none", reported_on__year=2025).count() == 1250


@pytest.mark.postgres
def test_postgresql_writes_the_failures_with_copy(device):
    assert connection.vendor == "postgresql"
    bulk_created = []
    real_bulk_create = QuerySet.bulk_create

    def spy(queryset, objs, *args, **kwargs):
        bulk_created.append(queryset.model)
        return real_bulk_create(queryset, objs, *args, **kwargs)

    with mock.patch.object(QuerySet, "bulk_create", spy):
        result = import_text("E1,SN-1,2024-06-03,battery,,confirmed", "E2,SN-1,2024-06-04,battery,,confirmed")

    assert result.created == 2
    assert bulk_created == [Component, FailurePattern]  # reference data only; the rest went by COPY
    assert Diagnosis.objects.filter(rma__external_id__in=["E1", "E2"]).count() == 2
    assert RMAEvent.objects.filter(rma__external_id="E1").count() == 2
