"""The customer journey in French and in Arabic on a phone: start, acknowledgement, track, follow-up
(SPEC §14). Staff act in English; the customer reads pages and e-mails in their own language."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import translation

from rma.models import RMA, Customer, Source
from rma.services import (
    follow_ups_queue_due,
    rma_authorize,
    rma_close,
    rma_receive,
    rma_repair,
    rma_ship,
    rma_start_diagnosis,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

LINK = re.compile(r"https?://\S+/returns/track/[\w-]+/")
PHONE = {"width": 390, "height": 844}
NBSP = "\u00a0"


@pytest.fixture
def phone(browser):
    """A phone whose browser asks for ``locale`` first."""
    contexts = []

    def open_phone(locale: str):
        context = browser.new_context(viewport=PHONE, locale=locale, is_mobile=True, has_touch=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_phone
    for context in contexts:
        context.close()


def emails_to(address):
    return [message for message in mail.outbox if message.to == [address]]


def staff_work(rma, technician):
    """Staff take the return to its end, in English."""
    kw = {"actor": technician, "source": Source.ADMIN}
    with translation.override("en-gb"):
        rma_authorize(rma=rma, **kw)
        rma_receive(rma=rma, **kw)
        rma_start_diagnosis(rma=rma, **kw)
        rma_repair(rma=rma, **kw)
        rma_ship(rma=rma, tracking_number="1Z999AA10123456784", **kw)
        rma_close(rma=rma, **kw)


def test_a_french_customer_starts_follows_and_answers_in_french(
    phone, shoot, live_server, settings, in_warranty_device, technician
):
    settings.RMA_PUBLIC_BASE_URL = live_server.url
    page = phone("fr-FR")

    # The browser asks for French: the pages speak French.
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert page.locator("h1").inner_text() == f"Un souci avec votre appareil{NBSP}?"
    shoot(page, "fr-01-home")

    # Start: labels and errors in French.
    page.get_by_role("link", name="Ouvrir un retour").first.click()
    page.get_by_label("Numéro de série").fill("SN-NOPE")
    page.get_by_label("Votre nom").fill("Amélie Poulain")
    page.get_by_label("Votre adresse e-mail").fill("amelie@example.com")
    page.get_by_label("Que s'est-il passé").fill("La batterie se vide en une heure.")
    page.get_by_role("button", name="Envoyer ma demande").click()
    assert "Nous ne trouvons pas ce numéro de série" in page.locator("#id_serial_number_error").inner_text()
    shoot(page, "fr-02-start-error")
    page.get_by_label("Numéro de série").fill("sn-in-warranty")
    page.get_by_role("button", name="Envoyer ma demande").click()

    # Acknowledgement: page and e-mail in French; the customer's language is stored.
    page.wait_for_url("**/returns/track/**")
    rma = RMA.objects.get()
    assert page.locator("h1").inner_text() == "Nous avons bien reçu votre demande"
    assert "Vous aurez de nos nouvelles d'ici le" in page.inner_text("main")
    assert Customer.objects.get(email="amelie@example.com").language == "fr"
    shoot(page, "fr-03-acknowledged")
    ack = emails_to("amelie@example.com")[-1]
    assert ack.subject == f"Nous avons bien reçu votre demande de retour {rma.number}"
    assert "Bonjour Amélie Poulain," in ack.body
    assert "Nous avons bien reçu votre demande de retour" in ack.body

    # Staff act in English; the customer's e-mails stay French.
    staff_work(rma, technician)
    subjects = [message.subject for message in emails_to("amelie@example.com")]
    assert f"Votre retour {rma.number} est accepté{NBSP}: merci de nous envoyer votre appareil" in subjects
    assert f"Votre retour {rma.number} est terminé{NBSP}: votre appareil a été réparé" in subjects
    assert not any(subject.startswith("Your return") for subject in subjects)
    shipped = next(m for m in emails_to("amelie@example.com") if "en route vers vous" in m.subject)
    assert "Numéro de suivi" in shipped.body and "1Z999AA10123456784" in shipped.body
    html = shipped.alternatives[0][0]
    assert '<html lang="fr" dir="ltr">' in html

    # Track: the timeline in French, dates with French month names.
    page.goto(LINK.search(emails_to("amelie@example.com")[-1].body).group(0))
    timeline = page.locator(".timeline").inner_text()
    assert "Votre appareil est bien arrivé à notre centre de réparation" in timeline
    month = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
             "novembre", "décembre"][dt.date.today().month - 1]  # fmt: skip
    assert month in timeline
    shoot(page, "fr-04-track-closed")

    # Follow-up: asked in French, answered in one click.
    rma.refresh_from_db()
    follow_ups_queue_due(now=rma.closed_at + dt.timedelta(days=15))
    follow_up = emails_to("amelie@example.com")[-1]
    assert follow_up.subject == f"Votre appareil fonctionne-t-il toujours{NBSP}? ({rma.number})"
    page.goto(LINK.search(follow_up.body).group(0))
    page.get_by_role("button", name="Oui, il fonctionne").click()
    assert page.locator("#follow-up-title").inner_text() == "Merci de nous avoir répondu"
    shoot(page, "fr-05-follow-up-answered")


def test_an_arabic_customer_reads_right_to_left_on_a_phone(
    phone, shoot, live_server, settings, in_warranty_device, technician
):
    settings.RMA_PUBLIC_BASE_URL = live_server.url
    page = phone("en-GB")

    # The switcher: one click, remembered on the next page.
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "en-gb"
    page.get_by_role("button", name="العربية").click()
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "ar"
    shoot(page, "ar-01-home")
    page.get_by_role("link", name="ابدأ طلب إرجاع").first.click()
    assert page.locator("html").get_attribute("lang") == "ar"

    # Start, in Arabic.
    page.get_by_label("الرقم التسلسلي").fill("sn-in-warranty")
    page.get_by_label("اسمك").fill("ليلى")
    page.get_by_label("بريدك الإلكتروني").fill("layla@example.com")
    page.get_by_label("ما المشكلة؟").fill("البطارية تفرغ بسرعة.")
    shoot(page, "ar-02-start")
    page.get_by_role("button", name="أرسل طلبي").click()
    page.wait_for_url("**/returns/track/**")
    rma = RMA.objects.get()
    assert page.locator("h1").inner_text() == "استلمنا طلبك"
    assert Customer.objects.get(email="layla@example.com").language == "ar"

    # The step indicator mirrors: on a phone the markers stand on the right of their labels.
    marker = page.locator(".step-current .step-marker").bounding_box()
    label = page.locator(".step-current .step-label").bounding_box()
    assert marker["x"] > label["x"]
    shoot(page, "ar-03-acknowledged")
    ack = emails_to("layla@example.com")[-1]
    assert ack.subject == f"استلمنا طلب الإرجاع {rma.number}"
    assert '<html lang="ar" dir="rtl">' in ack.alternatives[0][0]

    # Staff act in English; the return is tracked in Arabic, also from the look-up form.
    with translation.override("en-gb"):
        rma_authorize(rma=rma, actor=technician, source=Source.ADMIN)
        rma_receive(rma=rma, actor=technician, source=Source.ADMIN)
    received = emails_to("layla@example.com")[-1]
    assert received.subject == f"طلب الإرجاع {rma.number}: وصل جهازك"
    page.goto(live_server.url + "/returns/status/")
    page.get_by_label("رقم طلب الإرجاع").fill(rma.number)
    page.get_by_label("بريدك الإلكتروني").fill("layla@example.com")
    page.get_by_role("button", name="اعرض طلب الإرجاع").click()
    page.wait_for_url("**/returns/track/**")
    assert "وصل جهازك إلى مركز الإصلاح لدينا" in page.locator(".timeline").inner_text()
    shoot(page, "ar-04-track")

    # On wider screens the steps run right to left: the first step is the rightmost.
    page.set_viewport_size({"width": 1280, "height": 900})
    first = page.locator(".step").first.bounding_box()
    last = page.locator(".step").last.bounding_box()
    assert first["x"] > last["x"]
    page.set_viewport_size(PHONE)

    # Follow-up, in Arabic.
    with translation.override("en-gb"):
        rma_start_diagnosis(rma=rma, actor=technician, source=Source.ADMIN)
        rma_repair(rma=rma, actor=technician, source=Source.ADMIN)
        rma_ship(rma=rma, tracking_number="1Z999AA10123456784", actor=technician, source=Source.ADMIN)
        rma_close(rma=rma, actor=technician, source=Source.ADMIN)
    rma.refresh_from_db()
    follow_ups_queue_due(now=rma.closed_at + dt.timedelta(days=15))
    follow_up = emails_to("layla@example.com")[-1]
    assert follow_up.subject == f"هل لا يزال جهازك يعمل؟ ({rma.number})"
    page.goto(LINK.search(follow_up.body).group(0))
    shoot(page, "ar-05-follow-up")
    page.get_by_role("button", name="نعم، إنه يعمل").click()
    assert page.locator("#follow-up-title").inner_text() == "شكرًا لإخبارنا"
    shoot(page, "ar-06-follow-up-answered")
