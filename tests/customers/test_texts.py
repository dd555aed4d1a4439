"""What customers read matches what happened (SPEC §4, §8): subjects, follow-ups, cover, links."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import pytest
from django.utils.formats import date_format

from diagnostics import services as diagnostics_services
from rma import public, services
from rma.models import RMA, OutboxMessage, Source
from rma.notifications import outbox_render
from rma.services import follow_ups_queue_due, status_link_issue
from tests.customers.helpers import open_return
from tests.factories import DeviceFactory, ProductModelFactory

pytestmark = pytest.mark.django_db

S = RMA.Status
ADMIN = Source.ADMIN
ROOT = Path(__file__).resolve().parents[2]
GOODWILL_WORDING = "sometimes replace the device free of charge"


def emails(rma) -> list:
    return [outbox_render(message) for message in OutboxMessage.objects.filter(rma=rma).order_by("id")]


def page(client, rma) -> str:
    return client.get(f"/returns/track/{status_link_issue(rma=rma)}/").content.decode()


def test_each_email_of_a_return_says_what_happened_in_its_subject(out_of_warranty_device, technician, battery):
    rma = open_return(out_of_warranty_device)
    kw = {"actor": technician, "source": ADMIN}
    rma = services.rma_authorize(rma=rma, **kw)
    rma = services.rma_receive(rma=rma, **kw)
    rma = services.rma_start_diagnosis(rma=rma, **kw)
    diagnostics_services.diagnosis_record(rma=rma, component=battery, outcome="confirmed", **kw)
    rma = services.rma_quote(rma=RMA.objects.get(pk=rma.pk), amount="79.00", **kw)
    rma = services.rma_accept_quote(rma=rma, actor=None, source=Source.PAGE)
    rma = services.rma_ship(rma=rma, tracking_number="TRK-9", **kw)
    rma = services.rma_close(rma=rma, **kw)

    subjects = [email.subject for email in emails(rma)]
    assert len(subjects) == 9
    assert len(set(subjects)) == len(subjects), subjects
    assert not any("an update" in subject for subject in subjects)
    n = rma.number
    assert subjects[0] == f"We have your return request {n}"
    assert subjects[1].startswith(f"Your return {n} is approved")
    assert "has arrived" in subjects[2]
    assert subjects[5] == f"Your return {n}: we need your answer on a repair quote"
    assert "on its way back" in subjects[7]
    assert subjects[8] == f"Your return {n} is complete: your device was repaired"


def test_the_rejection_email_gives_the_reason_and_points_to_nothing_it_does_not_show(in_warranty_device, supervisor):
    rma = open_return(in_warranty_device)
    rma = services.rma_reject(rma=rma, actor=supervisor, source=ADMIN, reason="This unit was reported stolen.")
    email = emails(rma)[-1]
    assert email.subject == f"Your return {rma.number} was rejected"
    text = email.body + email.alternatives[0][0]
    assert "This unit was reported stolen." in email.body
    assert "below" not in text
    assert "timeline" not in text
    assert "What we are working toward" not in text


def test_the_rejected_status_page_gives_the_reason(client, in_warranty_device, supervisor):
    rma = open_return(in_warranty_device)
    rma = services.rma_reject(rma=rma, actor=supervisor, source=ADMIN, reason="Not one of our products.")
    assert "We could not accept this return: Not one of our products." in page(client, rma)


def goodwill_closed(flow, supervisor, technician, out_of_warranty_device):
    rma = flow.to(flow.create(out_of_warranty_device), S.DIAGNOSING, component=flow.battery)
    rma = diagnostics_services.goodwill_grant(
        rma=rma, actor=supervisor, source=ADMIN, reason="Unknown failure.", replacement_serial="GW-NEW-7"
    )
    rma = services.rma_ship(rma=rma, actor=technician, source=ADMIN, tracking_number="T-7")
    return services.rma_close(rma=rma, actor=technician, source=ADMIN)


@pytest.fixture
def goodwill(flow, supervisor, technician, out_of_warranty_device, battery):
    flow.battery = battery
    return goodwill_closed(flow, supervisor, technician, out_of_warranty_device)


def test_the_follow_up_after_a_goodwill_replacement_asks_about_the_replacement(goodwill, settings, client):
    settings.RMA_FOLLOW_UP_DAYS = 14
    follow_ups_queue_due(now=goodwill.closed_at + dt.timedelta(days=14, minutes=1))
    email = emails(goodwill)[-1]
    assert "replacement" in email.subject
    assert "GW-NEW-7" in email.body
    assert goodwill.device.serial_number not in email.body
    body = page(client, goodwill)
    assert "Is your replacement device working properly?" in body
    assert "GW-NEW-7" in body


def test_a_closed_return_with_a_replacement_shows_the_replacements_warranty(goodwill, client):
    replacement = goodwill.replacement_device
    replacement.refresh_from_db()
    old_end = goodwill.device.warranty_ends_on
    position = str(public.warranty_position(goodwill))
    assert date_format(replacement.warranty_ends_on) in position
    assert "GW-NEW-7" in position
    assert date_format(old_end) not in position
    body = page(client, goodwill)
    assert date_format(replacement.warranty_ends_on) in body
    assert date_format(old_end) not in body


def test_nothing_to_follow_up_after_a_refund(flow, supervisor, out_of_warranty_device, settings):
    settings.RMA_FOLLOW_UP_DAYS = 14
    rma = flow.to(flow.create(out_of_warranty_device), S.DIAGNOSING)
    services.rma_refund(
        rma=rma, actor=supervisor, source=ADMIN, amount="50", currency="GBP", method="store_credit", reason="x"
    )
    rma.refresh_from_db()
    assert follow_ups_queue_due(now=rma.closed_at + dt.timedelta(days=14, minutes=1)) == []


def test_no_goodwill_wording_once_a_quote_was_sent(client, build):
    rma = build(S.AWAITING_CUSTOMER)  # out of warranty, inside the goodwill window, quoted
    body = page(client, rma)
    assert GOODWILL_WORDING not in body
    assert "79.00" in body
    assert all(GOODWILL_WORDING not in email.body for email in emails(rma)[1:])


def test_goodwill_wording_only_while_goodwill_can_still_apply(client, today):
    model = ProductModelFactory(sku="PHN-GW", warranty_months=12, goodwill_window_months=6)
    inside = DeviceFactory(serial_number="SN-INSIDE", product_model=model, shipped_on=today - dt.timedelta(days=425))
    beyond = DeviceFactory(serial_number="SN-BEYOND", product_model=model, shipped_on=today - dt.timedelta(days=700))
    inside_rma, beyond_rma = open_return(inside), open_return(beyond, email="other@example.com")
    assert GOODWILL_WORDING in emails(inside_rma)[0].body
    assert GOODWILL_WORDING not in emails(beyond_rma)[0].body
    assert GOODWILL_WORDING not in page(client, beyond_rma)


def test_email_links_follow_the_public_base_url(settings, in_warranty_device):
    settings.RMA_PUBLIC_BASE_URL = "http://127.0.0.1:8123"
    rma = open_return(in_warranty_device)
    assert "http://127.0.0.1:8123/returns/track/" in emails(rma)[0].body


def make_dry_run(*args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "RMA_PUBLIC_BASE_URL"}
    result = subprocess.run(
        ["make", "-n", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return result.stdout


@pytest.mark.parametrize(
    ("args", "url"),
    [
        (("run", "PORT=8123"), "http://127.0.0.1:8123"),
        (("run",), "http://127.0.0.1:8000"),
        (("run", "HOST=0.0.0.0", "PORT=9000"), "http://127.0.0.1:9000"),
        (("run", "HOST=rma.local"), "http://rma.local:8000"),
    ],
)
def test_make_run_points_email_links_where_the_site_is_served(args, url):
    commands = make_dry_run(*args).splitlines()
    for command in ("runserver", "seed_demo"):
        line = next(line for line in commands if command in line)
        assert f"RMA_PUBLIC_BASE_URL=${{RMA_PUBLIC_BASE_URL:-{url}}}" in line
    # an address given in the environment still wins
    shell = next(line for line in commands if "runserver" in line).split(" .venv")[0]
    env = {"PATH": os.environ["PATH"], "RMA_PUBLIC_BASE_URL": "https://returns.example.com"}
    echoed = subprocess.run(
        ["sh", "-c", f'{shell} sh -c "echo \\$RMA_PUBLIC_BASE_URL"'], env=env, capture_output=True, text=True
    )
    assert echoed.stdout.strip() == "https://returns.example.com"


def test_the_sentence_of_a_closed_return_is_built_from_the_facts(goodwill):
    assert "GW-NEW-7" in str(public.resolution_sentence(goodwill))
