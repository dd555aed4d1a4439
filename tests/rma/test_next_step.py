"""The next step first (SPEC §13): a return's admin page leads with its likely next actions, offers only the
actions that can succeed, puts destructive ones last, and has one "Close"."""

import re

import pytest
from django.urls import reverse

from core.actions import registry
from rma.models import RMA, Source
from tests.helpers import perform

pytestmark = pytest.mark.django_db
S = RMA.Status
BUTTON = re.compile(r'class="button rma-action rma-action-(\w+)" data-action="(\w+)"')


def buttons(client, rma) -> list[tuple[str, str]]:
    """(action, style) of each button, in page order."""
    body = client.get(reverse("admin:rma_rma_change", args=[rma.pk])).content.decode()
    return [(name, style) for style, name in BUTTON.findall(body)]


def leads(found) -> list[str]:
    return [name for name, style in found if style == "primary"]


def assert_danger_last(found) -> None:
    styles = [style for _, style in found]
    if "danger" in styles:
        assert styles[styles.index("danger") :] == ["danger"] * styles.count("danger"), found


def test_a_submitted_return_leads_with_authorize_and_puts_cancel_and_reject_last(client, supervisor, build):
    rma = build(S.SUBMITTED)
    client.force_login(supervisor)
    found = buttons(client, rma)
    assert found[0] == ("authorize", "primary")
    assert [name for name, style in found if style == "danger"] == ["reject", "cancel"]
    assert_danger_last(found)


def test_an_authorized_return_leads_with_receive_not_cancel(client, technician, build):
    rma = build(S.AUTHORIZED)
    client.force_login(technician)
    found = buttons(client, rma)
    assert found[0] == ("receive", "primary")
    assert found[-1] == ("cancel", "danger")


@pytest.mark.parametrize(
    ("status", "lead"),
    [(S.RECEIVED, ["start_diagnosis"]), (S.REPAIRING, ["ship"]), (S.REPLACING, ["ship"]), (S.SHIPPED, ["close"])],
)
def test_each_status_leads_with_its_next_step(client, technician, build, status, lead):
    rma = build(status)
    client.force_login(technician)
    assert leads(buttons(client, rma)) == lead


def test_diagnosing_leads_with_the_diagnosis_then_with_repair_once_a_fault_is_found(client, technician, build):
    rma = build(S.DIAGNOSING, diagnosed=False)
    client.force_login(technician)
    assert leads(buttons(client, rma)) == ["record_diagnosis"]
    rma = perform("record_diagnosis", rma, actor=technician, source=Source.ADMIN, outcome="confirmed")
    found = buttons(client, rma)
    assert leads(found) == ["repair", "replace"]  # at most two lead
    assert [name for name, _ in found][:2] == ["repair", "replace"]
    assert_danger_last(found)


def test_no_fault_found_leads_with_shipping_the_unit_back(client, technician, build):
    rma = build(S.DIAGNOSING, outcome="no_fault_found")
    client.force_login(technician)
    assert leads(buttons(client, rma)) == ["ship"]


def test_a_retained_unit_is_not_offered_a_repair_nor_a_disposal_while_its_case_is_open(
    client, technician, supervisor, build
):
    rma = build(S.DIAGNOSING, outcome="confirmed")
    rma = perform("retain_unit", rma, actor=technician, source=Source.ADMIN)
    client.force_login(supervisor)
    names = [name for name, _ in buttons(client, rma)]
    assert "repair" not in names
    assert "dispose_unit" not in names  # scrapping waits for the case; refurbishing is refused for good
    assert "ship" not in names  # the unit never goes back
    assert "replace" in names


def test_the_repair_service_refuses_a_retained_unit(technician, build):
    from core.exceptions import TransitionRefused
    from rma import services

    rma = build(S.DIAGNOSING, outcome="confirmed")
    rma = perform("retain_unit", rma, actor=technician, source=Source.ADMIN)
    with pytest.raises(TransitionRefused) as refused:
        services.rma_repair(rma=rma, actor=technician, source=Source.ADMIN)
    assert refused.value.code == "unit_retained"
    rma.refresh_from_db()
    assert rma.status == S.DIAGNOSING


def test_a_shipped_return_has_one_close(client, technician, build):
    rma = build(S.SHIPPED)
    client.force_login(technician)
    body = client.get(reverse("admin:rma_rma_change", args=[rma.pk])).content.decode()
    assert len(re.findall(r">\s*Close\s*<", body)) == 1
    assert "Back to the list" in body


def test_every_offered_button_of_every_state_can_start(client, supervisor, build):
    """No button leads to a form its table refuses: every offered action is allowed from the status."""
    for status in [S.SUBMITTED, S.AUTHORIZED, S.RECEIVED, S.DIAGNOSING, S.REPAIRING, S.SHIPPED, S.CLOSED]:
        rma = build(status)
        client.force_login(supervisor)
        for name, _ in buttons(client, rma):
            assert registry.get("rma", name).allowed_for(rma), (status, name)
