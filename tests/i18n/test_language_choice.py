"""Which language a customer is spoken to in (SPEC §14): their saved choice, else their browser's
Accept-Language; a switcher that remembers; e-mails rendered in the recipient's language."""

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.utils import translation

from core.phrases import Said, said_json, said_render, say
from rma.models import RMA, Customer, OutboxMessage, Source
from rma.services import rma_authorize, rma_receive, status_link_issue
from tests.customers.helpers import open_return

pytestmark = pytest.mark.django_db
COOKIE = settings.LANGUAGE_COOKIE_NAME


def h1(response) -> str:
    html = response.content.decode()
    return html.split("<h1>", 1)[1].split("</h1>", 1)[0]


def track(rma) -> str:
    return f"/returns/track/{status_link_issue(rma=rma)}/"


def test_without_a_choice_the_browser_language_wins_else_english(client):
    assert h1(client.get("/")) == "Something wrong with your device?"
    assert h1(client.get("/", HTTP_ACCEPT_LANGUAGE="fr-CA,fr;q=0.9,en;q=0.5")) == "Un souci avec votre appareil\u00a0?"
    assert h1(client.get("/", HTTP_ACCEPT_LANGUAGE="pt-BR")) == "Algum problema com seu aparelho?"
    assert h1(client.get("/", HTTP_ACCEPT_LANGUAGE="es-MX")) == "¿Algo va mal con su dispositivo?"
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="ar-EG")
    assert '<html lang="ar" dir="rtl">' in response.content.decode()
    assert response["Content-Language"] == "ar"
    assert h1(client.get("/", HTTP_ACCEPT_LANGUAGE="de-DE")) == "Something wrong with your device?"


def test_the_switcher_remembers_the_choice_over_the_browser_language(client):
    response = client.post("/language/", {"language": "es", "next": "/returns/status/"})
    assert (response.status_code, response["Location"]) == (303, "/returns/status/")
    assert response.cookies[COOKIE].value == "es"
    assert h1(client.get("/", HTTP_ACCEPT_LANGUAGE="fr")) == "¿Algo va mal con su dispositivo?"


def test_the_switcher_is_visible_on_every_page_and_goes_back_where_it_was(client):
    html = client.get("/returns/new/").content.decode()
    assert 'action="/language/"' in html and 'name="next" value="/returns/new/"' in html
    arabic = client.get("/returns/new/", HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    for name in ["English", "Français", "Español", "Português (Brasil)", "العربية"]:
        assert f">{name}</button>" in html
        assert f">{name}</button>" in arabic  # each named in itself, whatever the page's language


def test_the_switcher_refuses_other_sites_and_unknown_languages(client):
    response = client.post("/language/", {"language": "xx", "next": "https://evil.example/"})
    assert (response.status_code, response["Location"]) == (303, "/")
    assert COOKIE not in response.cookies


def test_starting_a_return_saves_the_language_it_was_started_in(
    client, in_warranty_device, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
        "/returns/new/",
            {"serial_number": in_warranty_device.serial_number, "email": "ana@example.com", "name": "Ana",
             "fault_description": "Não liga."},
            HTTP_ACCEPT_LANGUAGE="pt-BR",
        )  # fmt: skip
    assert Customer.objects.get(email="ana@example.com").language == "pt-br"
    acknowledgement = mail.outbox[-1]
    assert acknowledgement.subject.startswith("Recebemos sua solicitação de devolução RMA-")


def test_a_returns_page_speaks_its_customers_saved_language_whatever_the_browser_asks(client, in_warranty_device):
    rma = open_return(in_warranty_device)
    Customer.objects.filter(pk=rma.customer_id).update(language="es")
    client.cookies[COOKIE] = "fr"
    response = client.get(track(rma), HTTP_ACCEPT_LANGUAGE="ar")
    assert h1(response) == "Su devolución"
    assert response["Content-Language"] == "es"


def test_choosing_a_language_on_a_returns_page_saves_it_for_the_customers_emails(
    client, in_warranty_device, technician, django_capture_on_commit_callbacks
):
    rma = open_return(in_warranty_device)
    path = track(rma)
    assert h1(client.get(path)) == "Your return"
    response = client.post("/language/", {"language": "fr", "next": path})
    assert response["Location"] == path
    assert Customer.objects.get(pk=rma.customer_id).language == "fr"
    assert h1(client.get(path)) == "Votre retour"  # the kept page is not served in the old language
    with django_capture_on_commit_callbacks(execute=True):
        rma_authorize(rma=rma, actor=technician, source=Source.ADMIN)
    assert (
        mail.outbox[-1].subject == f"Votre retour {rma.number} est accepté\u00a0: merci de nous envoyer votre appareil"
    )


def test_emails_follow_the_recipient_not_the_member_of_staff(
    in_warranty_device, technician, django_capture_on_commit_callbacks
):
    rma = open_return(in_warranty_device)
    Customer.objects.filter(pk=rma.customer_id).update(language="ar")
    with translation.override("fr"), django_capture_on_commit_callbacks(execute=True):  # staff's own language
        rma_authorize(rma=rma, actor=technician, source=Source.ADMIN)
        rma_receive(rma=rma, actor=technician, source=Source.ADMIN)
    received = mail.outbox[-1]
    assert received.subject == f"طلب الإرجاع {rma.number}: وصل جهازك"
    assert "وصل جهازك إلى مركز الإصلاح لدينا" in received.body
    assert "\u2068" not in received.subject


def test_the_outbox_keeps_what_to_say_not_english_sentences(in_warranty_device, technician):
    rma = open_return(in_warranty_device)
    rma_receive(
        rma=rma_authorize(rma=rma, actor=technician, source=Source.ADMIN), actor=technician, source=Source.ADMIN
    )
    context = OutboxMessage.objects.filter(template="rma_event").latest("id").context
    for key in ("message", "status_sentence", "outcome", "warranty_position", "device"):
        assert "_say" in context[key], key
    assert context["outcome_by"] == {"_date": rma.__class__.objects.get(pk=rma.pk).promised_on.isoformat()}
    # the timeline keeps both: English for staff, the message and its facts for the customer
    event = rma.events.get(action="receive")
    assert event.customer_message.startswith("Your device has arrived at our repair centre.")
    assert Said.from_json(event.data["say"]).in_language("es").startswith("Su dispositivo ha llegado")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en-gb", "Tuesday 3 June 2025 · 1,234.50"),
        ("fr", "mardi 3 juin 2025 · 1\u00a0234,50"),
        ("es", "martes, 3 de junio de 2025 · 1\u00a0234,50"),
        ("pt-br", "Terça-feira, 3 de Junho de 2025 · 1.234,50"),
        ("ar", "الثلاثاء 3 يونيو 2025 · 1234,50"),
    ],
)
def test_dates_and_amounts_follow_the_language(language, expected):
    said = say("%(date)s · %(amount)s", date=dt.date(2025, 6, 3), amount=Decimal("1234.50"))
    assert said.in_language(language) == expected
    with translation.override(language):  # the same once stored and read back
        assert said_render(said_json({"x": said}))["x"] == expected


def test_plural_forms_follow_the_count():
    def months(n, language):
        return say_plural_months(n).in_language(language)

    assert months(1, "fr") == "Nous avons prolongé votre garantie de 1 mois."
    assert months(1, "en-gb") == "We have extended your warranty by 1 month."
    assert months(3, "en-gb") == "We have extended your warranty by 3 months."
    assert months(2, "ar") == "مدّدنا ضمانك شهرين."
    assert months(5, "ar") == "مدّدنا ضمانك 5 أشهر."
    assert months(12, "ar") == "مدّدنا ضمانك 12 شهرًا."


def say_plural_months(n):
    from core.phrases import say_plural

    return say_plural(
        "We have extended your warranty by %(count)s month.", "We have extended your warranty by %(count)s months.", n
    )


def test_the_status_page_writes_dates_in_the_language(client, in_warranty_device):
    rma = open_return(in_warranty_device)
    RMA.objects.filter(pk=rma.pk).update(reported_on=dt.date(2025, 6, 3))
    Customer.objects.filter(pk=rma.customer_id).update(language="fr")
    assert "mardi 3 juin 2025" in client.get(track(rma)).content.decode()


def test_staff_pages_follow_the_staff_members_language(client, in_warranty_device, technician):
    rma = open_return(in_warranty_device)
    client.force_login(technician)
    html = client.get(f"/admin/rma/rma/{rma.pk}/change/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert '<html lang="fr"' in html
    assert ">Accepter le retour</a>" in html  # the product's own action labels
    assert "Retours et causes racines" in html
    english = client.get(f"/admin/rma/rma/{rma.pk}/change/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ">Authorize return</a>" in english
