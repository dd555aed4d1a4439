"""List endpoints run a fixed number of queries, whatever the page size (SPEC §10)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from diagnostics.models import RootCauseCase
from diagnostics.services import goodwill_grant
from rma.models import RMA
from tests.factories import ComponentFactory, FailurePatternFactory, ProductModelFactory

pytestmark = pytest.mark.django_db

S = RMA.Status

# Per request: the token and its user, the user's permissions (two: own and groups'), then the
# count and the page; plus one per prefetched relation.
PINNED = {
    "/api/v1/devices/": 5,
    "/api/v1/rmas/": 5,
    "/api/v1/diagnoses/": 5,
    "/api/v1/failure-patterns/": 6,
    "/api/v1/rca-cases/": 5,
    "/api/v1/components/": 5,
}


@pytest.fixture
def fleet(build, battery, supervisor, engineer):
    """Seven of everything: more than a page of five."""
    model = ProductModelFactory(sku="PHN-1")
    for number in range(7):
        ComponentFactory(code=f"part-{number}")
        pattern = FailurePatternFactory(code=f"FP-{number + 1:04d}", component=battery)
        pattern.affected_models.add(model)
    for number in range(7):
        rma = build(S.DIAGNOSING, in_warranty=False, email=f"owner{number}@example.com")
        goodwill_grant(rma=rma, actor=supervisor, source="admin", reason="Unknown.", replacement_serial=f"GW-{number}")
    assert RootCauseCase.objects.count() == 7


@pytest.mark.parametrize("url", sorted(PINNED))
def test_list_queries_do_not_grow_with_the_page_size(api, engineer, fleet, url):
    counts = {}
    for page_size in (5, 50):
        client = api(engineer)
        with CaptureQueriesContext(connection) as queries:
            answer = client.get(url, {"page_size": page_size})
        assert answer.status_code == 200
        assert len(answer.json()["results"]) == min(page_size, answer.json()["count"])
        counts[page_size] = len(queries)

    assert answer.json()["count"] >= 7
    assert counts[5] == counts[50] == PINNED[url], [q["sql"] for q in queries.captured_queries]


def test_the_list_row_renders_as_drf_would(build, supervisor):
    """The RMA list writes its rows out by hand (speed); they must equal DRF's generic rendering."""
    from core.api.output import ModelOutput
    from rma import selectors
    from rma.api.serializers import RMASerializer
    from rma.models import RMA

    build(RMA.Status.SUBMITTED)
    build(RMA.Status.REPLACING)
    build(RMA.Status.CLOSED)
    rows = list(selectors.rma_list())

    fast = RMASerializer(rows, many=True).data
    generic = [ModelOutput.to_representation(RMASerializer(row), row) for row in rows]

    assert [dict(row) for row in fast] == [dict(row) for row in generic]
    assert any(row["replacement_serial"] for row in fast)
