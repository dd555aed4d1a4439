"""The OpenAPI schema is generated without warnings, and its docs load without any CDN."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command


def test_schema_generates_and_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    # --fail-on-warn turns any warning of drf-spectacular into an error; --validate checks OpenAPI 3.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "/api/v1/rmas/{number}/grant-goodwill/:" in text
    assert "/api/v1/failure-patterns/{code}/root-cause/:" in text


@pytest.mark.django_db
def test_schema_and_docs_are_served_from_this_site(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert schema.json()["openapi"].startswith("3.")
    assert "Error" in schema.json()["components"]["schemas"]
    assert docs.status_code == 200
    html = docs.content.decode()
    external = [url for url in re.findall(r"""(?:src|href|url)\s*[=:]\s*["']([^"']+)""", html) if "//" in url]
    assert external == [], external
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
