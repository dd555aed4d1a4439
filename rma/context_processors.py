"""What every page's template needs."""

from django.conf import settings
from django.http import HttpRequest


def languages(request: HttpRequest) -> dict:
    """The switcher's languages, each named in itself (``settings.LANGUAGES`` untranslated: a French
    reader looking for Arabic finds "العربية", not "Arabe")."""
    return {"LANGUAGE_CHOICES": settings.LANGUAGES}
