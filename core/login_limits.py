"""Sign-in attempts limited per client address and per username, on the shared counter of ``core.ratelimit``.

Every attempt counts (a right password too), in fixed windows, so guessing a password from many
addresses is slowed by the per-username limit and from one address by the per-address limit,
whichever machine behind the proxy answers. Nobody is locked out for longer than one window.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from core import ratelimit
from core.http import client_ip


def login_attempt_hit(request: HttpRequest, username: str) -> ratelimit.Verdict:
    """Count one sign-in attempt for the client's address and for ``username``."""
    return ratelimit.hit_all(
        [
            ("login-ip", client_ip(request), ratelimit.Rate.parse(settings.RMA_LOGIN_RATE_PER_IP)),
            (
                "login-user",
                username.strip().lower(),
                ratelimit.Rate.parse(settings.RMA_LOGIN_RATE_PER_USERNAME),
            ),
        ]
    )


def login_refused(request: HttpRequest, verdict: ratelimit.Verdict) -> HttpResponse:
    minutes = max(1, -(-verdict.retry_after // 60))
    context = {**admin.site.each_context(request), "title": "Too many sign-in attempts", "minutes": minutes}
    response = TemplateResponse(request, "admin/login_limited.html", context, status=429)
    response.headers["Retry-After"] = str(verdict.retry_after)
    return response


def admin_login(request: HttpRequest, **kwargs) -> HttpResponse:
    """The admin's sign-in page, with attempts limited."""
    if request.method == "POST":
        verdict = login_attempt_hit(request, request.POST.get("username", ""))
        if not verdict.allowed:
            return login_refused(request, verdict)
    return admin.site.login(request, **kwargs)
