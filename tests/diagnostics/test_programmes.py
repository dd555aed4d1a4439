"""Service programmes (SPEC §11): population, eligibility, coverage, notices, reimbursements, progress."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail

from core.exceptions import ActionNotPermitted, InvalidInput, TransitionRefused
from core.phrases import Said
from diagnostics import programmes, services
from diagnostics.models import FailurePattern, Programme, Reimbursement
from rma import services as rma_services
from rma.models import RMA, OutboxMessage, Source
from rma.notices import notices_for
from rma.notifications import outbox_render
from tests.factories import CustomerFactory, DeviceFactory, FailurePatternFactory, ProductModelFactory

pytestmark = pytest.mark.django_db
S = RMA.Status
P = FailurePattern.Status
ADMIN = {"source": Source.ADMIN}


@pytest.fixture
def phone(db):
    return ProductModelFactory(sku="PHN-1", warranty_months=12, goodwill_window_months=6)


@pytest.fixture
def swelling(battery, phone):
    pattern = FailurePatternFactory(
        code="FP-0001", component=battery, status=P.ROOT_CAUSED, root_cause="The cell's separator is too thin."
    )
    pattern.affected_models.set([phone])
    return pattern


def programme_new(engineer, pattern, models, **fields):
    fields.setdefault("coverage_years", 3)
    return programmes.programme_create(
        actor=engineer,
        title="Batteries that may swell",
        summary="Some batteries can swell after a year.",
        pattern=pattern,
        product_models=models,
        **fields,
    )


@pytest.fixture
def active(engineer, swelling, phone):
    """An active programme on the swelling pattern for lot L-BAD, three years from the warranty start."""
    programme = programme_new(engineer, swelling, [phone], lots=["L-BAD"])
    return programmes.programme_activate(programme=programme, actor=engineer, **ADMIN)


def unit(phone, today, **fields):
    fields.setdefault("shipped_on", today - dt.timedelta(days=365 + 60))
    fields.setdefault("lot", "L-BAD")
    return DeviceFactory(product_model=phone, **fields)


# The population: every rule, and rules together -------------------------------------------------------------

RULES = [
    # (programme fields, device fields, covered?)
    ({}, {}, True),
    ({"lots": ["L-BAD"]}, {"lot": "L-BAD"}, True),
    ({"lots": ["L-BAD"]}, {"lot": "L-GOOD"}, False),
    ({"firmware_versions": ["1.0.0"]}, {"firmware_version": "1.0.0"}, True),
    ({"firmware_versions": ["1.0.0"]}, {"firmware_version": "1.1.0"}, False),
    (
        {"built_from": dt.date(2024, 1, 1), "built_to": dt.date(2024, 3, 31)},
        {"manufactured_on": dt.date(2024, 2, 1)},
        True,
    ),
    (
        {"built_from": dt.date(2024, 1, 1), "built_to": dt.date(2024, 3, 31)},
        {"manufactured_on": dt.date(2024, 4, 1)},
        False,
    ),
    ({"built_from": dt.date(2024, 1, 1)}, {"manufactured_on": None}, False),
    ({"shipped_to": "recent"}, {}, True),
    ({"shipped_from": "future"}, {}, False),
    ({"lots": ["L-BAD"], "firmware_versions": ["1.0.0"]}, {"lot": "L-BAD", "firmware_version": "1.0.0"}, True),
    ({"lots": ["L-BAD"], "firmware_versions": ["1.0.0"]}, {"lot": "L-BAD", "firmware_version": "2.0.0"}, False),
    ({"lots": ["L-BAD"], "firmware_versions": ["1.0.0"]}, {"lot": "L-GOOD", "firmware_version": "1.0.0"}, False),
    (
        {"lots": ["L-BAD"], "built_to": dt.date(2024, 3, 31)},
        {"lot": "L-BAD", "manufactured_on": dt.date(2024, 5, 1)},
        False,
    ),
]


@pytest.mark.parametrize(("rules", "device_fields", "covered"), RULES)
def test_each_population_rule_and_their_combinations(engineer, swelling, phone, today, rules, device_fields, covered):
    rules = dict(rules)
    for key in ("shipped_from", "shipped_to"):
        if rules.get(key) == "recent":
            rules[key] = today
        elif rules.get(key) == "future":
            rules[key] = today + dt.timedelta(days=1)
    device_fields = {"lot": "L-ANY", **device_fields}
    device = unit(phone, today, **device_fields)
    programme = programme_new(engineer, swelling, [phone], **rules)
    programmes.programme_activate(programme=programme, actor=engineer, **ADMIN)
    found = programmes.programmes_for_device(device)
    assert [item.programme.code for item in found] == ([programme.code] if covered else [])
    # the bulk selector agrees with the per-unit one
    assert programmes.eligible_devices(programme).filter(pk=device.pk).exists() is covered


def test_other_models_units_in_stock_and_drafts_are_not_covered(engineer, swelling, phone, today):
    other = ProductModelFactory(sku="TAB-1")
    programme = programme_new(engineer, swelling, [phone])
    in_stock = unit(phone, today, shipped_on=None)
    assert programmes.programmes_for_device(unit(phone, today)) == []  # still a draft
    programmes.programme_activate(programme=programme, actor=engineer, **ADMIN)
    assert programmes.programmes_for_device(DeviceFactory(product_model=other, shipped_on=today)) == []
    assert programmes.programmes_for_device(in_stock) == []


def test_uploaded_serial_list_narrows_the_population(engineer, swelling, phone, today):
    listed, unlisted = unit(phone, today, serial_number="SN-LISTED"), unit(phone, today, serial_number="SN-OTHER")
    programme = programme_new(engineer, swelling, [phone], lots=["L-BAD"])
    programmes.programme_serials_set(programme=programme, actor=engineer, serials=[" sn-listed ", "SN-NOT-SOLD", ""])
    programme = programmes.programme_activate(programme=programme, actor=engineer, **ADMIN)
    assert [item.programme.code for item in programmes.programmes_for_device(listed)] == [programme.code]
    assert programmes.programmes_for_device(unlisted) == []
    assert list(programmes.eligible_devices(programme)) == [listed]


def test_period_from_warranty_start_or_a_fixed_day(engineer, swelling, phone, today):
    old = unit(phone, today, shipped_on=today - dt.timedelta(days=4 * 365))
    recent = unit(phone, today)
    by_years = programmes.programme_activate(
        programme=programme_new(engineer, swelling, [phone], coverage_years=3), actor=engineer, **ADMIN
    )
    found = programmes.programmes_for_device(recent)
    assert found[0].covered_until == recent.shipped_on.replace(year=recent.shipped_on.year + 3) - dt.timedelta(days=1)
    assert programmes.programmes_for_device(old) == []  # its three years are over
    assert set(programmes.eligible_devices(by_years)) == {recent}
    fixed = programmes.programme_activate(
        programme=programme_new(engineer, swelling, [phone], coverage_years=None, covered_until=today),
        actor=engineer,
        **ADMIN,
    )
    assert {item.programme.code: item.covered_until for item in programmes.programmes_for_device(old)} == {
        fixed.code: today
    }


def test_eligibility_answer_costs_a_constant_number_of_queries(
    engineer, swelling, phone, today, django_assert_num_queries
):
    device = unit(phone, today, serial_number="SN-ONE")
    unit(phone, today, serial_number="SN-TWO")
    for number in range(6):
        programme = programme_new(engineer, swelling, [phone, ProductModelFactory()], lots=["L-BAD"])
        if number % 2:
            programmes.programme_serials_set(programme=programme, actor=engineer, serials=["SN-TWO", "SN-THREE"])
        programmes.programme_activate(programme=programme, actor=engineer, **ADMIN)
    with django_assert_num_queries(1):
        assert len(programmes.eligibility_by_serial("sn-one")[1]) == 3
    with django_assert_num_queries(1):
        assert len(programmes.eligibility_by_serial("SN-TWO")[1]) == 6
    with django_assert_num_queries(1):
        assert len(programmes.programmes_for_device(device)) == 3
    with django_assert_num_queries(1):
        assert programmes.eligibility_by_serial("SN-THREE")[1] == []  # listed, but no such unit


# The lifecycle and who may move it ---------------------------------------------------------------------------


def test_lifecycle_draft_active_closed_through_one_door(engineer, swelling, phone):
    programme = programme_new(engineer, swelling, [phone])
    assert programme.code == "SP-0001" and programme.status == Programme.Status.DRAFT and programme.owner == engineer
    active = programmes.programme_activate(programme=programme, actor=engineer, **ADMIN)
    assert active.status == Programme.Status.ACTIVE and active.activated_at is not None
    with pytest.raises(TransitionRefused) as refused:
        programmes.programme_activate(programme=active, actor=engineer, **ADMIN)
    assert refused.value.code == "transition_not_allowed"
    with pytest.raises(TransitionRefused) as refused:
        programmes.programme_update(programme=active, actor=engineer, title="Changed")
    assert refused.value.code == "programme_not_draft"
    closed = programmes.programme_close(programme=active, actor=engineer, reason="All units fixed.", **ADMIN)
    assert closed.status == Programme.Status.CLOSED and closed.closed_at is not None
    assert list(swelling.events.values_list("action", flat=True)) == ["programme_activate", "programme_close"]


def test_activation_needs_a_root_caused_pattern_and_a_period(engineer, battery, swelling, phone):
    unknown = FailurePatternFactory(component=battery, status=P.INVESTIGATING)
    with pytest.raises(TransitionRefused) as refused:
        programmes.programme_activate(programme=programme_new(engineer, unknown, [phone]), actor=engineer, **ADMIN)
    assert refused.value.code == "programme_pattern_not_root_caused"
    with pytest.raises(TransitionRefused) as refused:
        programmes.programme_activate(
            programme=programme_new(engineer, swelling, [phone], coverage_years=None), actor=engineer, **ADMIN
        )
    assert refused.value.code == "programme_no_period"
    assert not Programme.objects.filter(status=Programme.Status.ACTIVE).exists()


def test_bad_fields_are_refused_with_a_code(engineer, swelling, phone):
    cases = [
        ({"coverage_years": 2, "covered_until": dt.date(2030, 1, 1)}, "one_coverage_period"),
        ({"built_from": dt.date(2024, 2, 1), "built_to": dt.date(2024, 1, 1)}, "invalid_range"),
        ({"code": "PROGRAMME-1"}, "invalid_code"),
        ({"remedy": "teleport"}, "invalid_remedy"),
    ]
    for fields, code in cases:
        with pytest.raises(InvalidInput) as refused:
            programme_new(engineer, swelling, [phone], **fields)
        assert refused.value.code == code
    assert not Programme.objects.exists()


def test_role_rules_engineers_run_programmes_technicians_and_supervisors_do_not(
    engineer, technician, supervisor, swelling, phone
):
    for actor in (technician, supervisor):
        with pytest.raises(ActionNotPermitted):
            programme_new(actor, swelling, [phone])
    programme = programme_new(engineer, swelling, [phone])
    for actor in (technician, supervisor, None):
        with pytest.raises(ActionNotPermitted):
            programmes.programme_activate(programme=programme, actor=actor, **ADMIN)
    assert Programme.objects.get().status == Programme.Status.DRAFT


# Coverage ------------------------------------------------------------------------------------------------------


def diagnosed(flow, device, battery, pattern, *, outcome="confirmed", email="owner@example.com"):
    rma = flow.to(flow.create(device, email=email), S.DIAGNOSING)
    services.diagnosis_record(
        rma=rma, actor=flow.technician, component=battery, outcome=outcome, pattern=pattern, symptoms="swollen", **ADMIN
    )
    rma.refresh_from_db()
    return rma


def test_confirmed_pattern_on_an_eligible_unit_is_covered_by_the_programme(
    flow, active, battery, swelling, phone, today
):
    rma = diagnosed(flow, unit(phone, today), battery, swelling)
    assert (rma.coverage, rma.programme_code) == (RMA.Coverage.PROGRAMME, active.code)
    assert rma.coverage_reason.startswith(f"Service programme {active.code}")
    event = rma.events.get(action="record_diagnosis")
    assert event.data["programme"]["code"] == active.code
    assert f"service programme {active.code}" in event.customer_message
    # the free remedy goes ahead: a repair is allowed without a quote
    rma = rma_services.rma_repair(rma=rma, actor=flow.technician, **ADMIN)
    assert rma.status == S.REPAIRING


def test_another_pattern_or_a_suspicion_is_not_covered(flow, active, battery, phone, today):
    other = FailurePatternFactory(component=battery, status=P.ROOT_CAUSED, root_cause="Another cause.")
    assert diagnosed(flow, unit(phone, today), battery, other).coverage == RMA.Coverage.NONE
    assert diagnosed(flow, unit(phone, today), battery, None, outcome="cause_unknown").coverage == RMA.Coverage.NONE


def test_warranty_wins_when_it_covers(flow, active, battery, swelling, phone, today):
    rma = diagnosed(flow, unit(phone, today, shipped_on=today - dt.timedelta(days=30)), battery, swelling)
    assert (rma.coverage, rma.programme_code) == (RMA.Coverage.WARRANTY, "")


def test_a_unit_outside_the_period_is_not_covered(flow, engineer, battery, swelling, phone, today):
    programmes.programme_activate(
        programme=programme_new(engineer, swelling, [phone], coverage_years=1), actor=engineer, **ADMIN
    )
    rma = diagnosed(flow, unit(phone, today), battery, swelling)  # 14 months old, one year of programme
    assert rma.coverage == RMA.Coverage.NONE


def test_a_quote_waiting_is_withdrawn_when_the_programme_covers_and_the_free_repair_starts(
    flow, active, battery, swelling, phone, today
):
    rma = diagnosed(flow, unit(phone, today), battery, None, outcome="cause_unknown")
    rma = rma_services.rma_quote(rma=rma, actor=flow.technician, amount="79.00", **ADMIN)
    with pytest.raises(TransitionRefused) as refused:  # a paid quote waits: no free repair
        rma_services.rma_repair(rma=rma, actor=flow.technician, **ADMIN)
    assert refused.value.code == "not_covered"
    services.diagnosis_record(
        rma=rma, actor=flow.technician, component=battery, outcome="confirmed", pattern=swelling, **ADMIN
    )
    rma.refresh_from_db()
    assert (rma.coverage, rma.quote_status, rma.quote_amount) == (RMA.Coverage.PROGRAMME, "", None)
    assert rma_services.rma_repair(rma=rma, actor=flow.technician, **ADMIN).status == S.REPAIRING


def test_a_new_diagnosis_that_no_longer_confirms_takes_the_cover_back(flow, active, battery, swelling, phone, today):
    rma = diagnosed(flow, unit(phone, today), battery, swelling)
    assert rma.coverage == RMA.Coverage.PROGRAMME
    services.diagnosis_record(
        rma=rma, actor=flow.technician, component=battery, outcome="cause_unknown", symptoms="dead", **ADMIN
    )
    rma.refresh_from_db()
    assert (rma.coverage, rma.programme_code) == (RMA.Coverage.NONE, "")


# Telling customers ------------------------------------------------------------------------------------------------


def test_status_page_of_an_eligible_unit_shows_the_programme(flow, active, phone, today):
    rma = flow.create(unit(phone, today))
    notices = [notice for notice in notices_for(rma) if active.code in notice.title]
    assert len(notices) == 1
    assert "Some batteries can swell after a year." in notices[0].body
    assert "free of charge" in notices[0].body
    assert not [n for n in notices_for(flow.create(unit(phone, today, lot="L-GOOD"))) if active.code in n.title]


def owned(phone, today, email, **fields):
    return unit(phone, today, owner=CustomerFactory(email=email), **fields)


def test_notify_owners_writes_one_email_per_owner_once_across_runs(
    active, engineer, phone, today, django_capture_on_commit_callbacks
):
    first = owned(phone, today, "first@example.com")
    DeviceFactory(product_model=phone, lot="L-BAD", shipped_on=today, owner=first.owner)  # a second unit
    owned(phone, today, "second@example.com")
    owned(phone, today, "good-lot@example.com", lot="L-GOOD")
    unit(phone, today)  # no owner known
    owned(phone, today, "erased-123@erased.invalid")
    with django_capture_on_commit_callbacks(execute=True):
        programmes.programme_notify_owners(programme=active, actor=engineer, **ADMIN)
    notices = OutboxMessage.objects.filter(template="programme_notice")
    assert sorted(notices.values_list("to_email", flat=True)) == ["first@example.com", "second@example.com"]
    assert sorted(message.to[0] for message in mail.outbox) == ["first@example.com", "second@example.com"]
    assert "Batteries that may swell" in mail.outbox[0].subject and active.code in mail.outbox[0].subject
    assert "/programmes/check/" in mail.outbox[0].body
    # a second run, after a new owner appeared, reaches only them
    owned(phone, today, "third@example.com")
    assert programmes.programme_owner_emails_queue(programme_id=active.pk) == 1
    assert programmes.programme_owner_emails_queue(programme_id=active.pk) == 0
    assert notices.count() == 3
    active.refresh_from_db()
    assert active.owners_notified == 3


def test_the_owners_notice_and_the_cover_are_said_in_each_readers_language(
    flow, active, battery, swelling, phone, today
):
    """The promise is kept as a saying (in the outbox, on the timeline): each owner reads it in their language."""
    unit(phone, today, owner=CustomerFactory(email="fr@example.com", language="fr"))
    owned(phone, today, "en@example.com")
    programmes.programme_owner_emails_queue(programme_id=active.pk)
    french = outbox_render(OutboxMessage.objects.get(to_email="fr@example.com"))
    english = outbox_render(OutboxMessage.objects.get(to_email="en@example.com"))
    assert "pendant 3 ans à compter du début de sa garantie, nous le réparons gratuitement" in french.body
    assert f"Programme de réparation {active.code}" in french.subject
    assert "for 3 years from the start of its warranty, we repair it free of charge" in english.body
    rma = diagnosed(flow, unit(phone, today), battery, swelling)
    said = Said.from_json(rma.events.get(action="record_diagnosis").data["say"])
    assert f"notre programme de réparation {active.code}" in said.in_language("fr")


def test_only_an_active_programme_notifies(engineer, swelling, phone):
    with pytest.raises(TransitionRefused) as refused:
        programmes.programme_notify_owners(
            programme=programme_new(engineer, swelling, [phone]), actor=engineer, **ADMIN
        )
    assert refused.value.code == "programme_not_active"


def test_an_advisory_promising_a_free_remedy_needs_an_active_programme(engineer, swelling, phone, active):
    promise = "If the back cover lifts, we replace the battery free of charge."
    advisory = services.advisory_create(pattern=swelling, actor=engineer, title="Swelling batteries", body=promise)
    with pytest.raises(TransitionRefused) as refused:
        services.advisory_publish(advisory=advisory, actor=engineer)
    assert refused.value.code == "advisory_promise_without_programme"
    services.advisory_update(advisory=advisory, actor=engineer, programme=active)
    assert services.advisory_publish(advisory=advisory, actor=engineer).is_live
    plain = services.advisory_create(pattern=swelling, actor=engineer, title="Swelling", body="Stop charging it.")
    assert services.advisory_publish(advisory=plain, actor=engineer).is_live


# Reimbursements -------------------------------------------------------------------------------------------------------


def paid_repair(flow, device, battery, pattern, supervisor):
    rma = diagnosed(flow, device, battery, pattern, email="paid@example.com")
    rma = rma_services.rma_quote(rma=rma, actor=flow.technician, amount="89.00", **ADMIN)
    return rma_services.rma_accept_quote(rma=rma, actor=supervisor, answered_via="phone", **ADMIN)


def test_each_paid_repair_is_proposed_once_and_approved_by_a_supervisor(
    flow, engineer, supervisor, technician, battery, swelling, phone, today
):
    paid = paid_repair(flow, unit(phone, today), battery, swelling, supervisor)
    paid_elsewhere = paid_repair(flow, unit(phone, today, lot="L-GOOD"), battery, swelling, supervisor)
    programme = programme_new(engineer, swelling, [phone], lots=["L-BAD"])
    programme = programmes.programme_activate(programme=programme, actor=engineer, **ADMIN)
    proposal = Reimbursement.objects.get()
    assert (proposal.rma, proposal.amount, proposal.currency) == (paid, Decimal("89.00"), "EUR")
    assert paid_elsewhere.reimbursements.count() == 0
    assert len(programmes.reimbursements_propose(programme=programme)) == 1  # found once
    for actor in (technician, engineer):
        with pytest.raises(ActionNotPermitted):
            programmes.reimbursement_approve(reimbursement=proposal, actor=actor, **ADMIN)
    approved = programmes.reimbursement_approve(reimbursement=proposal, actor=supervisor, **ADMIN)
    assert approved.status == Reimbursement.Status.APPROVED and approved.decided_by == supervisor
    event = paid.events.get(action="reimburse")
    assert "89.00 EUR" in event.customer_message
    assert OutboxMessage.objects.filter(rma=paid, key=f"rma-event:{event.pk}").exists()
    assert any("89.00 EUR" in notice.body for notice in notices_for(paid))
    with pytest.raises(TransitionRefused):
        programmes.reimbursement_approve(reimbursement=proposal, actor=supervisor, **ADMIN)


def test_reimbursements_count_in_the_goodwill_report(flow, engineer, supervisor, battery, swelling, phone, today):
    from diagnostics import reports

    paid_repair(flow, unit(phone, today), battery, swelling, supervisor)
    programmes.programme_activate(programme=programme_new(engineer, swelling, [phone]), actor=engineer, **ADMIN)
    programmes.reimbursement_approve(reimbursement=Reimbursement.objects.get(), actor=supervisor, **ADMIN)
    report = reports.goodwill(reports.ReportFilters()).as_dict()
    assert report["reimbursements"] == [{"currency": "EUR", "approved": 1, "amount": "89.00"}]


# Progress -----------------------------------------------------------------------------------------------------


def test_progress_counts_units_owners_returns_remedies(flow, active, engineer, battery, swelling, phone, today):
    owned(phone, today, "a@example.com")
    rma = diagnosed(flow, unit(phone, today), battery, swelling)
    rma = rma_services.rma_repair(rma=rma, actor=flow.technician, **ADMIN)
    rma_services.rma_ship(rma=rma, actor=flow.technician, tracking_number="T-1", **ADMIN)
    programmes.programme_owner_emails_queue(programme_id=active.pk)
    active.refresh_from_db()
    progress = programmes.programme_progress(active)
    assert progress["eligible_in_service"] == 2
    assert progress["owners_notified"] == 2  # the owner from the return, and a@
    assert (progress["returns_opened"], progress["covered_returns"], progress["remedied"]) == (1, 1, 1)
    assert progress["completion"][-1]["remedied"] == 1 and progress["completion"][-1]["share"] == 0.5
