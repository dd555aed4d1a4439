"""An unexpected error shows a plain page: no traceback, settings, SQL, paths or exception text."""

import pytest
from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path

SECRET_DETAIL = "boom-7f3a internal detail: password=hunter2"


def raising_view(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    raise RuntimeError(SECRET_DETAIL)


def fine_view(request):
    return HttpResponse("fine")


urlpatterns = [
    path("explode/", raising_view),
    path("fine/", fine_view),
    path("", include("config.urls")),
]


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_the_500_page_shows_nothing_internal(settings):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    assert client.get("/fine/").status_code == 200
    response = client.get("/explode/", HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body
    for leak in (
        SECRET_DETAIL,
        "boom-7f3a",
        "RuntimeError",
        "Traceback",
        "SELECT",
        "raising_view",
        __file__,
        str(settings.BASE_DIR),
        settings.SECRET_KEY,
        "DJANGO_",
        "csrfmiddlewaretoken",
    ):
        assert leak not in body, leak


def test_the_500_page_needs_no_context_and_no_database():
    """Rendered by Django's handler with an empty context: it must not depend on a request or the database."""
    from django.template.loader import get_template

    template = get_template("500.html")
    source = template.template.source
    assert "{%" not in source and "{{" not in source  # no tags or variables at all
    assert template.render({}).count("<h1>") == 1
    assert settings.DEBUG is False
