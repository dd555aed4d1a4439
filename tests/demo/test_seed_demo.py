"""``seed_demo``: a demo fleet with returns in every status and demo accounts (SPEC §8)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction

from demo.data import DEMO_PASSWORD
from demo.seed import demo_seed
from diagnostics.models import Diagnosis, FailurePattern, Programme, RootCauseCase
from diagnostics.selectors import goodwill_suggestion
from rma.models import RMA, Device, GoodwillGrant, ProductModel

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", "--devices", "300", *args, stdout=out)
    return out.getvalue()


def test_seed_demo_builds_a_fleet_with_returns_in_every_status(roles):
    output = seed()

    assert set(RMA.objects.values_list("status", flat=True)) == set(RMA.Status.values)
    assert ProductModel.objects.count() >= 4
    assert {12, 24} <= set(ProductModel.objects.values_list("warranty_months", flat=True))
    assert len(set(ProductModel.objects.values_list("goodwill_window_months", flat=True))) > 1
    assert Device.objects.count() >= 300
    assert Device.objects.values("lot").distinct().count() > 100  # weekly lots over two years
    assert FailurePattern.objects.count() >= 10
    assert len(set(FailurePattern.objects.values_list("status", flat=True))) >= 5
    assert RMA.objects.filter(channel="import", status="closed").count() > 10
    quoted = RMA.objects.get(status=RMA.Status.AWAITING_CUSTOMER)
    assert quoted.quote_status == RMA.QuoteStatus.PENDING and quoted.quote_amount
    assert "Returns by status:" in output


def test_seed_demo_leaves_one_goodwill_granted_and_one_waiting_for_a_supervisor(roles):
    seed()

    grant = GoodwillGrant.objects.select_related("rma").get()
    assert grant.rma.coverage == RMA.Coverage.GOODWILL
    assert grant.rma.disposition == RMA.Disposition.RETAINED_FOR_RCA
    assert RootCauseCase.objects.filter(rma=grant.rma).exists()
    open_returns = RMA.objects.exclude(status__in=RMA.FINAL_STATUSES).select_related("device__product_model")
    eligible = [rma for rma in open_returns if goodwill_suggestion(rma)]
    assert len(eligible) == 1
    rma = eligible[0]
    assert rma.status == RMA.Status.DIAGNOSING and rma.coverage == RMA.Coverage.NONE
    assert rma.reported_on > rma.device.warranty_ends_on
    assert Diagnosis.objects.get(rma=rma).outcome == "cause_unknown"


def test_seed_demo_creates_the_demo_accounts_and_prints_them(roles):
    output = seed()

    users = get_user_model().objects
    for username in ("technician", "supervisor", "engineer"):
        user = users.get(username=username)
        assert user.is_staff and not user.is_superuser
        assert user.check_password(DEMO_PASSWORD)
        assert list(user.groups.values_list("name", flat=True)) == [username]
        assert f"  {username}" in output
    admin = users.get(username="admin")
    assert admin.is_superuser and admin.check_password(DEMO_PASSWORD)
    assert DEMO_PASSWORD in output
    assert users.get(username="supervisor").has_perm("rma.approve_goodwill")


def test_once_does_nothing_when_the_demo_is_there_but_still_prints_the_accounts(roles):
    seed()
    counts = (Device.objects.count(), RMA.objects.count())

    output = seed("--once")

    assert (Device.objects.count(), RMA.objects.count()) == counts
    assert "already there" in output and "supervisor" in output
    with pytest.raises(CommandError, match="already there"):
        seed()


def test_the_same_seed_builds_the_same_fleet(roles):
    def build():
        with transaction.atomic():
            demo_seed(devices=300, seed=11)
            fleet = list(
                Device.objects.order_by("serial_number").values_list(
                    "serial_number", "lot", "manufactured_on", "shipped_on", "firmware_version", "owner__email"
                )
            )
            returns = sorted(
                RMA.objects.values_list("external_id", "device__serial_number", "status", "coverage"),
                key=lambda row: (row[0] or "", row[1], row[2]),
            )
            transaction.set_rollback(True)
        return fleet, returns

    assert build() == build()


def test_a_fleet_too_small_for_the_demo_is_refused(roles):
    with pytest.raises(CommandError, match="at least 300"):
        call_command("seed_demo", "--devices", "50", stdout=StringIO())


def test_seed_demo_shows_the_closed_loop(roles):
    from diagnostics.models import Advisory, PatternEvent
    from rma.models import OutboxMessage
    from rma.notices import notices_for

    output = seed()

    # every pattern past "new" was moved to its stage by the engineer, so each has its history
    moved = FailurePattern.objects.exclude(status="new")
    assert moved.count() >= 8
    for pattern in moved:
        last = PatternEvent.objects.filter(pattern=pattern, to_status=pattern.status).order_by("-id").first()
        assert last is not None and last.actor.username == "engineer", pattern.code
    assert PatternEvent.objects.filter(action="root_cause").count() >= 4
    # cases at every stage: waiting for an engineer, being worked on, concluded (one creating a pattern)
    cases = RootCauseCase.objects.all()
    assert cases.filter(status="open", engineer__isnull=True).exists()
    assert cases.filter(status="open", engineer__isnull=False).exclude(findings="").exists()
    assert cases.filter(status="closed", pattern__status="new").exists()
    assert RMA.objects.filter(disposition=RMA.Disposition.SCRAPPED, rca_case__status="closed").exists()
    # the customer whose earbud helped root-cause FP-0007 was thanked
    thanks = OutboxMessage.objects.get(template="pattern_thanks")
    assert thanks.context["pattern_code"] == "FP-0007"
    # and an advisory is published, shown on affected returns' status pages
    advisory = Advisory.objects.get()
    assert advisory.is_live
    assert "Advisory published" in output and "Root-cause cases open" in output
    affected = RMA.objects.exclude(status__in=RMA.FINAL_STATUSES).filter(device__lot__in=advisory.affected_lots)
    for rma in affected:
        assert [notice.title for notice in notices_for(rma)][:1] == [advisory.title]
    # the advisory's free battery is a service programme's: active, owners told, a covered return, a reimbursement
    programme = Programme.objects.get(code="SP-0001")
    assert advisory.programme == programme and programme.status == Programme.Status.ACTIVE
    assert programme.owners_notified > 0 and "Service programme active: SP-0001" in output
    covered = RMA.objects.get(programme_code="SP-0001")
    assert (covered.coverage, covered.status) == (RMA.Coverage.PROGRAMME, RMA.Status.REPAIRING)
    assert programme.reimbursements.filter(status="proposed").count() == 1
