"""Which language a customer is spoken to in (SPEC §14): one of ``settings.LANGUAGES``.

Their saved choice (``Customer.language``: stored when they start a return or pick a language on
their return's page), else what their browser asks for (``Accept-Language``, through Django's
``LocaleMiddleware``), else the site's own language. E-mails follow the saved choice.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

from rma.models import Customer


def language_supported(code: str) -> str:
    """``code`` as one of LANGUAGES (``pt-BR`` → ``pt-br``, ``fr-CA`` → ``fr``), or "" if none fits."""
    if not code:
        return ""
    try:
        return translation.get_supported_language_variant(code.strip().lower())
    except LookupError:
        return ""


def customer_language(customer: Customer | None) -> str:
    """The language to speak to ``customer`` in when they are not in front of us (e-mails)."""
    return (customer and language_supported(customer.language)) or settings.LANGUAGE_CODE


def language_direction(code: str) -> str:
    return "rtl" if translation.get_language_info(code)["bidi"] else "ltr"
