"""Every admin list page reads with a number of queries that does not grow with the page (SPEC §10).

The demo data fill every model; each registered admin's change list is then read as a superuser with
5 and with 50 rows to a page (and once with its search box used), and the query counts must match. A
model registered later is covered without a new row here.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diagnostics.models import Advisory
from tests.api.conftest import token_key_for
from tests.factories import ComponentFactory, FailurePatternFactory, ProductModelFactory, UserFactory

pytestmark = pytest.mark.django_db

REGISTERED = sorted(
    (f"{model._meta.app_label}.{model._meta.model_name}" for model in admin.site._registry),
)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Seeded once for the module: a small demo fleet with rows in every table."""
    with django_db_blocker.unblock():
        call_command("seed_demo", "--devices", "300", stdout=StringIO())
        _thicken()
        yield
        call_command("flush", "--noinput", stdout=StringIO())


def _thicken() -> None:
    """More rows where the demo has only a few, so that 5 and 50 rows a page differ."""
    for number in range(8):
        user = UserFactory(username=f"reader-{number}", role=("technician", "supervisor", "engineer")[number % 3])
        token_key_for(user)
    ProductModelFactory.create_batch(6)
    for component in ComponentFactory.create_batch(6):
        FailurePatternFactory.create_batch(2, component=component)
    advisory = Advisory.objects.first()
    for _ in range(7):
        advisory.pk = None
        advisory.save()
        advisory.affected_models.set(advisory.__class__.objects.first().affected_models.all())


@pytest.fixture
def superuser_client(client):
    user = get_user_model().objects.create_superuser("list-reader", "list-reader@example.com", "x")
    client.force_login(user)
    return client


def _model_admin(label: str):
    for model, model_admin in admin.site._registry.items():
        if f"{model._meta.app_label}.{model._meta.model_name}" == label:
            return model, model_admin
    raise LookupError(label)


def _queries_for(client, url: str, model_admin, per_page: int, monkeypatch) -> tuple[int, int]:
    monkeypatch.setattr(model_admin, "list_per_page", per_page)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    rows = response.context["cl"].result_count if response.context and "cl" in response.context else 0
    return len(queries), rows


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize("label", REGISTERED)
def test_the_change_list_reads_a_constant_number_of_queries(label, superuser_client, monkeypatch):
    model, model_admin = _model_admin(label)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")

    small, rows = _queries_for(superuser_client, url, model_admin, 5, monkeypatch)
    large, _ = _queries_for(superuser_client, url, model_admin, 50, monkeypatch)

    assert large == small, f"{label}: {small} queries for 5 rows a page, {large} for 50 ({rows} rows in all)"


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize("label", [label for label in REGISTERED if _model_admin(label)[1].search_fields])
def test_a_search_reads_a_constant_number_of_queries(label, superuser_client, monkeypatch):
    model, model_admin = _model_admin(label)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist") + "?q=a"

    small, _ = _queries_for(superuser_client, url, model_admin, 5, monkeypatch)
    large, _ = _queries_for(superuser_client, url, model_admin, 50, monkeypatch)

    assert large == small, f"{label}: {small} queries for 5 rows a page, {large} for 50"
