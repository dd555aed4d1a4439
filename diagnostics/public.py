"""The customers' service-programme pages (SPEC §11): the active programmes, and a checker by serial.

They say which programmes cover a unit and until when, and nothing else: not whether the serial was
sold, to whom, or whether it has been returned. The checker is rate limited per address like the
return look-up.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from core import ratelimit
from core.http import client_ip
from diagnostics import programmes
from diagnostics.forms import ProgrammeCheckForm
from diagnostics.models import Programme
from rma.views import public_page, too_many


@public_page
@require_http_methods(["GET", "HEAD"])
def programme_list(request: HttpRequest) -> HttpResponse:
    active = (
        Programme.objects.filter(status=Programme.Status.ACTIVE).prefetch_related("product_models").order_by("code")
    )
    rows = [{"programme": programme, "text": programmes.programme_public_text(programme)} for programme in active]
    return render(request, "diagnostics/programmes/list.html", {"rows": rows, "form": ProgrammeCheckForm()})


@public_page
@require_http_methods(["GET", "HEAD"])
def programme_check(request: HttpRequest) -> HttpResponse:
    """``?serial_number=``: the programmes covering the unit, or that none does (an unknown serial too)."""
    if "serial_number" not in request.GET:
        return render(request, "diagnostics/programmes/check.html", {"form": ProgrammeCheckForm()})
    form = ProgrammeCheckForm(request.GET)
    if not form.is_valid():
        return render(request, "diagnostics/programmes/check.html", {"form": form}, status=400)
    verdict = ratelimit.hit(
        "programme-check-ip", client_ip(request), ratelimit.Rate.parse(settings.PROGRAMME_CHECK_RATE_PER_IP)
    )
    if not verdict.allowed:
        return too_many(request, verdict)
    serial, found = programmes.eligibility_by_serial(form.cleaned_data["serial_number"])
    results = [
        {
            "programme": item.programme,
            "covered_until": item.covered_until,
            "text": programmes.programme_public_text(item.programme, item.covered_until),
        }
        for item in found
    ]
    context = {"form": ProgrammeCheckForm(initial={"serial_number": serial}), "checked": serial, "results": results}
    return render(request, "diagnostics/programmes/check.html", context)
