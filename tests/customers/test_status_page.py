"""What the status page shows (SPEC §8): status in plain words, outcome and date, timeline, cover."""

import pytest

from core.extensions import NOTICES
from rma import lifecycle
from rma.models import RMA, Source
from rma.notices import Notice
from rma.services import rma_add_note, rma_ship, status_link_issue
from tests.customers.helpers import open_return

pytestmark = pytest.mark.django_db
S = RMA.Status


def page(client, rma):
    response = client.get(f"/returns/track/{status_link_issue(rma=rma)}/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    "status", [S.SUBMITTED, S.AUTHORIZED, S.RECEIVED, S.DIAGNOSING, S.REPAIRING, S.SHIPPED, S.CLOSED]
)
def test_each_status_reads_in_plain_words_with_progress(client, flow, in_warranty_device, status):
    rma = flow.to(open_return(in_warranty_device), status)
    body = page(client, rma)
    assert str(lifecycle.CUSTOMER_SENTENCES[status]).replace("'", "&#x27;") in body
    assert 'class="steps"' in body
    assert ('aria-current="step"' in body) is (status != S.CLOSED)


def test_the_outcome_and_its_date_are_shown_and_lateness_is_owned_up_to(client, flow, in_warranty_device, today):
    rma = flow.to(open_return(in_warranty_device), S.DIAGNOSING)
    body = page(client, rma)
    assert "What we are working toward" in body
    assert f'datetime="{rma.promised_on:%Y-%m-%d}"' in body
    assert "taking longer than we said" not in body
    RMA.objects.filter(pk=rma.pk).update(promised_on=today.replace(year=today.year - 1))  # we missed it
    rma.refresh_from_db()
    assert "taking longer than we said" in page(client, rma)


def test_the_timeline_shows_customer_messages_and_never_internal_notes(client, flow, technician, in_warranty_device):
    rma = flow.to(open_return(in_warranty_device), S.RECEIVED)
    rma_add_note(
        rma=rma,
        actor=technician,
        source=Source.ADMIN,
        note="INTERNAL: customer dropped it, do not tell",
        customer_message="We have a question about your device's charger; we will call you.",
    )
    body = page(client, rma)
    assert "INTERNAL" not in body
    assert "we will call you" in body
    assert "Your device has arrived at our repair centre" in body


def test_tracking_numbers_are_shown(client, flow, technician, in_warranty_device):
    rma = flow.to(open_return(in_warranty_device), S.REPAIRING)
    rma = rma_ship(rma=rma, actor=technician, source=Source.ADMIN, tracking_number="1Z-OUT-42")
    body = page(client, rma)
    assert "1Z-OUT-42" in body
    assert "Tracking, back to you" in body


def test_a_pending_quote_is_answered_with_a_button(client, flow, out_of_warranty_device):
    rma = flow.to(open_return(out_of_warranty_device), S.AWAITING_CUSTOMER)
    path = f"/returns/track/{status_link_issue(rma=rma)}/"
    body = client.get(path).content.decode()
    assert "We need your answer" in body
    response = client.post(path, {"form": "quote", "answer": "accept"})
    assert response.status_code == 303
    rma.refresh_from_db()
    assert rma.status == S.REPAIRING
    assert rma.events.last().source == "page"
    # a second click is refused politely, nothing changes
    again = client.post(path, {"form": "quote", "answer": "decline"})
    assert again.status_code == 409
    rma.refresh_from_db()
    assert rma.status == S.REPAIRING


def test_notices_from_other_apps_are_shown_escaped(client, in_warranty_device):
    rma = open_return(in_warranty_device)

    def advisory(for_rma):
        if for_rma.device.product_model.sku == "PHN-1":
            yield Notice(
                title="Battery advisory <b>",
                body="Some PHN-1 batteries swell.\nWe replace them for free. <script>x</script>",
                url="javascript:alert(1)",
            )

    def broken(for_rma):
        raise RuntimeError("a provider with a bug")

    NOTICES.add("rma", advisory)
    NOTICES.add("rma", broken)
    NOTICES.add("rma", advisory)  # registering twice shows it once
    try:
        body = page(client, rma)
    finally:
        NOTICES.remove("rma", advisory)
        NOTICES.remove("rma", broken)
    assert body.count("Battery advisory &lt;b&gt;") == 1
    assert "Some PHN-1 batteries swell.<br>We replace them for free. &lt;script&gt;" in body
    assert "javascript:" not in body
    assert "Battery advisory" not in page(client, rma)


def test_a_goodwill_replacement_is_explained(client, flow, supervisor, out_of_warranty_device, battery):
    from diagnostics import services as diagnostics_services

    rma = flow.to(open_return(out_of_warranty_device), S.DIAGNOSING, component=battery, outcome="cause_unknown")
    rma = diagnostics_services.goodwill_grant(
        rma=rma, actor=supervisor, source=Source.ADMIN, reason="Unknown cause", replacement_serial="SN-NEW-1"
    )
    body = page(client, rma)
    assert "we would like to keep it to find out why it failed" in body
    assert "free of charge" in body
