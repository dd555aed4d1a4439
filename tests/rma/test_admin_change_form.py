"""The RMA change form in the admin writes nothing the lifecycle owns (SPEC §4 "Only transition functions ...").

The change page shows a return read-only; its Save button is hidden, but the view still accepts a
POST. Such a POST must never write the row it read at the start of the request: a step committed in
the meantime (by another member of staff, the API, the customer) survives it.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.urls import reverse

from rma import services
from rma.admin.returns import RMAAdmin
from rma.models import RMA, RMAEvent, Source

S = RMA.Status
User = get_user_model()


class _Inputs(HTMLParser):
    """Every ``<input>`` of a page with its value, as the browser would post the form."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag in ("input", "textarea") and values.get("name") and values.get("type") not in ("submit", "checkbox"):
            self.data[values["name"]] = values.get("value") or ""


def change_form_data(client, rma: RMA) -> tuple[str, dict[str, str]]:
    """The change page's address and what pressing Save on it would post (management forms included)."""
    url = reverse("admin:rma_rma_change", args=[rma.pk])
    parser = _Inputs()
    parser.feed(client.get(url).content.decode())
    assert "events-TOTAL_FORMS" in parser.data  # the inlines' management forms are there to post back
    return url, {**parser.data, "_save": "Save"}


def quote_meanwhile(monkeypatch, quote) -> None:
    """Between the change view reading the RMA and saving it, ``quote(rma_pk)`` sends a repair quote."""
    save_model = RMAAdmin.save_model

    def save_after_a_quote(self, request, obj, form, change):
        quote(obj.pk)
        save_model(self, request, obj, form, change)

    monkeypatch.setattr(RMAAdmin, "save_model", save_after_a_quote)


def assert_the_quote_stands(rma: RMA) -> None:
    stored = RMA.objects.get(pk=rma.pk)
    assert (stored.status, stored.quote_amount, stored.quote_status) == (
        S.AWAITING_CUSTOMER,
        Decimal("79.00"),
        RMA.QuoteStatus.PENDING,
    )
    last = RMAEvent.objects.filter(rma=rma).order_by("created_at", "id").last()
    assert (last.action, last.to_status) == ("quote", S.AWAITING_CUSTOMER)


@pytest.mark.django_db
def test_a_change_form_post_does_not_undo_a_quote_sent_meanwhile(build, supervisor, technician, client, monkeypatch):
    # given a diagnosed out-of-warranty return whose change page a supervisor has open
    rma = build(S.DIAGNOSING, in_warranty=False)
    client.force_login(supervisor)
    url, data = change_form_data(client, rma)
    # and a technician sends the customer a repair quote while the supervisor's POST is handled
    quote_meanwhile(
        monkeypatch,
        lambda pk: services.rma_quote(rma=pk, actor=technician, source=Source.ADMIN, amount=Decimal("79.00")),
    )

    # when the supervisor's form is posted
    response = client.post(url, data)

    # then nothing of the row it read was written back: the quote (already e-mailed) stands
    assert response.status_code == 302, response.content.decode()[:3000]
    assert_the_quote_stands(rma)


@pytest.mark.django_db
def test_a_change_form_post_with_smuggled_lifecycle_fields_writes_nothing(build, supervisor, client):
    rma = build(S.DIAGNOSING)
    before = RMA.objects.filter(pk=rma.pk).values().get()
    client.force_login(supervisor)
    url, data = change_form_data(client, rma)
    data.update(status="closed", coverage="goodwill", resolution="replaced", quote_amount="1", updated_at="2019-01-01")

    client.post(url, data)

    assert RMA.objects.filter(pk=rma.pk).values().get() == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_step_committed_while_a_change_form_is_open_survives_its_save(
    build, supervisor, technician, client, monkeypatch
):
    # given a diagnosed out-of-warranty return whose change page a supervisor has open
    rma = build(S.DIAGNOSING, in_warranty=False)
    client.force_login(supervisor)
    url, data = change_form_data(client, rma)

    def quote_on_another_connection(pk: int) -> None:
        """A technician's quote, committed on its own connection while the admin's transaction is open."""
        outcome: list[BaseException] = []

        def work() -> None:
            try:
                connection.ensure_connection()
                services.rma_quote(
                    rma=pk, actor=User.objects.get(pk=technician.pk), source=Source.ADMIN, amount=Decimal("79.00")
                )
            except BaseException as error:  # reported in the test's thread
                outcome.append(error)
            finally:
                connections.close_all()

        thread = threading.Thread(target=work)
        thread.start()
        thread.join(timeout=60)
        assert not thread.is_alive(), "the quote is stuck behind the change form (a lock?)"
        assert not outcome, outcome

    quote_meanwhile(monkeypatch, quote_on_another_connection)

    # when the supervisor's form is posted, after the quote committed
    response = client.post(url, data)

    # then the committed quote survives, with its timeline event last
    assert response.status_code == 302, response.content.decode()[:3000]
    assert_the_quote_stands(rma)
