"""Failed sign-ins limited per client address, per username at one address, and per username overall.

Only failures count (``core.ratelimit.attempt_start``: a right password gives its count back), so
signing in often never locks anyone out. The limits, in fixed windows (settings ``RMA_LOGIN_RATE_*``):

- per username *and* client address (10 per 15 minutes): guessing one account from one address
  stops there, and a stranger failing on purpose blocks only their own address, not the real user's;
- per client address, any username (30 per 15 minutes): one address trying many accounts;
- per username overall (100 per hour), a slower, higher ceiling against guessing from many
  addresses; one address alone cannot reach it (it adds at most 40 an hour), a crowd of them can,
  and then the account waits for the hour to end.

The username is counted as the sign-in matches it: ``AuthenticationForm`` applies NFKC (a
full-width or ligature variant is the same name) and ``ModelBackend`` then matches it exactly,
case included, so "Alice" and "alice" are two accounts and two counters.
"""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from core import ratelimit
from core.http import client_ip


def username_normalise(username: str) -> str:
    """The name the sign-in looks up: trimmed and NFKC-normalised (``UsernameField``), case kept."""
    return unicodedata.normalize("NFKC", username.strip()).strip()


def login_attempt_start(request: HttpRequest, username: str) -> ratelimit.Attempt:
    """Count one sign-in attempt; call ``succeeded()`` on the result when the password was right."""
    return ratelimit.guess_attempt_start(
        "login",
        username_normalise(username),
        client_ip(request),
        per_identity_and_address=settings.RMA_LOGIN_RATE_PER_USERNAME_AND_IP,
        per_address=settings.RMA_LOGIN_RATE_PER_IP,
        per_identity=settings.RMA_LOGIN_RATE_PER_USERNAME,
    )


def login_refused(request: HttpRequest, verdict: ratelimit.Verdict) -> HttpResponse:
    minutes = max(1, -(-verdict.retry_after // 60))
    context = {**admin.site.each_context(request), "title": "Too many sign-in attempts", "minutes": minutes}
    response = TemplateResponse(request, "admin/login_limited.html", context, status=429)
    response.headers["Retry-After"] = str(verdict.retry_after)
    return response


def admin_login(request: HttpRequest, **kwargs) -> HttpResponse:
    """The admin's sign-in page, with failed attempts limited."""
    if request.method != "POST":
        return admin.site.login(request, **kwargs)
    attempt = login_attempt_start(request, request.POST.get("username", ""))
    if not attempt.allowed:
        return login_refused(request, attempt.verdict)
    response = admin.site.login(request, **kwargs)
    if response.status_code == 302 and request.user.is_authenticated:
        attempt.succeeded()
    return response
