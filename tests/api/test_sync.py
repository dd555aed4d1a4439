"""Incremental sync (``updated_since`` and a cursor that holds while rows change) and ``Idempotency-Key``."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from django.db import connection, connections
from django.utils import timezone

from core.models import IdempotencyKey
from rma.models import RMA, Source
from rma.services import rma_authorize
from tests.api.conftest import token_key_for
from tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_settle(settings):
    settings.API_SYNC_SETTLE_SECONDS = 0


def new_rma(flow, make_device, index: int) -> RMA:
    return flow.create(make_device(serial_number=f"SYNC-{index:03d}"))


def read_all(client, path: str, params: dict, during=None) -> list[dict]:
    """Every row of every page, following ``next``; ``during(page_number)`` runs between pages."""
    seen: list[dict] = []
    answer = client.get(path, params)
    page = 0
    while True:
        assert answer.status_code == 200, answer.json()
        seen += answer.json()["results"]
        following = answer.json()["next"]
        if following is None:
            return seen
        page += 1
        if during is not None:
            during(page)
        answer = client.get(following)


def test_updated_since_lists_what_changed_in_change_order(api, technician, flow, make_device, supervisor):
    rmas = [new_rma(flow, make_device, i) for i in range(4)]
    since = timezone.now()
    RMA.objects.filter(pk=rmas[0].pk).update(updated_at=since - dt.timedelta(hours=1))
    rma_authorize(rma=rmas[2], actor=supervisor, source=Source.ADMIN)

    answer = api(technician).get("/api/v1/rmas/", {"updated_since": since.isoformat()})

    assert answer.status_code == 200
    assert [row["number"] for row in answer.json()["results"]] == [rmas[2].number]
    assert answer.json()["next"] is None
    assert answer["Sync-Cursor"]


def test_the_cursor_neither_repeats_nor_skips_rows_while_others_are_written(
    api, technician, flow, make_device, supervisor
):
    rmas = [new_rma(flow, make_device, i) for i in range(12)]
    start = min(rma.updated_at for rma in rmas) - dt.timedelta(seconds=1)
    added: list[RMA] = []
    changed: list[RMA] = []

    def write(page: int) -> None:
        # while a client pages: a new return, and a change to one already read and one not yet read
        added.append(new_rma(flow, make_device, 100 + page))
        changed.append(rma_authorize(rma=rmas[page - 1], actor=supervisor, source=Source.ADMIN))
        RMA.objects.filter(pk=rmas[-page].pk).update(fault_description=f"edited {page}")  # no stamp: not a change

    rows = read_all(api(technician), "/api/v1/rmas/", {"updated_since": start.isoformat(), "page_size": 3}, write)

    numbers = [row["number"] for row in rows]
    untouched = [rma.number for rma in rmas if rma.pk not in {c.pk for c in changed}]
    assert all(numbers.count(number) == 1 for number in untouched)  # no duplicates
    assert {rma.number for rma in rmas + added} <= set(numbers)  # no gaps
    for rma in changed:  # a row changed after it was read comes again as its change, with the new status
        assert [row["status"] for row in rows if row["number"] == rma.number][-1] == RMA.Status.AUTHORIZED
    stamps = [(row["updated_at"], row["number"]) for row in rows]
    assert stamps == sorted(stamps, key=lambda s: s[0])


def test_a_bad_cursor_is_a_clear_400(api, technician):
    answer = api(technician).get("/api/v1/rmas/", {"cursor": "not-a-cursor"})

    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_cursor"


def body(serial: str) -> dict:
    return {
        "serial_number": serial,
        "customer_email": "owner@example.com",
        "customer_name": "Owner",
        "fault_description": "It stopped working.",
    }


def test_the_same_idempotency_key_returns_the_first_answer(api, technician, make_device):
    make_device(serial_number="IDEM-1")
    client = api(technician)
    key = str(uuid.uuid4())

    first = client.post("/api/v1/rmas/", body("IDEM-1"), format="json", HTTP_IDEMPOTENCY_KEY=key)
    again = client.post("/api/v1/rmas/", body("IDEM-1"), format="json", HTTP_IDEMPOTENCY_KEY=key)
    other_body = client.post("/api/v1/rmas/", body("IDEM-2"), format="json", HTTP_IDEMPOTENCY_KEY=key)
    without_key = client.post("/api/v1/rmas/", body("IDEM-1"), format="json")

    assert first.status_code == 201
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert RMA.objects.count() == 1
    assert other_body.status_code == 409
    assert other_body.json()["code"] == "idempotency_key_reused"
    assert without_key.json()["code"] == "open_rma_exists"  # a new request, refused on its own merits


def test_a_failed_request_keeps_no_key_and_an_old_key_is_forgotten(api, technician, make_device, settings):
    client = api(technician)
    refused = client.post("/api/v1/rmas/", body("NOT-YET"), format="json", HTTP_IDEMPOTENCY_KEY="k1")
    make_device(serial_number="NOT-YET")
    retried = client.post("/api/v1/rmas/", body("NOT-YET"), format="json", HTTP_IDEMPOTENCY_KEY="k1")

    assert refused.status_code == 404  # unknown serial
    assert retried.status_code == 201
    IdempotencyKey.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    from core.api.idempotency import idempotency_keys_expire

    assert idempotency_keys_expire() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
def test_concurrent_retries_with_one_key_create_one_rma(technician, roles, today):
    from rest_framework.test import APIClient

    DeviceFactory(serial_number="RACE-1", shipped_on=today - dt.timedelta(days=30))
    key = token_key_for(technician)
    barrier = threading.Barrier(8)
    answers: list = []

    def retry() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        barrier.wait()
        try:
            answers.append(client.post("/api/v1/rmas/", body("RACE-1"), format="json", HTTP_IDEMPOTENCY_KEY="same"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=retry) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [answer.status_code for answer in answers] == [201] * 8, [a.json() for a in answers]
    assert len({answer.json()["number"] for answer in answers}) == 1
    assert RMA.objects.count() == 1
