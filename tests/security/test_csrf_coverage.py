"""No URL of the project escapes CSRF protection.

Every view is either under the site-wide CsrfViewMiddleware, or one of the customers' no-referrer
views (their own token check, ``core.csrf``), or a REST framework view, whose session
authentication enforces the token itself (token-authenticated calls carry no cookie to ride on).
The behaviour is tested form by form in tests/customers/test_csrf.py and the tests below.
"""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from rma.models import RMA

pytestmark = pytest.mark.django_db


def patterns(resolver: URLResolver, prefix: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def is_rest_framework_view(callback) -> bool:
    from rest_framework.views import APIView

    view_class = getattr(callback, "cls", None)
    return isinstance(view_class, type) and issubclass(view_class, APIView)


def test_every_url_is_protected():
    exempt = []
    for route, callback in patterns(get_resolver()):
        if not getattr(callback, "csrf_exempt", False):
            continue
        if getattr(callback, "csrf_protected_no_referrer", False) or is_rest_framework_view(callback):
            continue
        exempt.append(route)
    # the language switcher sets a preference only (rma.views.language_choose says why it takes no token)
    assert exempt == ["language/"]


def test_rest_framework_sessions_enforce_csrf():
    from rest_framework.authentication import SessionAuthentication
    from rest_framework.settings import api_settings

    session_classes = [c for c in api_settings.DEFAULT_AUTHENTICATION_CLASSES if issubclass(c, SessionAuthentication)]
    assert all(c.enforce_csrf is SessionAuthentication.enforce_csrf for c in session_classes)
    assert "django.middleware.csrf.CsrfViewMiddleware" in settings.MIDDLEWARE


def token_from(client, url):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get(url).content.decode()).group(1)


def test_admin_changes_and_lifecycle_buttons_need_the_token(build, technician):
    rma = build(RMA.Status.SUBMITTED, diagnosed=False)
    client = Client(enforce_csrf_checks=True)
    client.force_login(technician)
    authorize = reverse("admin:rma_rma_act", args=[rma.pk, "authorize"])
    change = reverse("admin:rma_rma_change", args=[rma.pk])
    for url, data in [(authorize, {"instructions": ""}), (change, {"fault_description": "changed"})]:
        assert client.post(url, data).status_code == 403
    rma.refresh_from_db()
    assert rma.status == RMA.Status.SUBMITTED
    token = token_from(client, authorize)
    assert client.post(authorize, {"instructions": "", "csrfmiddlewaretoken": token}).status_code == 302
    rma.refresh_from_db()
    assert rma.status == RMA.Status.AUTHORIZED
