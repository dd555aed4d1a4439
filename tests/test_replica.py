"""The read replica's router (core.replica): which alias each read and write goes to, and what reports say.

TEST MIRROR: "replica" in the test settings is a second connection to the test database itself
(``TEST: {"MIRROR": "default"}``), not a streaming replica; these tests check the router's choices and
where queries run, not replication (benchmarks/replica.py runs a real one). Tests that read through
it, or write, commit their data (``transaction=True``): the mirror's connection sees only committed rows,
and on SQLite a rolled-back test's writes lock its tables against the mirror.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from core import replica
from core.replica import PIN_COOKIE, PrimaryAfterWriteMiddleware, ReplicaRouter, read_alias, replica_reads
from rma.models import Device, ProductModel
from tests.factories import DeviceFactory, ProductModelFactory, UserFactory

BOTH = ["default", "replica"]


@pytest.fixture
def with_replica(settings):
    settings.RMA_READ_REPLICA = "replica"


def alias_of_a_read() -> str:
    return Device.objects.all().db


@pytest.mark.django_db(databases=BOTH)
def test_without_a_replica_every_read_is_on_the_primary(settings):
    settings.RMA_READ_REPLICA = ""
    with replica_reads() as freshness:
        assert alias_of_a_read() == DEFAULT_DB_ALIAS
    assert freshness.source == "primary" and freshness.lag_seconds == 0 and freshness.note == ""


@pytest.mark.django_db(databases=BOTH)
def test_only_a_replica_block_reads_the_replica(with_replica):
    assert alias_of_a_read() == DEFAULT_DB_ALIAS
    with replica_reads() as freshness:
        assert alias_of_a_read() == "replica"
        assert ProductModel.objects.filter(sku="X").db == "replica"
    assert freshness.source == "replica"
    assert freshness.as_dict()["read_from"] == "replica"
    assert alias_of_a_read() == DEFAULT_DB_ALIAS


@pytest.mark.django_db(databases=BOTH)
def test_writes_go_to_the_primary_and_the_block_then_reads_it(with_replica):
    router = ReplicaRouter()
    with replica_reads():
        assert alias_of_a_read() == "replica"
        assert router.db_for_write(Device) == DEFAULT_DB_ALIAS
        # read-your-writes: after a write the block reads the primary, to its end
        assert alias_of_a_read() == DEFAULT_DB_ALIAS
    with replica_reads():
        assert alias_of_a_read() == "replica"


@pytest.mark.django_db(databases=BOTH)
def test_a_transaction_opened_inside_a_block_reads_the_primary(with_replica):
    with replica_reads():
        with transaction.atomic():
            assert alias_of_a_read() == DEFAULT_DB_ALIAS  # read-then-write
        assert alias_of_a_read() == "replica"


@pytest.mark.django_db(databases=BOTH)
def test_a_block_inside_an_already_open_transaction_still_reads_the_replica(with_replica):
    # the detection scan holds its lock in a transaction and counts inside it
    with transaction.atomic(), replica_reads():
        assert alias_of_a_read() == "replica"


@pytest.mark.django_db(databases=BOTH)
def test_a_replica_too_far_behind_is_passed_over(with_replica, settings, monkeypatch):
    settings.RMA_REPLICA_MAX_LAG_SECONDS = 30
    monkeypatch.setattr(replica, "_lag", lambda alias: (dt.datetime.now(dt.UTC), 31.0))
    with replica_reads() as freshness:
        assert alias_of_a_read() == DEFAULT_DB_ALIAS
    assert freshness.source == "primary" and "behind" in freshness.note

    monkeypatch.setattr(replica, "_lag", lambda alias: (dt.datetime(2026, 1, 1, 12, 0, 10, tzinfo=dt.UTC), 9.5))
    with replica_reads() as freshness:
        assert alias_of_a_read() == "replica"
    assert freshness.lag_seconds == 9.5
    assert freshness.as_of == dt.datetime(2026, 1, 1, 12, 0, 0, 500000, tzinfo=dt.UTC)
    assert freshness.headers()["X-Replica-Lag-Seconds"] == "9.500"


@pytest.mark.django_db(databases=BOTH)
def test_a_replica_that_does_not_answer_is_passed_over(with_replica, monkeypatch):
    def down(alias):
        raise OperationalError("connection refused")

    monkeypatch.setattr(replica, "_lag", down)
    with replica_reads() as freshness:
        assert alias_of_a_read() == DEFAULT_DB_ALIAS
    assert freshness.source == "primary" and "did not answer" in freshness.note


@pytest.mark.django_db(databases=BOTH)
def test_no_migration_runs_on_the_replica():
    router = ReplicaRouter()
    assert router.allow_migrate("replica", "rma") is False
    assert router.allow_migrate("default", "rma") is None


def _middleware_run(request, view):
    return PrimaryAfterWriteMiddleware(view)(request)


@pytest.mark.django_db(databases=BOTH, transaction=True)  # it writes: see the module docstring
def test_a_request_that_wrote_sticks_to_the_primary_and_pins_the_next_ones(with_replica):
    seen = {}

    def view(request):
        with replica_reads():
            seen["before"] = read_alias()
            ProductModelFactory(sku="PIN-1")
            seen["after"] = read_alias()
        with replica_reads() as later:
            seen["later block"] = later.source
        from django.http import HttpResponse

        return HttpResponse("ok")

    response = _middleware_run(RequestFactory().get("/reports/"), view)
    assert seen == {"before": "replica", "after": "default", "later block": "primary"}
    cookie = response.cookies[PIN_COOKIE]
    assert cookie["max-age"] == 15 and cookie["httponly"]

    # the same browser's next page, within the pin, reads the primary
    def reader(request):
        with replica_reads() as freshness:
            seen["pinned"] = read_alias()
        seen["note"] = freshness.note
        from django.http import HttpResponse

        return HttpResponse("ok")

    request = RequestFactory().get("/reports/")
    request.COOKIES[PIN_COOKIE] = "1"
    response = _middleware_run(request, reader)
    assert seen["pinned"] == DEFAULT_DB_ALIAS and "wrote" in seen["note"]
    assert PIN_COOKIE not in response.cookies  # reading sets no pin

    # an unsafe method reads the primary from its start; a plain GET the replica
    _middleware_run(RequestFactory().post("/reports/"), reader)
    assert seen["pinned"] == DEFAULT_DB_ALIAS
    _middleware_run(RequestFactory().get("/reports/"), reader)
    assert seen["pinned"] == "replica"


@pytest.mark.django_db(databases=BOTH, transaction=True)  # it writes: see the module docstring
def test_no_pin_cookie_without_a_replica(settings):
    settings.RMA_READ_REPLICA = ""

    def view(request):
        ProductModelFactory(sku="PIN-2")
        from django.http import HttpResponse

        return HttpResponse("ok")

    assert PIN_COOKIE not in _middleware_run(RequestFactory().get("/"), view).cookies


# End to end, data committed so the mirror's connection sees it.


@pytest.fixture
def committed_fleet(transactional_db):
    from tests.report_fleet import build_report_fleet

    build_report_fleet()


def replica_queries(callable_):
    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        result = callable_()
    return result, on_replica.captured_queries, on_primary.captured_queries


@pytest.mark.django_db(databases=BOTH, transaction=True)
def test_report_api_and_csv_read_the_replica_and_say_how_old_the_data_are(with_replica, committed_fleet, roles):
    from rest_framework.test import APIClient

    engineer = UserFactory(username="eng-replica", role="engineer")
    client = APIClient()
    client.force_authenticate(engineer)
    response, on_replica, on_primary = replica_queries(
        lambda: client.get("/api/v1/reports/failure-rates/", {"date_to": "2025-06-30"})
    )
    assert response.status_code == 200
    body = response.json()
    assert body["rows"] and body["freshness"]["read_from"] == "replica"
    assert body["freshness"]["replica_lag_seconds"] == 0  # the mirror is the primary itself
    assert response["X-Read-From"] == "replica" and response["X-Data-As-Of"] == body["freshness"]["data_as_of"]
    assert any("rma_device" in q["sql"] for q in on_replica)
    assert not any("rma_device" in q["sql"] for q in on_primary)  # the sign-in's reads only

    csv = client.get("/api/v1/reports/failure-rates.csv", {"date_to": "2025-06-30"})
    assert csv.status_code == 200 and csv["X-Read-From"] == "replica" and "X-Data-As-Of" in csv


@pytest.mark.django_db(databases=BOTH, transaction=True)
def test_report_page_reads_the_replica_and_shows_as_of(with_replica, committed_fleet, roles, client):
    client.force_login(UserFactory(username="eng-page", role="engineer"))
    response, on_replica, _ = replica_queries(lambda: client.get("/reports/no-fault-found/"))
    assert response.status_code == 200
    assert any("diagnostics_diagnosis" in q["sql"] for q in on_replica)
    html = response.content.decode()
    assert "Figures as of" in html and "read replica, 0.0 s behind" in html


@pytest.mark.django_db(databases=BOTH, transaction=True)
def test_admin_stays_on_the_primary(with_replica, committed_fleet, admin_client):
    response, on_replica, on_primary = replica_queries(lambda: admin_client.get("/admin/rma/device/"))
    assert response.status_code == 200
    assert on_replica == [] and on_primary


@pytest.mark.django_db(databases=BOTH, transaction=True)
def test_the_scan_counts_on_the_replica_and_writes_signals_on_the_primary(with_replica, committed_fleet):
    from diagnostics.detection import scan

    report, on_replica, on_primary = replica_queries(lambda: scan.detect_faults(as_of=dt.date(2025, 6, 30)))
    assert report.result.cells
    counting = [q["sql"] for q in on_replica]
    assert any("rma_device" in sql and "GROUP BY" in sql for sql in counting)
    assert not any(sql.startswith(("INSERT", "UPDATE", "DELETE")) for sql in counting)
    assert not any("rma_device" in q["sql"] and "GROUP BY" in q["sql"] for q in on_primary)


@pytest.mark.django_db(databases=BOTH, transaction=True)
def test_a_device_written_then_read_stays_on_the_primary(with_replica):
    # a service reading what it is about to change never goes to the replica: it opens no replica block
    device = DeviceFactory(serial_number="RW-1")
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        Device.objects.filter(pk=device.pk).update(lot="L9")
        assert Device.objects.get(pk=device.pk).lot == "L9"
    assert on_replica.captured_queries == []
