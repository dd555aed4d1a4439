"""Property-based tests of the API against its own OpenAPI schema (Schemathesis), as an engineer.

Every operation of ``/api/schema/`` gets generated requests; no answer may be a server error or
break the schema (status codes, content types, bodies). The number of examples is bounded so the
run stays around a minute.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from rma.models import RMA
from tests.api.conftest import token_key_for
from tests.factories import FailurePatternFactory

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def keep_test_connection():
    """Requests go straight to the WSGI handler: as Django's test client does, keep the request
    signals from closing the test's database connection (its transaction holds the test data)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def engineer_token(keep_test_connection, engineer, build, battery):
    """An engineer's token, and something real to find: a closed return, its device and a pattern."""
    build(RMA.Status.CLOSED)
    FailurePatternFactory(code="FP-0001", component=battery)
    return token_key_for(engineer)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_answers_within_its_schema(case, engineer_token):
    response = case.call(headers={"Authorization": f"Token {engineer_token}"})
    case.validate_response(response, checks=CHECKS)
