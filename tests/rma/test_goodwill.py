"""Goodwill replacements end to end (SPEC §5), through ``diagnostics.services.goodwill_grant``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from core.exceptions import ActionNotPermitted, GoodwillNotAllowed, InvalidInput, TransitionRefused
from diagnostics import services as diagnostics_services
from diagnostics.models import FailurePattern, RootCauseCase
from diagnostics.selectors import goodwill_suggestion
from rma import policy, services
from rma.models import RMA, CustodyChange, Device, GoodwillGrant, RMAEvent, Source
from tests.factories import ComponentFactory, DeviceFactory, FailurePatternFactory
from tests.helpers import last_event, pattern_move, reload

pytestmark = pytest.mark.django_db

S = RMA.Status
D = RMA.Disposition
REASON = "Failure we have not seen before; engineering wants the unit."


def grant(rma, actor, *, reason=REASON, serial="GW-NEW-1", source=Source.ADMIN):
    return diagnostics_services.goodwill_grant(
        rma=rma, actor=actor, source=source, reason=reason, replacement_serial=serial
    )


def written(rma) -> tuple:
    """Everything a grant writes, to check that a refusal wrote none of it."""
    fresh = reload(rma)
    return (
        fresh.status,
        fresh.coverage,
        fresh.coverage_reason,
        fresh.disposition,
        fresh.replacement_device_id,
        RMAEvent.objects.filter(rma=rma).count(),
        CustodyChange.objects.filter(rma=rma).count(),
        GoodwillGrant.objects.count(),
        RootCauseCase.objects.count(),
        Device.objects.count(),
    )


@pytest.fixture
def eligible(build):
    """An out-of-warranty RMA inside the goodwill window, diagnosed with an unknown cause."""
    rma = build(S.DIAGNOSING, in_warranty=False)
    assert rma.coverage == RMA.Coverage.NONE
    return rma


@pytest.fixture
def fp12(battery):
    return FailurePatternFactory(
        code="FP-0012", component=battery, status=FailurePattern.Status.INVESTIGATING, samples_wanted=3
    )


# ---------------------------------------------------------------------------------------------
# Each condition failing alone


def assert_refused(rma, actor, code, *, error=GoodwillNotAllowed, **kwargs):
    before = written(rma)
    with pytest.raises(error) as refused:
        grant(rma, actor, **kwargs)
    assert refused.value.code == code
    assert refused.value.message
    assert written(rma) == before
    assert not GoodwillGrant.objects.filter(rma=rma).exists()
    return refused.value


def test_refused_in_warranty(build, supervisor):
    rma = build(S.DIAGNOSING, in_warranty=True)
    assert_refused(rma, supervisor, "goodwill_in_warranty")


def test_refused_when_the_warranty_was_extended_to_cover_the_report(eligible, supervisor):
    services.device_extend_warranty(device=eligible.device, months=6)
    error = assert_refused(eligible, supervisor, "goodwill_in_warranty")
    assert "warranty" in error.message


def test_refused_outside_the_goodwill_window(build, make_device, supervisor, today):
    # warranty ended about 250 days ago; the model's window is six months
    device = make_device(shipped_on=today - dt.timedelta(days=365 + 250))
    rma = build(S.DIAGNOSING, device=device)
    assert rma.coverage == RMA.Coverage.NONE
    assert_refused(rma, supervisor, "goodwill_outside_window")


def test_refused_when_the_unit_is_no_longer_in_custody(eligible, technician, engineer, supervisor):
    # given the failed unit was kept, analysed and scrapped before anyone asked for goodwill
    kw = {"actor": technician, "source": Source.ADMIN}
    rma = diagnostics_services.unit_retain(rma=eligible, **kw)
    diagnostics_services.rca_case_close(
        case=RootCauseCase.objects.get(rma=rma), actor=engineer, conclusion="Moisture ingress."
    )
    rma = diagnostics_services.unit_dispose(rma=rma, disposition=D.SCRAPPED, **kw)
    # then there is no unit left to keep
    assert_refused(rma, supervisor, "goodwill_not_in_custody")


def test_refused_before_the_unit_arrives(build, supervisor):
    rma = build(S.AUTHORIZED, in_warranty=False)
    assert goodwill_suggestion(rma).code == "goodwill_not_in_custody"
    assert_refused(rma, supervisor, "transition_not_allowed", error=TransitionRefused)


def test_refused_when_the_pattern_is_root_caused(build, supervisor, engineer, fp12):
    pattern_move(fp12, FailurePattern.Status.ROOT_CAUSED, engineer=engineer)
    rma = build(S.DIAGNOSING, in_warranty=False, outcome="confirmed", pattern=fp12)
    assert_refused(rma, supervisor, "goodwill_cause_known")


def test_refused_when_the_pattern_has_enough_samples(build, supervisor, fp12):
    fp12.samples_wanted = 0
    fp12.save()
    rma = build(S.DIAGNOSING, in_warranty=False, outcome="confirmed", pattern=fp12)
    assert_refused(rma, supervisor, "goodwill_enough_samples")


def test_samples_already_retained_count_against_the_pattern(build, supervisor, fp12):
    # given a pattern that wants one more sample, and a first unit granted for it
    fp12.samples_wanted = 1
    fp12.save()
    first = build(S.DIAGNOSING, in_warranty=False, outcome="confirmed", pattern=fp12, email="first@example.com")
    second = build(S.DIAGNOSING, in_warranty=False, outcome="confirmed", pattern=fp12, email="second@example.com")
    assert goodwill_suggestion(second).reason == "Pattern FP-0012 needs 1 more sample."
    grant(first, supervisor, serial="GW-FIRST")
    # then the second unit would teach engineering nothing more
    assert goodwill_suggestion(second).code == "goodwill_enough_samples"
    assert_refused(second, supervisor, "goodwill_enough_samples", serial="GW-SECOND")


def test_a_sample_still_counts_once_it_has_been_analysed_and_scrapped(build, supervisor, technician, engineer, fp12):
    # given a pattern that wanted one more sample and got it
    fp12.samples_wanted = 1
    fp12.save()
    first = build(S.DIAGNOSING, in_warranty=False, outcome="confirmed", pattern=fp12, email="first@example.com")
    second = build(S.DIAGNOSING, in_warranty=False, outcome="confirmed", pattern=fp12, email="second@example.com")
    first = grant(first, supervisor, serial="GW-FIRST")
    # when engineering has analysed that unit and scrapped it
    diagnostics_services.rca_case_close(case=first.rca_case, actor=engineer, conclusion="Separator defect.")
    diagnostics_services.unit_dispose(rma=first, actor=technician, source=Source.ADMIN, disposition=D.SCRAPPED)
    # then the pattern still has the sample it asked for
    assert goodwill_suggestion(second).code == "goodwill_enough_samples"
    assert_refused(second, supervisor, "goodwill_enough_samples", serial="GW-SECOND")


def test_a_unit_scrapped_without_analysis_is_not_a_sample(build, technician, fp12):
    fp12.samples_wanted = 1
    fp12.save()
    # a unit of the pattern replaced under warranty and scrapped straight away was never examined
    replaced = build(S.DIAGNOSING, outcome="confirmed", pattern=fp12, email="first@example.com")
    replaced = services.rma_replace(rma=replaced, actor=technician, source=Source.ADMIN, replacement_serial="WR-1")
    diagnostics_services.unit_dispose(rma=replaced, actor=technician, source=Source.ADMIN, disposition=D.SCRAPPED)
    rma = build(S.DIAGNOSING, in_warranty=False, outcome="confirmed", pattern=fp12, email="second@example.com")
    assert goodwill_suggestion(rma).reason == "Pattern FP-0012 needs 1 more sample."


@pytest.mark.parametrize(
    ("outcome", "code"),
    [("no_fault_found", "goodwill_no_fault_found"), ("customer_damage", "goodwill_customer_damage")],
)
def test_refused_when_there_is_nothing_to_learn(outcome, code, build, supervisor):
    rma = build(S.DIAGNOSING, in_warranty=False, outcome=outcome)
    assert_refused(rma, supervisor, code)


def test_refused_before_a_diagnosis(build, supervisor):
    rma = build(S.DIAGNOSING, in_warranty=False, diagnosed=False)
    assert_refused(rma, supervisor, "goodwill_not_diagnosed")


def test_the_latest_diagnosis_decides(eligible, technician, supervisor, battery):
    diagnostics_services.diagnosis_record(
        rma=eligible, actor=technician, source=Source.ADMIN, component=battery, outcome="no_fault_found"
    )
    assert_refused(eligible, supervisor, "goodwill_no_fault_found")


def test_refused_after_a_recent_goodwill_replacement(build, supervisor):
    # given the customer had a goodwill replacement on another unit
    grant(build(S.DIAGNOSING, in_warranty=False), supervisor, serial="GW-EARLIER")
    rma = build(S.DIAGNOSING, in_warranty=False)
    assert rma.customer.email == "owner@example.com"
    error = assert_refused(rma, supervisor, "goodwill_recent_grant", serial="GW-LATER")
    assert "12 months" in error.message


def test_another_customers_grant_does_not_count(build, supervisor):
    grant(build(S.DIAGNOSING, in_warranty=False, email="someone@example.com"), supervisor, serial="GW-A")
    rma = grant(build(S.DIAGNOSING, in_warranty=False), supervisor, serial="GW-B")
    assert rma.coverage == RMA.Coverage.GOODWILL


def test_lookback_is_configurable(build, supervisor, settings):
    grant(build(S.DIAGNOSING, in_warranty=False), supervisor, serial="GW-EARLIER")
    settings.GOODWILL_LOOKBACK_MONTHS = 0
    rma = grant(build(S.DIAGNOSING, in_warranty=False), supervisor, serial="GW-LATER")
    assert rma.coverage == RMA.Coverage.GOODWILL


def test_refused_when_the_approver_lacks_permission(eligible, technician):
    assert_refused(eligible, technician, "goodwill_not_approver", error=ActionNotPermitted)


@pytest.mark.parametrize("reason", ["", "   "])
def test_refused_without_a_reason(reason, eligible, supervisor):
    assert_refused(eligible, supervisor, "goodwill_reason_required", reason=reason)


# ---------------------------------------------------------------------------------------------
# A successful grant


def test_grant_keeps_the_unit_and_records_the_replacement(eligible, supervisor):
    # when
    rma = grant(eligible, supervisor, reason=f"  {REASON}  ", serial=" gw-new-1 ")

    # then the return is covered by goodwill and moves on to the replacement
    stored = reload(rma)
    assert stored.status == S.REPLACING
    assert stored.coverage == RMA.Coverage.GOODWILL
    assert stored.coverage_reason.startswith("Goodwill replacement: Cause unknown")
    # and the failed unit is kept for root-cause analysis, recorded as a custody change
    assert stored.disposition == D.RETAINED_FOR_RCA
    custody = CustodyChange.objects.filter(rma=rma).order_by("id").last()
    assert (custody.device, custody.from_disposition, custody.to_disposition) == (
        eligible.device,
        D.IN_REPAIR_CENTRE,
        D.RETAINED_FOR_RCA,
    )
    assert custody.actor == supervisor
    assert custody.holder.startswith("Engineering")
    # and a new unit of the failed unit's model replaces it, not yet in service
    replacement = stored.replacement_device
    assert replacement.serial_number == "GW-NEW-1"
    assert replacement.product_model == eligible.device.product_model
    assert replacement.firmware_version == eligible.device.firmware_version
    assert (replacement.shipped_on, replacement.owner, replacement.warranty_ends_on) == (None, None, None)
    # and the grant row says who approved it and why
    row = GoodwillGrant.objects.get(rma=rma)
    assert row.customer == stored.customer
    assert row.approved_by == supervisor
    assert row.reason == REASON
    assert row.eligibility_reason.startswith("Cause unknown")
    assert row.replacement_device == replacement
    # and the timeline tells the customer, and staff why
    event = last_event(rma)
    assert (event.action, event.from_status, event.to_status) == ("grant_goodwill", S.DIAGNOSING, S.REPLACING)
    assert event.actor == supervisor
    assert "free of charge" in event.customer_message
    assert REASON in event.internal_note
    assert event.data["decision_code"] == "cause_unknown"
    assert event.data["replacement_serial"] == "GW-NEW-1"
    # and engineering gets a root-cause case for the unit
    case = RootCauseCase.objects.get(rma=rma)
    assert (case.device, case.status) == (eligible.device, RootCauseCase.Status.OPEN)


def test_grant_for_a_pattern_that_needs_samples(build, supervisor, fp12):
    rma = build(S.DIAGNOSING, in_warranty=False, outcome="confirmed", pattern=fp12)
    rma = grant(rma, supervisor)
    assert rma.coverage_reason == "Goodwill replacement: Pattern FP-0012 needs 3 more samples."
    assert GoodwillGrant.objects.get(rma=rma).eligibility_reason == "Pattern FP-0012 needs 3 more samples."


def test_grant_after_a_paid_repair_quote(build, supervisor):
    rma = grant(build(S.AWAITING_CUSTOMER), supervisor)
    assert (rma.status, rma.coverage, rma.disposition) == (S.REPLACING, RMA.Coverage.GOODWILL, D.RETAINED_FOR_RCA)


def test_grant_on_a_unit_already_kept_for_analysis(eligible, technician, supervisor):
    # given a technician kept the unit for analysis before anyone asked about goodwill
    rma = diagnostics_services.unit_retain(rma=eligible, actor=technician, source=Source.ADMIN)
    case = RootCauseCase.objects.get(rma=rma)
    custody_rows = CustodyChange.objects.filter(rma=rma).count()
    # then the unit is still in the repair centre's hands, and goodwill may be granted
    assert goodwill_suggestion(rma).allowed
    rma = grant(rma, supervisor)
    assert (rma.coverage, rma.disposition, rma.status) == (RMA.Coverage.GOODWILL, D.RETAINED_FOR_RCA, S.REPLACING)
    # with the same case, and no custody change that did not happen
    assert list(RootCauseCase.objects.filter(rma=rma)) == [case]
    assert CustodyChange.objects.filter(rma=rma).count() == custody_rows


def test_replacement_taken_from_stock(eligible, supervisor):
    stock = DeviceFactory(
        serial_number="STOCK-7", product_model=eligible.device.product_model, shipped_on=None, owner=None
    )
    devices = Device.objects.count()
    rma = grant(eligible, supervisor, serial="stock-7")
    assert rma.replacement_device == stock
    assert Device.objects.count() == devices


def test_a_unit_already_in_service_cannot_be_the_replacement(eligible, supervisor):
    DeviceFactory(serial_number="SOLD-1")  # shipped and owned
    error = assert_refused(eligible, supervisor, "replacement_not_in_stock", error=InvalidInput, serial="SOLD-1")
    assert error.field == "replacement_serial"


def test_a_unit_promised_to_another_return_cannot_be_the_replacement(build, eligible, supervisor, technician):
    other = build(S.DIAGNOSING)
    DeviceFactory(serial_number="STOCK-8", product_model=other.device.product_model, shipped_on=None, owner=None)
    services.rma_replace(rma=other, actor=technician, source=Source.ADMIN, replacement_serial="STOCK-8")
    assert_refused(eligible, supervisor, "replacement_not_in_stock", error=InvalidInput, serial="STOCK-8")


def test_a_stock_unit_of_another_model_cannot_be_the_replacement(eligible, supervisor):
    DeviceFactory(serial_number="STOCK-9", shipped_on=None, owner=None)  # a model of its own
    error = assert_refused(eligible, supervisor, "replacement_wrong_model", error=InvalidInput, serial="STOCK-9")
    assert error.field == "replacement_serial"
    assert eligible.device.product_model.name in error.message


def test_the_failed_unit_cannot_replace_itself(eligible, supervisor):
    serial = eligible.device.serial_number.lower()
    assert_refused(eligible, supervisor, "replacement_is_failed_unit", error=InvalidInput, serial=serial)


def test_a_replacement_serial_is_required(eligible, supervisor):
    assert_refused(eligible, supervisor, "replacement_serial_required", error=InvalidInput, serial="  ")


def test_shipping_puts_the_replacement_in_service_with_its_own_warranty(eligible, supervisor, technician, clock):
    rma = grant(eligible, supervisor)
    failed = Device.objects.get(pk=eligible.device_id)
    failed_warranty = failed.warranty_ends_on

    # when the replacement ships, some days later
    shipped_at = clock.set(dt.datetime(2027, 3, 10, 9, 0, tzinfo=dt.UTC))
    rma = services.rma_ship(rma=rma, actor=technician, source=Source.ADMIN, tracking_number="TRK-GW")

    # then the replacement is the customer's, with a warranty from its ship date
    replacement = Device.objects.get(pk=rma.replacement_device_id)
    assert replacement.shipped_on == shipped_at.date()
    assert replacement.owner == rma.customer
    assert replacement.warranty_ends_on == dt.date(2028, 3, 9)
    assert replacement.warranty_ends_on == policy.warranty_end(starts_on=shipped_at.date(), months=12)
    assert replacement.serial_number in last_event(rma).customer_message
    # and the failed unit stays with engineering, its own warranty untouched
    stored = reload(rma)
    assert (stored.status, stored.disposition) == (S.SHIPPED, D.RETAINED_FOR_RCA)
    assert Device.objects.get(pk=failed.pk).warranty_ends_on == failed_warranty
    assert not CustodyChange.objects.filter(rma=rma, to_disposition=D.RETURNED_TO_CUSTOMER).exists()

    # and the return closes as replaced
    rma = services.rma_close(rma=rma, actor=technician, source=Source.ADMIN)
    assert (rma.status, rma.resolution, rma.disposition) == (S.CLOSED, RMA.Resolution.REPLACED, D.RETAINED_FOR_RCA)


def test_the_retained_unit_is_scrapped_only_after_its_case_closes(eligible, supervisor, technician, engineer):
    rma = grant(eligible, supervisor)
    kw = {"actor": technician, "source": Source.ADMIN}
    with pytest.raises(TransitionRefused) as refused:
        diagnostics_services.unit_dispose(rma=rma, disposition=D.SCRAPPED, **kw)
    assert refused.value.code == "analysis_open"
    diagnostics_services.rca_case_close(case=rma.rca_case, actor=engineer, conclusion="Battery separator defect.")
    rma = diagnostics_services.unit_dispose(rma=rma, disposition=D.SCRAPPED, **kw)
    assert (rma.coverage, rma.disposition) == (RMA.Coverage.GOODWILL, D.SCRAPPED)


def test_a_second_grant_on_the_same_rma_is_refused(eligible, supervisor):
    rma = grant(eligible, supervisor)
    before = written(rma)
    with pytest.raises((GoodwillNotAllowed, TransitionRefused)):
        grant(rma, supervisor, serial="GW-NEW-2")
    assert written(rma) == before
    assert GoodwillGrant.objects.filter(rma=rma).count() == 1
    assert not Device.objects.filter(serial_number="GW-NEW-2").exists()


def test_the_database_allows_one_grant_per_rma(eligible, supervisor):
    rma = grant(eligible, supervisor)
    spare = DeviceFactory(serial_number="SPARE-1", shipped_on=None, owner=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        GoodwillGrant.objects.create(
            rma=rma,
            customer=rma.customer,
            approved_by=supervisor,
            reason="Twice",
            eligibility_reason="Twice",
            replacement_device=spare,
        )
    assert GoodwillGrant.objects.filter(rma=rma).count() == 1


def test_the_database_keeps_goodwill_units_retained(eligible, supervisor):
    rma = grant(eligible, supervisor)
    with pytest.raises(IntegrityError), transaction.atomic():
        RMA.objects.filter(pk=rma.pk).update(disposition=D.RETURNED_TO_CUSTOMER)


# ---------------------------------------------------------------------------------------------
# The suggestion staff see


def test_suggestion_for_an_unknown_cause(eligible):
    suggestion = goodwill_suggestion(eligible)
    assert suggestion.allowed
    assert suggestion.code == "cause_unknown"
    assert suggestion.reason.startswith("Cause unknown")


def test_suggestion_names_the_pattern_and_the_samples_it_needs(build, fp12, supervisor):
    rma = build(S.DIAGNOSING, in_warranty=False, outcome="confirmed", pattern=fp12)
    assert goodwill_suggestion(rma).reason == "Pattern FP-0012 needs 3 more samples."
    # another unit kept for the same pattern lowers the count
    other = build(S.DIAGNOSING, in_warranty=False, outcome="confirmed", pattern=fp12, email="other@example.com")
    grant(other, supervisor, serial="GW-OTHER")
    assert goodwill_suggestion(reload(rma)).reason == "Pattern FP-0012 needs 2 more samples."


def test_a_suspected_pattern_counts_too(build, fp12):
    rma = build(S.DIAGNOSING, in_warranty=False, outcome="cause_unknown", pattern=fp12)
    assert rma.diagnoses.get().pattern_match == "suspected"
    assert goodwill_suggestion(rma).code == "pattern_needs_samples"


@pytest.mark.parametrize(
    ("status", "in_warranty", "outcome", "code"),
    [
        (S.DIAGNOSING, True, "cause_unknown", "goodwill_in_warranty"),
        (S.DIAGNOSING, False, "no_fault_found", "goodwill_no_fault_found"),
        (S.DIAGNOSING, False, "customer_damage", "goodwill_customer_damage"),
        (S.SUBMITTED, False, "cause_unknown", "goodwill_not_in_custody"),
        (S.RECEIVED, False, "cause_unknown", "goodwill_not_diagnosed"),
    ],
)
def test_no_suggestion(status, in_warranty, outcome, code, build):
    rma = build(status, in_warranty=in_warranty, outcome=outcome)
    suggestion = goodwill_suggestion(rma)
    assert not suggestion.allowed
    assert suggestion.code == code


def test_no_suggestion_once_granted(eligible, supervisor):
    rma = grant(eligible, supervisor)
    assert goodwill_suggestion(rma).code == "goodwill_already_granted"


def test_no_suggestion_after_a_paid_repair_was_accepted(build):
    rma = services.rma_accept_quote(rma=build(S.AWAITING_CUSTOMER), actor=None, source=Source.PAGE)
    assert goodwill_suggestion(rma).code == "goodwill_in_warranty"


# ---------------------------------------------------------------------------------------------
# Repeat failures: back within 90 days of shipping, covered whatever the warranty says


@pytest.fixture
def shipped_paid_repair(flow, make_device, battery, clock):
    """An out-of-warranty unit repaired for a fee and shipped on 10 Mar 2027 at 10:00 UTC."""

    def make(*, shipped_at=dt.datetime(2027, 3, 10, 10, 0, tzinfo=dt.UTC)):
        clock.set(shipped_at - dt.timedelta(days=7))
        device = make_device(shipped_on=dt.date(2025, 1, 15))
        rma = flow.to(flow.create(device), S.AWAITING_CUSTOMER, component=battery, outcome="confirmed")
        rma = services.rma_accept_quote(rma=rma, actor=None, source=Source.PAGE)
        clock.set(shipped_at)
        rma = services.rma_ship(rma=rma, actor=flow.technician, source=Source.ADMIN, tracking_number="TRK-R")
        return services.rma_close(rma=rma, actor=flow.technician, source=Source.ADMIN)

    return make


def test_a_return_within_90_days_of_shipping_is_a_covered_repeat(shipped_paid_repair, flow, clock):
    first = shipped_paid_repair()
    assert first.coverage == RMA.Coverage.PAID
    clock.set(dt.datetime(2027, 6, 8, 10, 0, tzinfo=dt.UTC))  # 90 days after shipping
    rma = flow.create(first.device)
    assert rma.device.warranty_ends_on < rma.reported_on
    assert rma.is_repeat
    assert rma.repeat_of == first
    assert rma.coverage == RMA.Coverage.WARRANTY
    assert rma.coverage_reason.startswith("Repeat failure: back 90 days")
    event = last_event(rma)
    assert event.internal_note == rma.coverage_reason
    assert event.data["coverage_code"] == "repeat_failure"


def test_a_return_on_day_91_is_not_a_repeat(shipped_paid_repair, flow, clock):
    first = shipped_paid_repair()
    clock.set(dt.datetime(2027, 6, 9, 10, 0, tzinfo=dt.UTC))
    rma = flow.create(first.device)
    assert not rma.is_repeat
    assert rma.repeat_of is None
    assert rma.coverage == RMA.Coverage.NONE


def test_the_repeat_window_counts_local_days(shipped_paid_repair, flow, clock):
    # given a unit shipped at 00:30 on 1 July in London (23:30 UTC on 30 June)
    first = shipped_paid_repair(shipped_at=dt.datetime(2027, 6, 30, 23, 30, tzinfo=dt.UTC))
    # when it comes back on 29 September, 90 days later in London
    clock.set(dt.datetime(2027, 9, 29, 10, 0, tzinfo=dt.UTC))
    rma = flow.create(first.device)
    # then it is a repeat
    assert rma.is_repeat
    assert "90 days" in rma.coverage_reason


def test_a_diagnosis_of_the_same_component_keeps_the_repeat(shipped_paid_repair, flow, clock, battery):
    first = shipped_paid_repair()
    clock.set(dt.datetime(2027, 4, 1, 10, 0, tzinfo=dt.UTC))
    rma = flow.to(flow.create(first.device), S.DIAGNOSING, component=battery, outcome="confirmed")
    assert rma.is_repeat
    assert rma.coverage == RMA.Coverage.WARRANTY
    assert last_event(rma).data["repeat"]["code"] == "repeat_failure"
    # and it is repaired at no charge
    rma = services.rma_repair(rma=rma, actor=flow.technician, source=Source.ADMIN)
    assert rma.status == S.REPAIRING


def test_a_diagnosis_of_a_different_component_clears_the_repeat(shipped_paid_repair, flow, clock):
    first = shipped_paid_repair()
    clock.set(dt.datetime(2027, 4, 1, 10, 0, tzinfo=dt.UTC))
    display = ComponentFactory(code="display", name="Display")
    rma = flow.to(flow.create(first.device), S.DIAGNOSING, component=display, outcome="confirmed")
    assert not rma.is_repeat
    assert rma.repeat_of is None
    assert rma.coverage == RMA.Coverage.NONE
    assert "different fault" in rma.coverage_reason
    assert last_event(rma).data["repeat"]["code"] == "not_repeat_other_fault"
    # so a repair must be quoted again
    with pytest.raises(TransitionRefused) as refused:
        services.rma_repair(rma=rma, actor=flow.technician, source=Source.ADMIN)
    assert refused.value.code == "not_covered"


def test_a_replacement_that_fails_soon_is_a_covered_repeat(eligible, supervisor, technician, flow):
    rma = grant(eligible, supervisor)
    rma = services.rma_ship(rma=rma, actor=technician, source=Source.ADMIN, tracking_number="TRK-GW")
    rma = services.rma_close(rma=rma, actor=technician, source=Source.ADMIN)
    again = flow.create(rma.replacement_device)
    assert again.coverage == RMA.Coverage.WARRANTY
    assert again.is_repeat and again.repeat_of == rma
    assert last_event(again).data["coverage_code"] == "repeat_failure"
    assert again.device.warranty_ends_on > again.reported_on  # and it has its own warranty besides


def test_a_customer_saying_the_fix_did_not_hold_opens_a_covered_repeat(shipped_paid_repair, flow, clock):
    first = shipped_paid_repair()
    clock.set(dt.datetime(2027, 3, 24, 10, 0, tzinfo=dt.UTC))
    rma = services.rma_create(
        serial_number=first.device.serial_number,
        customer_email=first.customer.email,
        fault_description="Still failing after the repair.",
        actor=None,
        source=Source.PAGE,
        repeat_of=first,
    )
    assert (rma.is_repeat, rma.repeat_of, rma.coverage) == (True, first, RMA.Coverage.WARRANTY)
    assert last_event(rma).data["coverage_code"] == "repeat_failure"
