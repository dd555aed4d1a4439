"""The customers' pages (SPEC §8): start a return, look it up, follow it by its secret link.

Views check the shape of what was typed, call a service or a selector, and render. Every page
answers with ``Referrer-Policy: no-referrer`` and is never cached, since it may carry a secret link
or personal details.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core import ratelimit
from core.csrf import csrf_protect_no_referrer
from core.exceptions import DomainError, InvalidInput
from core.http import client_ip
from rma import forms, notices, public, selectors, services, status_links
from rma.languages import language_supported
from rma.models import RMA, Source
from rma.normalise import normalise_email


def public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
        add_never_cache_headers(response)
        return response

    return wrapper


def see_other(url: str) -> HttpResponse:
    """A redirect after a POST that the browser follows with a GET (and never re-POSTs)."""
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def to_status_page(request: HttpRequest, rma: RMA, *, acknowledge: bool = False) -> HttpResponse:
    """Issue a fresh secret link and go there; ``acknowledge`` shows the thank-you banner on arrival."""
    if acknowledge:
        request.session["rma_acknowledged"] = rma.number
    return see_other(status_links.status_path(status_links.status_link_issue(rma=rma)))


def too_many(request: HttpRequest, verdict: ratelimit.Verdict) -> HttpResponse:
    minutes = max(1, -(-verdict.retry_after // 60))
    response = render(request, "rma/too_many.html", {"minutes": minutes}, status=429)
    response.headers["Retry-After"] = str(verdict.retry_after)
    return response


@public_page
@require_http_methods(["GET", "HEAD"])
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "rma/home.html", {"lookup_form": forms.ReturnLookupForm()})


# An unknown serial and a unit never sold get the same answer, so the form tells nobody what was sold.
SERIAL_NOT_FOUND = (
    "serial_number",
    gettext_lazy(
        "We cannot find this serial number. Please check it against the label on your device: "
        "0 (zero) and O, or 1 and I, are easy to mix up."
    ),
)
START_ERRORS = {
    "unknown_serial": SERIAL_NOT_FOUND,
    "device_not_in_service": SERIAL_NOT_FOUND,
    "invalid_serial": (
        "serial_number",
        gettext_lazy(
            "This serial number has a character that serial numbers do not use: serial numbers use only the "
            "letters A–Z, digits and - _ . /. Please type it as it is on the label of your device."
        ),
    ),
    "serial_required": ("serial_number", gettext_lazy("Please enter your device's serial number.")),
    "email_required": ("email", gettext_lazy("Please enter your e-mail address.")),
    "fault_description_required": (
        "fault_description",
        gettext_lazy("Please describe the fault, even in a few words."),
    ),
}
START_FAILED = gettext_lazy("We could not start this return. Please check what you typed and try again.")


@csrf_protect_no_referrer
@public_page
@require_http_methods(["GET", "HEAD", "POST"])
def return_new(request: HttpRequest) -> HttpResponse:
    open_return = False
    if request.method == "POST":
        verdict = ratelimit.hit("start-ip", client_ip(request), ratelimit.Rate.parse(settings.RMA_START_RATE_PER_IP))
        if not verdict.allowed:
            return too_many(request, verdict)
        form = forms.ReturnStartForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                rma = services.rma_create(
                    serial_number=data["serial_number"],
                    customer_email=data["email"],
                    customer_name=data["name"],
                    fault_description=data["fault_description"],
                    channel=RMA.Channel.WEB,
                    actor=None,
                    source=Source.PAGE,
                    idempotency_key=data["submission_id"],
                    language=translation.get_language(),
                )
            except DomainError as error:
                field, message = START_ERRORS.get(error.code, (None, START_FAILED))
                if error.code == "open_rma_exists":
                    open_return = True
                elif field in form.fields:
                    form.add_error(field, message)
                else:
                    form.add_error(None, message)
            else:
                return to_status_page(request, rma, acknowledge=True)
    else:
        form = forms.ReturnStartForm(initial={"submission_id": secrets.token_urlsafe(24)})
    return render(request, "rma/start.html", {"form": form, "open_return": open_return})


def _same_secret(typed: str, expected: str) -> bool:
    """Constant-time comparison of two e-mail addresses (hashed, so lengths never show)."""
    return hmac.compare_digest(
        hashlib.sha256(typed.encode("utf-8", "surrogatepass")).digest(),
        hashlib.sha256(expected.encode("utf-8", "surrogatepass")).digest(),
    )


def lookup_attempt_start(request: HttpRequest, number: str) -> ratelimit.Attempt:
    """Count a look-up; only failed ones stay counted (``core.ratelimit.attempt_start``).

    Per address and RMA number together, so a stranger who knows the number and fails on purpose
    blocks only their own address; per address, whatever the number; and per number from every
    address, a higher ceiling against guessing the e-mail from many addresses.
    """
    return ratelimit.guess_attempt_start(
        "lookup",
        number,
        client_ip(request),
        per_identity_and_address=settings.RMA_LOOKUP_RATE_PER_NUMBER_AND_IP,
        per_address=settings.RMA_LOOKUP_RATE_PER_IP,
        per_identity=settings.RMA_LOOKUP_RATE_PER_NUMBER,
    )


@csrf_protect_no_referrer
@public_page
@require_http_methods(["GET", "HEAD", "POST"])
def return_status(request: HttpRequest) -> HttpResponse:
    """Look a return up by number and e-mail.

    A wrong number, a wrong e-mail and another customer's e-mail do the same work (one indexed query,
    one constant-time comparison) and get the same page, byte for byte apart from the CSRF token.
    """
    not_found = False
    if request.method == "POST":
        form = forms.ReturnLookupForm(request.POST)
        if form.is_valid():
            number = form.cleaned_data["rma_number"].strip().upper()
            attempt = lookup_attempt_start(request, number)
            if not attempt.allowed:
                return too_many(request, attempt.verdict)
            rma_id, expected = selectors.rma_lookup_key(number)
            matches = _same_secret(normalise_email(form.cleaned_data["email"]), expected)
            if matches and expected and rma_id is not None:
                attempt.succeeded()
                return to_status_page(request, selectors.rma_list().get(pk=rma_id))
            not_found = True
            form = forms.ReturnLookupForm()  # what was typed is not repeated back
    else:
        form = forms.ReturnLookupForm()
    return render(request, "rma/lookup.html", {"form": form, "not_found": not_found})


NOT_A_PROOF = gettext_lazy("Please send a photo (JPEG or PNG) or a PDF of your receipt or invoice.")
TRACK_ERRORS = {
    "open_rma_exists": gettext_lazy(
        "This device already has a return open, so we have not opened another. "
        "Follow it with the link in our e-mails about it."
    ),
    "attachment_empty": gettext_lazy("The file is empty. Please choose the file of your receipt or invoice."),
    "attachment_type_not_allowed": NOT_A_PROOF,
    "attachment_type_mismatch": NOT_A_PROOF,
    "attachment_markup": NOT_A_PROOF,
    "attachment_image_invalid": gettext_lazy(
        "We could not open this picture. Please send another photo (JPEG or PNG) or a PDF."
    ),
    "attachment_image_too_large": gettext_lazy(
        "This picture is too large for us. Please send a smaller photo, or a PDF."
    ),
    "proof_not_needed": gettext_lazy("We do not need a proof of purchase for this return."),
    "follow_up_answered": gettext_lazy("Thank you, you have already answered."),
    "no_pending_quote": gettext_lazy("This quote has already been answered."),
}


def track_error(refused: DomainError) -> str:
    """What a customer reads when their return's page refuses what they sent, in their language."""
    if refused.code == "attachment_too_large":
        megabytes = settings.RMA_PROOF_MAX_BYTES // 1_048_576
        return ngettext(
            "The file is too large: we accept files of up to %(count)s MB.",
            "The file is too large: we accept files of up to %(count)s MB.",
            megabytes,
        ) % {"count": megabytes}
    if refused.code == "proof_limit_reached":
        files = settings.RMA_PROOF_MAX_FILES
        return ngettext(
            "We already have %(count)s file for this return, which is as many as we keep. "
            "We will look at it within one working day.",
            "We already have %(count)s files for this return, which is as many as we keep. "
            "We will look at them within one working day.",
            files,
        ) % {"count": files}
    if refused.code in TRACK_ERRORS:
        return str(TRACK_ERRORS[refused.code])
    return gettext("Something changed on this return in the meantime. Please look at the page again.")


@csrf_protect_no_referrer
@public_page
@require_http_methods(["GET", "HEAD", "POST"])
def return_track(request: HttpRequest, token: str) -> HttpResponse:
    cache_key = _status_page_cache_key(request, token)
    if cache_key is not None:
        cached = caches["status_pages"].get(cache_key)
        if cached is not None:
            return HttpResponse(cached)
    rma = status_links.rma_by_status_token(token)
    if rma is None:
        return render(request, "rma/link_invalid.html", {"lookup_form": forms.ReturnLookupForm()}, status=404)
    speak_customer_language(request, rma)
    error = ""
    status = 200
    follow_up_form = forms.FollowUpAnswerForm()
    if request.method == "POST":
        try:
            if request.POST.get("form") == "proof":
                proof_form = forms.ProofOfPurchaseForm(request.POST, request.FILES)
                if proof_form.is_valid():
                    services.proof_of_purchase_add(rma=rma, file=proof_form.cleaned_data["file"])
                    return see_other(request.path)
                error, status = str(proof_form.errors["file"][0]), 400
            elif request.POST.get("form") == "quote":
                quote_form = forms.QuoteAnswerForm(request.POST)
                if quote_form.is_valid():
                    accept = quote_form.cleaned_data["answer"] == "accept"
                    answer = services.rma_accept_quote if accept else services.rma_decline_quote
                    answer(rma=rma, actor=None, source=Source.PAGE)
                    return see_other(request.path)
                error = gettext("Please choose whether to accept the quote.")
            else:
                follow_up_form = forms.FollowUpAnswerForm(request.POST)
                if follow_up_form.is_valid():
                    follow_up = services.follow_up_answer(
                        rma=rma,
                        answer=follow_up_form.cleaned_data["answer"],
                        description=follow_up_form.cleaned_data["description"],
                    )
                    if follow_up.repeat_rma is not None:
                        return to_status_page(request, follow_up.repeat_rma, acknowledge=True)
                    return see_other(request.path)
                error = gettext("Please tell us whether your device is working.")
        except DomainError as refused:
            error = track_error(refused)
            status = 400 if isinstance(refused, InvalidInput) else 409
            rma.refresh_from_db()
    response = render(
        request,
        "rma/status.html",
        status_page_context(request, rma, error=error, follow_up_form=follow_up_form),
        status=status,
    )
    if cache_key is not None and status == 200:
        caches["status_pages"].set(cache_key, response.content, settings.RMA_STATUS_PAGE_CACHE_SECONDS)
    return response


# Pages with a form (the follow-up question, a quote to answer) carry a per-visitor CSRF token.
STATUSES_WITH_FORMS = (RMA.Status.CLOSED, RMA.Status.AWAITING_CUSTOMER)


def _status_page_cache_key(request: HttpRequest, token: str) -> str | None:
    """Where a status page is kept, rendered, until its return changes; None when it must be rendered now.

    Only plain views of a page without a form, for a visitor without the thank-you banner, are kept
    (in the process's memory, the ``status_pages`` cache). The key is made of the link, the return's
    version (``status_links.status_page_version``: one indexed query, which also refuses a dead
    link) and the day; a kept page expires after ``RMA_STATUS_PAGE_CACHE_SECONDS`` whatever happens.
    """
    if not settings.RMA_STATUS_PAGE_CACHE_SECONDS or request.method not in ("GET", "HEAD"):
        return None
    if request.session.get("rma_acknowledged"):
        return None
    found = status_links.status_page_version(token)
    if found is None:
        return None
    status, ownership, version = found
    if status in STATUSES_WITH_FORMS or ownership == RMA.Ownership.TO_CONFIRM:  # a proof of purchase to upload
        return None
    today = timezone.localdate().isoformat()  # "by" dates and lateness are counted from today
    # The page's language: the customer's saved one (part of the version), else the visitor's.
    language = translation.get_language()
    return "status-page:" + hashlib.sha256(f"{token}|{version}|{today}|{language}".encode()).hexdigest()


def speak_customer_language(request: HttpRequest, rma: RMA) -> None:
    """A return's page is in its customer's saved language, whatever the browser asks for (SPEC §14)."""
    language = language_supported(rma.customer.language) if rma.customer is not None else ""
    if language:
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]


@csrf_exempt
@public_page
@require_http_methods(["POST"])
def language_choose(request: HttpRequest) -> HttpResponse:
    """The language switcher: remember the choice in a cookie, and on a return's page save it as its
    customer's language (their e-mails follow it); then back to the page it was chosen on.

    Without a CSRF token, so that a status page kept rendered for its link (``_status_page_cache_key``)
    never carries another visitor's token: another site can at most change a visitor's language
    cookie, and saving a customer's language needs the return's secret link, which already opens
    everything on its page.
    """
    language = language_supported(request.POST.get("language", ""))
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=False):
        next_url = ""
    next_url = next_url if next_url.startswith("/") else "/"
    response = see_other(next_url)
    if not language:
        return response
    try:
        match = resolve(next_url.split("?", 1)[0])
    except Resolver404:
        match = None
    if match is not None and match.view_name == "rma:track":
        rma = status_links.rma_by_status_token(match.kwargs["token"])
        if rma is not None and rma.customer is not None:
            services.customer_language_set(customer=rma.customer, language=language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,  # type: ignore[arg-type]  # "Lax" in the settings
    )
    return response


def status_page_context(request: HttpRequest, rma: RMA, **extra) -> dict:
    # a follow-up exists only once a return is closed
    follow_up = selectors.follow_up_of(rma) if rma.status == RMA.Status.CLOSED else None
    compensation = selectors.compensation_of(rma)
    follow_up_unit = public.follow_up_unit(rma) if rma.status == RMA.Status.CLOSED else None
    proof_wanted = rma.ownership == RMA.Ownership.TO_CONFIRM and rma.status == RMA.Status.SUBMITTED
    return {
        "rma": rma,
        "device": rma.device,
        "acknowledged": request.session.get("rma_acknowledged") == rma.number,
        "page_url": request.build_absolute_uri(request.path),
        "sentence": public.status_sentence(rma),
        "steps": public.progress_steps(rma),
        "outcome": public.expected_outcome(rma),
        "warranty_position": public.warranty_position(rma),
        "compensation": public.compensation_sentence(compensation),
        "notices": notices.notices_for(rma) if rma.shows_unit_details else [],
        "timeline": [
            {"at": event.created_at, "message": public.event_message(event)}
            for event in selectors.rma_customer_timeline(rma).order_by("-created_at", "-id")
        ],
        "follow_up": follow_up,
        "follow_up_unit": follow_up_unit,
        "ask_follow_up": follow_up_unit is not None and not (follow_up and follow_up.answer),
        "quote_pending": rma.status == RMA.Status.AWAITING_CUSTOMER and rma.quote_status == RMA.QuoteStatus.PENDING,
        "proof_wanted": proof_wanted,
        "proofs": list(selectors.proofs_of(rma)) if proof_wanted else [],
        "proof_form": forms.ProofOfPurchaseForm(),
        **extra,
    }
