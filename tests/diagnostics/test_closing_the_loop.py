"""Closing the loop with customers (SPEC §6): thanks when a pattern is root-caused, advisories, owners told."""

from __future__ import annotations

import pytest
from django.core import mail

from core.exceptions import ActionNotPermitted, InvalidInput, TransitionRefused
from diagnostics import advisories, services
from diagnostics.advisories import advisory_notices
from diagnostics.models import Advisory, FailurePattern, PatternEvent
from diagnostics.patterns import pattern_transition
from rma.models import RMA, OutboxMessage, Source
from rma.notices import notices_for
from rma.services import status_link_issue
from tests.factories import CustomerFactory, DeviceFactory, FailurePatternFactory, ProductModelFactory

pytestmark = pytest.mark.django_db
S = RMA.Status
P = FailurePattern.Status


@pytest.fixture
def fp(battery):
    return FailurePatternFactory(code="FP-0042", component=battery, status=P.INVESTIGATING, samples_wanted=5)


def kept(build, supervisor, *, email, pattern, goodwill=True):
    """A unit of ``pattern`` retained for analysis (goodwill, or kept by a technician)."""
    rma = build(S.DIAGNOSING, in_warranty=not goodwill, outcome="confirmed", pattern=pattern, email=email)
    if goodwill:
        return services.goodwill_grant(
            rma=rma, actor=supervisor, source=Source.ADMIN, reason="Worth analysing.", replacement_serial=f"GW-{rma.pk}"
        )
    return services.unit_retain(rma=rma, actor=supervisor, source=Source.ADMIN)


def root_cause(pattern, engineer):
    return pattern_transition(
        pattern=pattern,
        action="root_cause",
        actor=engineer,
        source=Source.ADMIN,
        root_cause="The cell's separator shrinks at low temperature.",
        public_summary="In cold weather a part inside the battery could shrink and cut the power.",
    )


def thanks():
    return OutboxMessage.objects.filter(template="pattern_thanks").order_by("id")


# Thanking the customers whose units helped ----------------------------------------------------------------


def test_root_caused_thanks_each_customer_whose_unit_helped(
    build, supervisor, engineer, fp, django_capture_on_commit_callbacks
):
    first = kept(build, supervisor, email="first@example.com", pattern=fp)
    second = kept(build, supervisor, email="second@example.com", pattern=fp, goodwill=False)
    with django_capture_on_commit_callbacks(execute=True):
        root_cause(fp, engineer)
    messages = list(thanks())
    assert [(m.to_email, m.rma_id, m.key) for m in messages] == [
        ("first@example.com", first.pk, f"pattern-thanks:{fp.pk}:{first.customer_id}"),
        ("second@example.com", second.pk, f"pattern-thanks:{fp.pk}:{second.customer_id}"),
    ]
    assert messages[0].context["public_summary"].startswith("In cold weather")
    assert PatternEvent.objects.get(pattern=fp, action="thank_customers").data == {"customers": 2}
    # and the e-mail reads as a thank-you with the summary, and a link to the return
    sent = [m for m in mail.outbox if m.to == ["first@example.com"] and "helped us find a fault" in m.subject]
    assert len(sent) == 1
    assert "In cold weather a part inside the battery" in sent[0].body
    assert first.number in sent[0].body
    assert "/returns/track/" in sent[0].body


def test_once_per_customer_even_when_root_caused_again(build, supervisor, engineer, fp):
    kept(build, supervisor, email="first@example.com", pattern=fp)
    root_cause(fp, engineer)
    pattern_transition(pattern=fp, action="reopen", actor=engineer, source=Source.ADMIN, reason="Wrong cause.")
    kept(build, supervisor, email="late@example.com", pattern=fp, goodwill=False)
    root_cause(fp, engineer)
    assert [m.to_email for m in thanks()] == ["first@example.com", "late@example.com"]


def test_one_thank_you_for_a_customer_with_two_units(build, supervisor, technician, engineer, fp):
    kept(build, supervisor, email="both@example.com", pattern=fp, goodwill=False)
    kept(build, technician, email="both@example.com", pattern=fp, goodwill=False)
    root_cause(fp, engineer)
    assert thanks().count() == 1


def test_never_for_units_that_did_not_help(build, supervisor, technician, engineer, fp, battery):
    other = FailurePatternFactory(code="FP-0043", component=battery, status=P.INVESTIGATING)
    # a unit of the pattern that was repaired and returned, not kept
    build(S.CLOSED, outcome="confirmed", pattern=fp, email="repaired@example.com")
    # a unit kept for another pattern
    kept(build, supervisor, email="other@example.com", pattern=other)
    # a unit first suspected of this pattern, whose case concluded on another one
    moved = kept(build, technician, email="moved@example.com", pattern=fp, goodwill=False)
    services.rca_case_close(case=moved.rca_case, actor=engineer, conclusion="Not FP-0042 after all.", pattern=other)
    root_cause(fp, engineer)
    assert not thanks().exists()


def test_a_unit_whose_case_concluded_on_the_pattern_helped(build, technician, engineer, fp):
    # diagnosed with an unknown cause, kept, and found by the engineer to be this pattern
    rma = build(S.DIAGNOSING, outcome="cause_unknown", email="found@example.com")
    rma = services.unit_retain(rma=rma, actor=technician, source=Source.ADMIN)
    services.rca_case_close(case=rma.rca_case, actor=engineer, conclusion="It is FP-0042.", pattern=fp)
    root_cause(fp, engineer)
    assert [m.to_email for m in thanks()] == ["found@example.com"]


def test_a_scrapped_sample_still_earns_its_thanks(build, supervisor, technician, engineer, fp):
    rma = kept(build, supervisor, email="first@example.com", pattern=fp)
    services.rca_case_close(case=rma.rca_case, actor=engineer, conclusion="Separator shrinkage.", pattern=fp)
    services.unit_dispose(rma=rma, actor=technician, source=Source.ADMIN, disposition=RMA.Disposition.SCRAPPED)
    root_cause(fp, engineer)
    assert thanks().count() == 1


def test_a_refused_root_cause_thanks_nobody(build, supervisor, engineer, fp):
    kept(build, supervisor, email="first@example.com", pattern=fp)
    with pytest.raises(TransitionRefused):
        pattern_transition(pattern=fp, action="root_cause", actor=engineer, source=Source.ADMIN, root_cause="Known.")
    assert not thanks().exists()


# Advisories --------------------------------------------------------------------------------------------


@pytest.fixture
def phone():
    return ProductModelFactory(sku="PHN-1", name="Phone One")


@pytest.fixture
def advisory(fp, engineer, phone):
    return advisories.advisory_create(
        pattern=fp,
        actor=engineer,
        title="Batteries that stop in the cold",
        body="Some units from lot L2501 can switch off in freezing weather. Start a return.",
        affected_models=[phone],
        affected_lots=["L2501", " L2502 ", ""],
    )


def device(phone, serial, *, lot="L2501", firmware="1.0.0", model=None, **fields):
    return DeviceFactory(
        serial_number=serial, product_model=model or phone, lot=lot, firmware_version=firmware, **fields
    )


def test_a_published_advisory_shows_on_affected_returns_only(flow, advisory, engineer, phone):
    affected = flow.create(device(phone, "SN-AFFECTED"), email="a@example.com")
    other_lot = flow.create(device(phone, "SN-OTHER-LOT", lot="L2409"), email="b@example.com")
    other_model = flow.create(
        device(phone, "SN-OTHER-MODEL", model=ProductModelFactory(sku="TAB-1")), email="c@example.com"
    )
    assert advisory.affected_lots == ["L2501", "L2502"]
    assert advisory_notices(affected) == []  # a draft shows nowhere
    advisories.advisory_publish(advisory=advisory, actor=engineer)
    assert [n.title for n in notices_for(affected)] == ["Batteries that stop in the cold"]
    assert notices_for(other_lot) == []
    assert notices_for(other_model) == []
    advisories.advisory_withdraw(advisory=advisory, actor=engineer, reason="Superseded.")
    assert notices_for(affected) == []
    assert [e.action for e in PatternEvent.objects.filter(pattern=advisory.pattern)][-2:] == [
        "advisory_published",
        "advisory_withdrawn",
    ]


def test_firmware_narrows_an_advisory(flow, fp, engineer, phone):
    on_firmware = advisories.advisory_create(
        pattern=fp,
        actor=engineer,
        title="Update",
        body="Install 2.1.",
        affected_models=[phone],
        affected_firmware=["2.0.0"],
    )
    advisories.advisory_publish(advisory=on_firmware, actor=engineer)
    assert notices_for(flow.create(device(phone, "SN-FW-2", firmware="2.0.0"), email="a@example.com"))
    assert not notices_for(flow.create(device(phone, "SN-FW-1", firmware="1.0.0"), email="b@example.com"))


def test_the_status_page_shows_the_advisory(client, flow, advisory, engineer, phone):
    rma = flow.create(device(phone, "SN-PAGE"), email="a@example.com")
    advisories.advisory_publish(advisory=advisory, actor=engineer)
    body = client.get(f"/returns/track/{status_link_issue(rma=rma)}/").content.decode()
    assert "Batteries that stop in the cold" in body
    assert "switch off in freezing weather" in body


def test_advisory_refusals(advisory, engineer, technician, fp):
    with pytest.raises(ActionNotPermitted):
        advisories.advisory_publish(advisory=advisory, actor=technician)
    with pytest.raises(TransitionRefused) as refused:
        advisories.advisory_withdraw(advisory=advisory, actor=engineer)
    assert refused.value.code == "advisory_not_published"
    empty = advisories.advisory_create(pattern=fp, actor=engineer, title="No models", body="x")
    with pytest.raises(InvalidInput) as refused:
        advisories.advisory_publish(advisory=empty, actor=engineer)
    assert refused.value.code == "advisory_no_models"
    advisories.advisory_publish(advisory=advisory, actor=engineer)
    with pytest.raises(TransitionRefused) as refused:
        advisories.advisory_update(advisory=advisory, actor=engineer, title="Rewritten")
    assert refused.value.code == "advisory_published"
    advisories.advisory_withdraw(advisory=advisory, actor=engineer)
    with pytest.raises(TransitionRefused) as refused:
        advisories.advisory_publish(advisory=advisory, actor=engineer)
    assert refused.value.code == "advisory_withdrawn"


def test_a_draft_takes_the_patterns_scope(fp, engineer, phone):
    fp.affected_models.set([phone])
    FailurePattern.objects.filter(pk=fp.pk).update(affected_firmware=["1.2"])
    draft = advisories.advisory_create(
        pattern=FailurePattern.objects.get(pk=fp.pk), actor=engineer, title="t", body="b"
    )
    assert (list(draft.affected_models.all()), draft.affected_firmware, draft.affected_lots) == ([phone], ["1.2"], [])


# Telling the owners of affected units --------------------------------------------------------------------


def test_owners_of_affected_units_are_emailed_once_each(advisory, engineer, phone, django_capture_on_commit_callbacks):
    # given three owners of affected units (one with two), and units that are not affected
    alice, bob, carol = (CustomerFactory(email=f"{n}@example.com", name=n) for n in ("alice", "bob", "carol"))
    device(phone, "SN-A1", owner=alice)
    device(phone, "SN-A2", owner=alice, lot="L2502")
    device(phone, "SN-B1", owner=bob)
    device(phone, "SN-C1", owner=carol, lot="L2409")  # another lot
    device(phone, "SN-STOCK", owner=None)  # nobody's yet
    device(phone, "SN-UNSOLD", owner=alice, shipped_on=None)
    advisories.advisory_publish(advisory=advisory, actor=engineer)
    # when engineers ask for the owners to be told (after commit, the task runs; eagerly here)
    with django_capture_on_commit_callbacks(execute=True):
        advisories.advisory_notify_owners(advisory=advisory, actor=engineer)
    # then each affected owner gets one e-mail listing their affected units
    messages = OutboxMessage.objects.filter(template="advisory_notice").order_by("to_email")
    assert [(m.to_email, m.context["units"]) for m in messages] == [
        ("alice@example.com", ["Phone One (SN-A1)", "Phone One (SN-A2)"]),
        ("bob@example.com", ["Phone One (SN-B1)"]),
    ]
    assert {m.status for m in messages} == {OutboxMessage.Status.SENT}
    sent = [m for m in mail.outbox if "Batteries that stop in the cold" in m.subject]
    assert sorted(m.to[0] for m in sent) == ["alice@example.com", "bob@example.com"]
    assert "before you have to ask" in sent[0].body
    # and asking again (or a task that runs twice) sends nothing more, but reaches new owners
    with django_capture_on_commit_callbacks(execute=True):
        advisories.advisory_notify_owners(advisory=advisory, actor=engineer)
    assert advisories.advisory_owner_emails_queue(advisory_id=advisory.pk) == 0
    device(phone, "SN-D1", owner=CustomerFactory(email="dave@example.com"))
    assert advisories.advisory_owner_emails_queue(advisory_id=advisory.pk) == 1
    assert OutboxMessage.objects.filter(template="advisory_notice").count() == 3
    assert Advisory.objects.get(pk=advisory.pk).owners_notified_at is not None


def test_owners_are_not_emailed_about_a_draft_or_a_withdrawn_advisory(advisory, engineer, phone):
    device(phone, "SN-A1", owner=CustomerFactory(email="alice@example.com"))
    with pytest.raises(TransitionRefused) as refused:
        advisories.advisory_notify_owners(advisory=advisory, actor=engineer)
    assert refused.value.code == "advisory_not_live"
    advisories.advisory_publish(advisory=advisory, actor=engineer)
    advisories.advisory_withdraw(advisory=advisory, actor=engineer)
    assert advisories.advisory_owner_emails_queue(advisory_id=advisory.pk) == 0
    assert not OutboxMessage.objects.filter(template="advisory_notice").exists()


def test_owner_emails_go_out_in_batches(advisory, engineer, phone):
    for n in range(7):
        device(phone, f"SN-BATCH-{n}", owner=CustomerFactory(email=f"owner{n}@example.com"))
    advisories.advisory_publish(advisory=advisory, actor=engineer)
    assert advisories.advisory_owner_emails_queue(advisory_id=advisory.pk, batch=3) == 7
    assert advisories.advisory_owner_emails_queue(advisory_id=advisory.pk, batch=3) == 0
