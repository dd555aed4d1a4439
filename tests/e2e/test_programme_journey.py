"""A customer checks a serial on /programmes/check/, starts a return, and follows it to a free remedy."""

import datetime as dt
import re

import pytest
from django.core import mail

from diagnostics import programmes
from diagnostics import services as diagnostics_services
from diagnostics.models import FailurePattern
from rma.models import RMA, Source
from rma.services import rma_authorize, rma_close, rma_receive, rma_repair, rma_ship, rma_start_diagnosis
from tests.factories import DeviceFactory, FailurePatternFactory, ProductModelFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

LINK = re.compile(r"https?://\S+/returns/track/[\w-]+/")


def test_a_customer_checks_a_serial_and_gets_a_free_remedy_under_the_programme(
    page, shoot, live_server, settings, engineer, technician, battery, today
):
    settings.RMA_PUBLIC_BASE_URL = live_server.url
    kw = {"actor": technician, "source": Source.ADMIN}
    phone = ProductModelFactory(sku="PHN-A1", name="Aurora A1", warranty_months=12)
    pattern = FailurePatternFactory(
        code="FP-0001",
        component=battery,
        status=FailurePattern.Status.ROOT_CAUSED,
        root_cause="Cells from one supplier batch swell.",
    )
    programme = programmes.programme_create(
        actor=engineer,
        title="Battery replacement programme for Aurora phones",
        summary="A batch of batteries in some Aurora phones can swell after about a year of use.",
        pattern=pattern,
        product_models=[phone],
        lots=["L-2451"],
        coverage_years=3,
    )
    programme = programmes.programme_activate(programme=programme, actor=engineer, source=Source.ADMIN)
    # Out of warranty for four months: without the programme this would be a paid repair.
    DeviceFactory(
        serial_number="AUR-000451", product_model=phone, lot="L-2451", shipped_on=today - dt.timedelta(days=485)
    )

    # The customer reads about the programmes and checks their serial.
    page.goto(live_server.url + "/programmes/")
    assert "Battery replacement programme" in page.inner_text("main")
    shoot(page, "programme-01-list")
    page.get_by_label("Serial number").fill("aur-000451")
    page.get_by_role("button", name="Check my device").click()
    result = page.locator(".result").inner_text()
    assert "Good news: AUR-000451 is covered" in result and "SP-0001" in result
    shoot(page, "programme-02-covered")

    # A serial the programme does not cover gets the same neutral answer as one never made.
    page.get_by_label("Serial number").fill("AUR-999999")
    page.get_by_role("button", name="Check my device").click()
    assert "No service programme covers AUR-999999" in page.inner_text("main")

    # Back to the covered unit: start a return from the answer.
    page.get_by_label("Serial number").fill("AUR-000451")
    page.get_by_role("button", name="Check my device").click()
    page.locator(".result").get_by_role("link", name="Start a return").click()
    page.get_by_label("Serial number").fill("AUR-000451")
    page.get_by_label("Your name").fill("Grace Hopper")
    page.get_by_label("Your e-mail address").fill("grace@example.com")
    page.get_by_label("What went wrong?").fill("The back cover lifts and the phone gets hot while charging.")
    page.get_by_role("button", name="Send my request").click()
    page.wait_for_url("**/returns/track/**")
    main = page.inner_text("main")
    assert "Service programme SP-0001" in main  # the programme's notice on the status page
    shoot(page, "programme-03-acknowledged")

    # Staff receive it; the diagnosis confirms the programme's fault: covered, free of charge.
    rma = RMA.objects.get()
    rma = rma_authorize(rma=rma, **kw)
    rma = rma_receive(rma=rma, **kw)
    rma = rma_start_diagnosis(rma=rma, **kw)
    diagnostics_services.diagnosis_record(
        rma=rma, component=battery, outcome="confirmed", pattern=pattern, symptoms="Swollen cell.", **kw
    )
    rma.refresh_from_db()
    assert (rma.coverage, rma.programme_code) == ("programme", "SP-0001")
    link = LINK.search([m for m in mail.outbox if m.to == ["grace@example.com"]][-1].body).group(0)
    page.goto(link)
    main = page.inner_text("main")
    assert "covered by our service programme SP-0001" in main
    assert "costs you nothing" in main
    shoot(page, "programme-04-covered-return")

    # Repaired free, shipped and closed: the customer's page says so, naming the programme.
    rma = rma_repair(rma=rma, **kw)
    rma = rma_ship(rma=rma, tracking_number="1Z-SP-0001", **kw)
    rma_close(rma=rma, **kw)
    page.reload()
    main = page.inner_text("main")
    assert "SP-0001" in main
    assert "1Z-SP-0001" in main
    shoot(page, "programme-05-remedied")
