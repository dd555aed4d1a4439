"""The engineers' admin: patterns move by buttons, cases are worked by buttons, suggestions while diagnosing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from diagnostics import advisories
from diagnostics.models import Advisory, Diagnosis, FailurePattern, PatternEvent, RootCauseCase
from diagnostics.services import unit_retain
from rma.models import RMA, Source
from tests.factories import FailurePatternFactory, ProductModelFactory
from tests.helpers import image_bytes

pytestmark = pytest.mark.django_db
S = RMA.Status
P = FailurePattern.Status


@pytest.fixture
def fp(battery):
    pattern = FailurePatternFactory(
        code="FP-0012",
        title="Rapid drain in the cold",
        symptoms="Battery drains very fast at low temperature.",
        component=battery,
        status=P.NEW,
    )
    pattern.affected_models.set([ProductModelFactory(sku="PHN-1")])
    return pattern


def do(client, model, obj, action, **data):
    return client.post(reverse(f"admin:diagnostics_{model}_act", args=[obj.pk, action]), data)


# Patterns --------------------------------------------------------------------------------------------------


def test_an_engineer_takes_a_pattern_through_its_lifecycle_with_buttons(client, engineer, fp):
    client.force_login(engineer)
    change = reverse("admin:diagnostics_failurepattern_change", args=[fp.pk])
    page = client.get(change).content.decode()
    assert reverse("admin:diagnostics_failurepattern_act", args=[fp.pk, "investigate"]) in page
    assert reverse("admin:diagnostics_failurepattern_act", args=[fp.pk, "verify"]) not in page
    steps = [
        ("investigate", {}),
        ("root_cause", {"root_cause": "Separator shrinks.", "public_summary": "A part inside shrinks."}),
        ("start_corrective_action", {"corrective_action": "New separator supplier.", "effectivity": "From L2510."}),
        ("verify", {"effective_from_lot": "L2510"}),
        ("close", {}),
        ("reopen", {"reason": "Back on a fixed unit.", "samples_wanted": "2"}),
    ]
    for action, data in steps:
        response = do(client, "failurepattern", fp, action, **data)
        assert response.status_code == 302, (action, response.content.decode()[:3000])
    fp.refresh_from_db()
    assert (fp.status, fp.samples_wanted, fp.effective_from_lot) == (P.INVESTIGATING, 2, "L2510")
    page = client.get(change).content.decode()
    for action, _ in steps:
        assert f">{action}<" in page  # the history inline
    assert "Status changes only with the buttons above" in page


def test_a_refused_move_says_why(client, engineer, fp):
    client.force_login(engineer)
    do(client, "failurepattern", fp, "investigate")
    response = do(client, "failurepattern", fp, "root_cause", root_cause="Known.", public_summary="")
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()  # the form checks shape first
    response = do(client, "failurepattern", fp, "verify", effective_from_lot="L1")
    assert response.status_code == 200
    assert "pattern_transition_not_allowed" in response.content.decode()
    assert FailurePattern.objects.get(pk=fp.pk).status == P.INVESTIGATING


def test_status_is_not_a_field_and_edits_are_recorded(client, engineer, fp):
    client.force_login(engineer)
    change = reverse("admin:diagnostics_failurepattern_change", args=[fp.pk])
    page = client.get(change).content.decode()
    assert 'name="status"' not in page
    data = {
        "title": "Rapid drain in freezing weather",
        "component": fp.component_id,
        "symptoms": fp.symptoms,
        "samples_wanted": "3",
        "affected_models": [m.pk for m in fp.affected_models.all()],
        "affected_lots": "L2501, L2502",
        "affected_firmware": "",
        "status": P.CLOSED,  # ignored
        **{
            f"{prefix}-{key}": value
            for prefix in ("events", "advisories")
            for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
        },
    }
    response = client.post(change, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    fp.refresh_from_db()
    assert (fp.title, fp.affected_lots, fp.status) == ("Rapid drain in freezing weather", ["L2501", "L2502"], P.NEW)
    edit = PatternEvent.objects.get(pattern=fp, action="edit")
    assert edit.actor == engineer
    assert "title" in edit.data["fields"]


def test_technicians_see_patterns_but_cannot_move_them(client, technician, fp):
    client.force_login(technician)
    page = client.get(reverse("admin:diagnostics_failurepattern_change", args=[fp.pk])).content.decode()
    assert "/act/investigate/" not in page
    assert do(client, "failurepattern", fp, "investigate").status_code == 403
    assert FailurePattern.objects.get(pk=fp.pk).status == P.NEW


def test_the_pattern_list_counts_and_filters(client, engineer, fp, build, technician, django_assert_max_num_queries):
    rma = build(S.DIAGNOSING, outcome="confirmed", pattern=fp)
    unit_retain(rma=rma, actor=technician, source=Source.ADMIN)
    for n in range(5):
        FailurePatternFactory(code=f"FP-09{n:02d}", component=fp.component)
    client.force_login(engineer)
    url = reverse("admin:diagnostics_failurepattern_changelist")
    with django_assert_max_num_queries(12):
        page = client.get(url).content.decode()
    assert "FP-0012" in page
    assert "Retained" in page and "Repeats" in page
    assert "FP-0900" in page
    assert "FP-0012" not in client.get(url + "?status=closed").content.decode()


# Diagnosing with suggestions -------------------------------------------------------------------------------


def test_the_diagnosis_form_suggests_patterns_and_one_can_be_chosen(client, technician, fp, build, battery):
    rma = build(S.DIAGNOSING, diagnosed=False)
    client.force_login(technician)
    url = reverse("admin:rma_rma_act", args=[rma.pk, "record_diagnosis"])
    # the first view ranks patterns for the customer's own words
    page = client.get(url).content.decode()
    assert "Likely failure patterns" in page
    assert "the customer&#x27;s description" in page
    # typing symptoms and asking again ranks for them, keeping what was typed
    page = client.post(
        url,
        {
            "_refresh": "Suggest patterns",
            "component": battery.pk,
            "symptoms": "batery drians in teh cold",
            "outcome": "confirmed",
        },
    ).content.decode()
    assert "FP-0012" in page and "Use FP-0012" in page
    assert "batery drians in teh cold" in page
    assert "errorlist" not in page
    # choosing a suggestion selects it in the form
    page = client.post(
        url, {"_refresh": f"use:{fp.pk}", "component": battery.pk, "symptoms": "batery drians in teh cold"}
    ).content.decode()
    assert f'<option value="{fp.pk}" selected>' in page
    assert "Chosen" in page
    # and recording it records the diagnosis against the pattern
    response = client.post(
        url,
        {
            "component": battery.pk,
            "symptoms": "batery drians in teh cold",
            "outcome": "confirmed",
            "pattern": fp.pk,
            "pattern_match": "confirmed",
            "minutes_spent": "15",
        },
    )
    assert response.status_code == 302
    diagnosis = Diagnosis.objects.get(rma=rma)
    assert (diagnosis.pattern, diagnosis.symptoms) == (fp, "batery drians in teh cold")


def test_a_pattern_can_be_preselected_by_link(client, technician, fp, build):
    rma = build(S.DIAGNOSING, diagnosed=False)
    client.force_login(technician)
    url = reverse("admin:rma_rma_act", args=[rma.pk, "record_diagnosis"]) + "?pattern=fp-0012&symptoms=dies+in+cold"
    page = client.get(url).content.decode()
    assert f'<option value="{fp.pk}" selected>' in page
    assert f'<option value="{fp.component_id}" selected>' in page
    assert "dies in cold" in page


def test_the_rma_page_shows_the_units_earlier_returns(client, technician, fp, build, flow):
    first = build(S.CLOSED, outcome="confirmed", pattern=fp)
    again = flow.to(flow.create(first.device), S.RECEIVED)
    client.force_login(technician)
    page = client.get(reverse("admin:rma_rma_change", args=[again.pk])).content.decode()
    assert "Earlier returns of this unit (1) — this is a repeat failure" in page
    assert first.number in page and "FP-0012" in page


# Root-cause cases --------------------------------------------------------------------------------------


@pytest.fixture
def case(build, technician):
    rma = unit_retain(rma=build(S.DIAGNOSING), actor=technician, source=Source.ADMIN)
    return RootCauseCase.objects.get(rma=rma)


def test_an_engineer_works_a_case_with_buttons(client, engineer, case, fp):
    client.force_login(engineer)
    assert do(client, "rootcausecase", case, "assign", engineer=engineer.pk).status_code == 302
    assert do(client, "rootcausecase", case, "add_findings", text="Teardown: swollen cell.").status_code == 302
    upload = SimpleUploadedFile("xray.png", image_bytes())
    response = client.post(
        reverse("admin:diagnostics_rootcausecase_act", args=[case.pk, "attach"]), {"kind": "photo", "file": upload}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    page = client.get(reverse("admin:diagnostics_rootcausecase_change", args=[case.pk])).content.decode()
    assert "Teardown: swollen cell." in page and "xray.png" in page
    assert "What the repair centre found" in page
    response = do(client, "rootcausecase", case, "close", conclusion="It is FP-0012.", outcome="link", pattern=fp.pk)
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.pattern, case.engineer) == ("closed", fp, engineer)
    assert (
        "/act/close/"
        not in client.get(reverse("admin:diagnostics_rootcausecase_change", args=[case.pk])).content.decode()
    )


def test_closing_a_case_can_create_a_pattern(client, engineer, case, battery):
    client.force_login(engineer)
    response = do(
        client,
        "rootcausecase",
        case,
        "close",
        conclusion="New failure.",
        outcome="create",
        new_title="Tab weld",
        new_component=battery.pk,
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.pattern.title == "Tab weld"
    # a second close is refused by the service, with its code, and creates nothing
    response = do(
        client,
        "rootcausecase",
        case,
        "close",
        conclusion="Again.",
        outcome="create",
        new_title="Other",
        new_component=battery.pk,
    )
    assert response.status_code == 200
    assert "case_closed" in response.content.decode()
    assert not FailurePattern.objects.filter(title="Other").exists()


def test_the_case_queue_lists_open_cases_oldest_first_with_their_age(
    client, engineer, case, django_assert_max_num_queries
):
    client.force_login(engineer)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("admin:diagnostics_rootcausecase_changelist")).content.decode()
    assert "Root-cause cases, oldest first" in page
    assert case.rma.number in page and "0 days" in page
    assert (
        case.rma.number
        in client.get(reverse("admin:diagnostics_rootcausecase_changelist") + "?assigned=nobody").content.decode()
    )


# Advisories --------------------------------------------------------------------------------------------


def test_an_engineer_writes_publishes_and_withdraws_an_advisory(client, engineer, fp):
    client.force_login(engineer)
    add = reverse("admin:diagnostics_advisory_add") + f"?pattern={fp.pk}"
    page = client.get(add).content.decode()
    assert "PHN-1" in page
    model_pk = fp.affected_models.get().pk
    response = client.post(
        add,
        {
            "pattern": fp.pk,
            "title": "Batteries in the cold",
            "body": "Some units can switch off in freezing weather.",
            "affected_models": [model_pk],
            "affected_lots": "L2501",
            "affected_firmware": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    advisory = Advisory.objects.get()
    assert (advisory.created_by, advisory.affected_lots, advisory.state) == (engineer, ["L2501"], "draft")
    assert do(client, "advisory", advisory, "publish").status_code == 302
    page = client.get(reverse("admin:diagnostics_advisory_change", args=[advisory.pk])).content.decode()
    assert "/act/notify_owners/" in page and "/act/withdraw/" in page and "/act/publish/" not in page
    assert do(client, "advisory", advisory, "withdraw", reason="Superseded.").status_code == 302
    assert Advisory.objects.get().state == "withdrawn"


def test_technicians_cannot_publish(client, technician, engineer, fp):
    advisory = advisories.advisory_create(pattern=fp, actor=engineer, title="t", body="b")
    client.force_login(technician)
    assert do(client, "advisory", advisory, "publish").status_code == 403
