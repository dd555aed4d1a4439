"""The public programme pages (SPEC §11): what a customer may learn from a serial, and nothing more."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from diagnostics import programmes
from diagnostics.models import FailurePattern
from rma.models import Source
from tests.factories import CustomerFactory, DeviceFactory, FailurePatternFactory, ProductModelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(engineer, battery):
    phone = ProductModelFactory(sku="PHN-1", name="Aurora")
    pattern = FailurePatternFactory(
        component=battery, status=FailurePattern.Status.ROOT_CAUSED, root_cause="Thin separator."
    )
    created = programmes.programme_create(
        actor=engineer,
        title="Battery programme",
        summary="Some batteries can swell after a year.",
        pattern=pattern,
        product_models=[phone],
        lots=["L-BAD"],
        covered_until=dt.date.today() + dt.timedelta(days=400),
    )
    return programmes.programme_activate(programme=created, actor=engineer, source=Source.ADMIN)


def check(client, serial):
    return client.get("/programmes/check/", {"serial_number": serial})


def answer(response) -> str:
    """The page without the serial typed and the form's echo of it."""
    return re.sub(r"SN-[A-Z-]+", "SERIAL", response.content.decode())


def test_the_list_shows_active_programmes_in_plain_words(client, programme):
    page = client.get("/programmes/").content.decode()
    assert "Battery programme" in page and programme.code in page and "Some batteries can swell" in page
    assert "Aurora" in page


def test_a_covered_serial_says_until_when_and_nothing_about_owner_or_returns(client, programme, flow, today):
    owner = CustomerFactory(email="private.owner@example.com", name="Pat Private")
    device = DeviceFactory(
        serial_number="SN-COVERED", product_model=programme.product_models.get(), lot="L-BAD", owner=owner
    )
    rma = flow.create(device, email="private.owner@example.com")
    response = check(client, "sn-covered")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Good news" in page and programme.code in page and f"{programme.covered_until:%B %Y}" in page
    for secret in ("private.owner@example.com", "Pat Private", rma.number, "L-BAD"):
        assert secret not in page
    assert response["Referrer-Policy"] == "no-referrer"


def test_unknown_unsold_and_uncovered_serials_get_the_same_answer(client, programme, today):
    DeviceFactory(serial_number="SN-OTHER-LOT", product_model=programme.product_models.get(), lot="L-GOOD")
    DeviceFactory(
        serial_number="SN-IN-STOCK", product_model=programme.product_models.get(), lot="L-BAD", shipped_on=None
    )
    pages = {answer(check(client, serial)) for serial in ("SN-OTHER-LOT", "SN-IN-STOCK", "SN-NEVER-MADE")}
    assert len(pages) == 1
    assert "No service programme covers SERIAL" in pages.pop()


def test_the_checker_is_rate_limited_per_address(client, programme, settings):
    settings.PROGRAMME_CHECK_RATE_PER_IP = "3/900"
    codes = [check(client, f"SN-GUESS-{n}").status_code for n in range(4)]
    assert codes == [200, 200, 200, 429]


def test_a_blank_serial_asks_for_one(client, programme):
    response = check(client, "  ")
    assert response.status_code == 400 and "Please enter your device" in response.content.decode()
