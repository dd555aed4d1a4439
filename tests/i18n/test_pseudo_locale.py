"""No customer-facing sentence escapes translation: every public page and every customer e-mail,
rendered in a pseudo-language whose catalogue turns each marked message into full-width letters,
shows no English word left but the data it is about (names, serials, numbers, what staff typed)."""

import datetime as dt
import re
from html.parser import HTMLParser

import polib
import pytest
from django.conf import settings
from django.utils import translation

from core.extensions import NOTICES
from rma.models import RMA, Customer, OutboxMessage, Source
from rma.notices import Notice
from rma.notifications import outbox_render
from rma.services import (
    compensation_approve,
    follow_ups_queue_due,
    rma_add_note,
    status_link_issue,
)
from tests.customers.helpers import open_return

pytestmark = pytest.mark.django_db
S = RMA.Status
PSEUDO = "eo"  # a language Django knows (LANG_INFO); its catalogue here is the pseudo one
TOKEN = re.compile(r"(%\(\w+\)[sd]|<[^>]+>|&\w+;|\{\w+\})")
DATE_WORDS = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
]  # fmt: skip


def pseudo(text: str) -> str:
    """Full-width letters, placeholders and markup kept."""
    return "".join(
        part
        if TOKEN.fullmatch(part)
        else "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalpha() else c for c in part)
        for part in TOKEN.split(text)
    )


@pytest.fixture
def pseudo_language(tmp_path, settings):
    po = polib.pofile(str(settings.BASE_DIR / "locale" / "fr" / "LC_MESSAGES" / "django.po"))
    po.metadata["Plural-Forms"] = "nplurals=2; plural=(n != 1);"
    for entry in po:
        if entry.msgid_plural:
            entry.msgstr_plural = {0: pseudo(entry.msgid), 1: pseudo(entry.msgid_plural)}
        else:
            entry.msgstr = pseudo(entry.msgid)
    for word in DATE_WORDS:  # Django's own names of days and months, used in our dates
        po.append(polib.POEntry(msgid=word, msgstr=pseudo(word)))
    target = tmp_path / PSEUDO / "LC_MESSAGES"
    target.mkdir(parents=True)
    po.save_as_mofile(str(target / "django.mo"))
    settings.LOCALE_PATHS = [tmp_path, *settings.LOCALE_PATHS]
    settings.LANGUAGES = [*settings.LANGUAGES, (PSEUDO, "Pseudo")]
    settings.DATE_FORMAT, settings.DATETIME_FORMAT = "l j F Y", "l j F Y, H:i"
    settings.FORMAT_MODULE_PATH = []
    settings.RMA_STATUS_PAGE_CACHE_SECONDS = 0
    translation.trans_real._translations = {}
    yield PSEUDO
    translation.trans_real._translations = {}


def visible_text(html: str) -> str:
    html = re.sub(r'<form class="languages".*?</form>', "", html, flags=re.S)
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    parser = HTMLParser()
    parts: list[str] = []
    parser.handle_data = parts.append  # type: ignore[method-assign]
    parser.feed(html)
    return " ".join(parts)


def english_left(text: str, data: list[str]) -> list[str]:
    for value in sorted(data, key=len, reverse=True):
        if value:
            text = text.replace(value, " ")
    text = re.sub(r"https?://\S+|\S+@\S+", " ", text)
    return re.findall(r"[A-Za-z]{3,}", text)


def data_of(rma: RMA) -> list[str]:
    rma.refresh_from_db()
    values = [rma.number, rma.customer.name, rma.customer.email, rma.device.serial_number, rma.fault_description]
    values += [rma.device.product_model.name, rma.inbound_tracking, rma.outbound_tracking]
    if rma.replacement_device_id:
        values.append(rma.replacement_device.serial_number)
    for event in rma.events.all():
        values += [str(value) for value in event.data.values() if isinstance(value, str)]
    return [*values, "battery", "Battery", "It stopped charging.", "It stopped working."]


def test_the_check_finds_english_when_there_is_some(client, pseudo_language):
    left = english_left(visible_text(client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()), [])
    assert {"Something", "wrong", "with", "your", "device"} <= set(left)


def test_the_public_forms_say_nothing_in_english(client, pseudo_language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = pseudo_language
    pages = [
        client.get("/"),
        client.get("/returns/new/"),
        client.post(
            "/returns/new/", {"serial_number": "", "email": "not-an-address", "name": "", "fault_description": ""}
        ),
        client.post(
            "/returns/new/",
            {"serial_number": "NOPE-1", "email": "a@example.com", "name": "A", "fault_description": "x"},
        ),
        client.get("/returns/status/"),
        client.post("/returns/status/", {"rma_number": "", "email": ""}),
        client.post("/returns/status/", {"rma_number": "RMA-NOTHERE", "email": "a@example.com"}),
        client.get("/returns/track/no-such-link/"),
    ]
    for response in pages:
        html = response.content.decode()
        assert f'<html lang="{pseudo_language}"' in html
        assert english_left(visible_text(html), ["NOPE-1", "A"]) == [], response.request["PATH_INFO"]


STATUSES = [S.SUBMITTED, S.AUTHORIZED, S.RECEIVED, S.DIAGNOSING, S.REPAIRING, S.SHIPPED, S.CLOSED]


@pytest.mark.parametrize("status", STATUSES)
def test_every_status_page_says_nothing_in_english(client, flow, in_warranty_device, pseudo_language, status):
    rma = open_return(in_warranty_device)
    Customer.objects.filter(pk=rma.customer_id).update(language=pseudo_language)
    rma = flow.to(rma, status)
    rma_add_note(rma=rma, actor=flow.technician, source=Source.ADMIN, note="internal only")
    session = client.session
    session["rma_acknowledged"] = rma.number  # the thank-you banner too
    session.save()
    html = client.get(f"/returns/track/{status_link_issue(rma=rma)}/").content.decode()
    assert f'<html lang="{pseudo_language}"' in html
    assert english_left(visible_text(html), data_of(rma)) == []


def test_quotes_proofs_notices_and_compensation_say_nothing_in_english(
    client, build, supervisor, pseudo_language, make_device, in_warranty_device, customer
):
    NOTICES.add("rma", lambda rma: [Notice(title="Staff title", body="Staff body", url="https://example.com")])
    try:
        quoted = build(S.AWAITING_CUSTOMER)
        late = build(S.CLOSED)
        compensation_approve(
            rma=late, actor=supervisor, source=Source.ADMIN, kind="service_credit", amount="20.00", reason="Late."
        )
        owned = in_warranty_device
        owned.owner = customer
        owned.save(update_fields=["owner"])
        stranger = open_return(owned, email="stranger@example.com", name="Stranger")
        Customer.objects.update(language=pseudo_language)
        for rma in (quoted, late, stranger):
            html = client.get(f"/returns/track/{status_link_issue(rma=rma)}/").content.decode()
            left = english_left(visible_text(html), [*data_of(rma), "Staff title", "Staff body", "Stranger"])
            assert left == [], rma.status
    finally:
        NOTICES._providers["rma"].pop()  # type: ignore[attr-defined]


def test_every_customer_email_says_nothing_in_english(
    flow, build, supervisor, pseudo_language, in_warranty_device, make_device, customer
):
    rma = flow.to(open_return(in_warranty_device), S.CLOSED)
    quoted = build(S.AWAITING_CUSTOMER)
    owned = make_device(in_warranty=True)
    owned.owner = customer
    owned.save(update_fields=["owner"])
    open_return(owned, email="stranger@example.com", name="Stranger")  # the owner is asked
    rma.refresh_from_db()
    follow_ups_queue_due(now=rma.closed_at + dt.timedelta(days=15))
    Customer.objects.update(language=pseudo_language)
    templates = set()
    for message in OutboxMessage.objects.select_related("customer", "rma"):
        email = outbox_render(message)
        data = data_of(message.rma) if message.rma else [message.context.get("reference", ""), owned.serial_number]
        data += [owned.product_model.name, "Stranger", "Owner"]
        for text in (email.subject, email.body, visible_text(email.alternatives[0][0])):
            assert english_left(text, data) == [], (message.template, text)
        templates.add(message.template)
    assert {"rma_acknowledgement", "rma_event", "rma_closed", "rma_follow_up", "ownership_check"} <= templates
    assert quoted.status == S.AWAITING_CUSTOMER  # its quote e-mail was among them


def test_service_programme_pages_notices_and_owners_email_say_nothing_in_english(
    client, engineer, battery, pseudo_language, today
):
    from diagnostics import programmes
    from diagnostics.models import FailurePattern
    from tests.factories import CustomerFactory, DeviceFactory, FailurePatternFactory, ProductModelFactory

    phone = ProductModelFactory(sku="PHN-1", name="Phone One")
    pattern = FailurePatternFactory(component=battery, status=FailurePattern.Status.ROOT_CAUSED, root_cause="Thin.")
    pattern.affected_models.set([phone])
    programme = programmes.programme_create(
        actor=engineer,
        title="Batteries that may swell",
        summary="Some batteries can swell.",
        pattern=pattern,
        product_models=[phone],
        coverage_years=3,
    )
    programmes.programme_activate(programme=programme, actor=engineer, source=Source.ADMIN)
    owner = CustomerFactory(email="owner@example.com", name="Owner", language=pseudo_language)
    device = DeviceFactory(product_model=phone, owner=owner, shipped_on=today - dt.timedelta(days=400))
    data = [programme.title, programme.summary, programme.code, phone.name, device.serial_number, "Owner"]
    assert programmes.eligibility_by_serial(device.serial_number)[1], "the unit is covered: its notice is shown"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = pseudo_language
    for response in (
        client.get("/programmes/"),
        client.get("/programmes/check/"),
        client.get("/programmes/check/", {"serial_number": ""}),
        client.get("/programmes/check/", {"serial_number": device.serial_number}),
        client.get("/programmes/check/", {"serial_number": "NO-SUCH-SERIAL"}),
    ):
        html = response.content.decode()
        assert f'<html lang="{pseudo_language}"' in html
        assert english_left(visible_text(html), [*data, "NO-SUCH-SERIAL"]) == [], response.request["QUERY_STRING"]
    rma = open_return(device, email="owner@example.com", name="Owner")
    Customer.objects.update(language=pseudo_language)
    html = client.get(f"/returns/track/{status_link_issue(rma=rma)}/").content.decode()
    assert english_left(visible_text(html), [*data, *data_of(rma)]) == []
    programmes.programme_owner_emails_queue(programme_id=programme.pk)
    email = outbox_render(OutboxMessage.objects.get(template="programme_notice"))
    for text in (email.subject, email.body, visible_text(email.alternatives[0][0])):
        assert english_left(text, data) == [], text
