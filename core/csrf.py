"""CSRF protection for pages that send no Referer.

The customers' pages answer with ``Referrer-Policy: no-referrer`` so that a secret status link
never leaks. Browsers then send ``Origin: null`` (and no Referer) with the forms those pages post,
which Django's origin check refuses. For these views the check rests on what cannot be forged
from another site: the CSRF token in the form, matched against the CSRF cookie (``SameSite=Lax``,
so another site's POST carries none). Any real origin other than our own is still refused.
"""

from __future__ import annotations

from django.middleware.csrf import CsrfViewMiddleware
from django.utils.decorators import decorator_from_middleware
from django.views.decorators.csrf import csrf_exempt


class NoReferrerCsrfViewMiddleware(CsrfViewMiddleware):
    def _origin_verified(self, request) -> bool:
        return request.META.get("HTTP_ORIGIN") == "null" or super()._origin_verified(request)  # type: ignore[misc]


_protect = decorator_from_middleware(NoReferrerCsrfViewMiddleware)


def csrf_protect_no_referrer(view):
    """``csrf_protect`` for a view whose pages send no Referer (replaces the site-wide check)."""
    wrapped = csrf_exempt(_protect(view))
    wrapped.csrf_protected_no_referrer = True  # type: ignore[attr-defined]  # tests/security/test_csrf_coverage.py
    return wrapped
