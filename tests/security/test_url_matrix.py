"""Every URL the site answers × every role: who gets in (SPEC §2, permissions on every path).

The test walks the URL resolver, so a new URL without a row here fails ``test_every_url_has_a_row``.
Admin pages of a registered model need no row: what each role may do there follows from the model's
permissions in ``diagnostics.roles.ROLE_PERMISSIONS``, so a newly registered model is covered at once.
Everything else (public pages, the admin's own pages, the API, the schema and docs, the reports) is
an explicit row below.

Outcomes: ``ok`` (let in: any answer but the ones below), ``login`` (redirected to the admin login),
``401`` (with ``WWW-Authenticate``), ``403``, ``404``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from core.models import ApiToken, WebhookDelivery, WebhookEndpoint
from diagnostics import services as diagnostics_services
from diagnostics.advisories import advisory_create
from diagnostics.models import FaultSignal, Reimbursement, RootCauseCase
from diagnostics.programmes import programme_create
from diagnostics.roles import ROLE_PERMISSIONS
from rma.models import RMA, Compensation, GoodwillGrant, OutboxMessage, Source
from rma.status_links import status_link_issue
from tests.api.conftest import token_key_for
from tests.factories import FailurePatternFactory, UserFactory
from tests.helpers import perform

pytestmark = pytest.mark.django_db

S = RMA.Status
ROLES = ["anonymous", "no_role", "technician", "supervisor", "engineer"]
STAFF_ROLES = ("technician", "supervisor", "engineer")


# The explicit table ---------------------------------------------------------------------------------


def everyone() -> dict[str, str]:
    return dict.fromkeys(ROLES, "ok")


def api(*allowed: str) -> dict[str, str]:
    """An API endpoint: 401 without credentials, 403 for a role not allowed."""
    return {role: "401" if role == "anonymous" else ("ok" if role in allowed else "403") for role in ROLES}


def staff_page(*allowed: str, others: str = "403") -> dict[str, str]:
    """A page behind the staff login: anonymous visitors are sent to log in."""
    return {role: "login" if role == "anonymous" else ("ok" if role in allowed else others) for role in ROLES}


ALL_STAFF = STAFF_ROLES
PROCESSORS = ("technician", "supervisor")

# (route as the resolver spells it, HTTP method) → role → outcome.
EXPLICIT: dict[tuple[str, str], dict[str, str]] = {
    # Customers' pages: open to everyone (a bad secret link is a 404, a good one the status page).
    ("", "GET"): everyone(),
    ("returns/new/", "GET"): everyone(),
    ("returns/status/", "GET"): everyone(),
    ("returns/track/<str:token>/", "GET"): everyone(),
    ("language/", "POST"): everyone(),  # the language switcher: a preference, then back
    ("programmes/", "GET"): everyone(),
    ("programmes/check/", "GET"): everyone(),
    # Operations: the process runs, and what it needs answers (no customer data).
    ("healthz", "GET"): everyone(),
    ("readyz", "GET"): everyone(),
    # Prometheus metrics: staff (or a scraper's address in METRICS_ALLOWED_IPS), nobody else.
    ("metrics", "GET"): {role: "403" if role == "anonymous" else "ok" for role in ROLES},
    # The admin's own pages.
    ("admin/", "GET"): staff_page(*ROLES),  # a member of staff without a role sees an empty index
    ("admin/login/", "GET"): everyone(),
    ("admin/logout/", "POST"): everyone(),
    ("admin/password_change/", "GET"): staff_page(*ROLES),
    ("admin/password_change/done/", "GET"): staff_page(*ROLES),
    ("admin/jsi18n/", "GET"): staff_page(*ROLES),
    # Autocomplete answers only for a field of a model the user may view; none is named here.
    ("admin/autocomplete/", "GET"): staff_page(others="403"),
    ("admin/r/<path:content_type_id>/<path:object_id>/", "GET"): staff_page(others="404"),  # no public URLs
    ("admin/^(?P<app_label>auth|core|rma|diagnostics)/$", "GET"): staff_page(*ALL_STAFF, others="404"),
    ("admin/(?P<url>.*)$", "GET"): staff_page(others="404"),
    ("admin/auth/user/<id>/password/", "GET"): staff_page(),  # superusers only
    # An action's form is shown to the roles its declaration allows (core.actions); a POST from another
    # role is refused with the reason (tests/rma/test_permissions.py).
    ("admin/rma/rma/<path:object_id>/act/<str:action_name>/", "GET"): staff_page(*PROCESSORS),
    # The stock picker's answer: in-stock units of the return's model, for staff who read returns and units.
    ("admin/rma/rma/<path:object_id>/stock/", "GET"): staff_page(*ALL_STAFF),
    ("admin/diagnostics/failurepattern/<path:object_id>/act/<str:action_name>/", "GET"): staff_page("engineer"),
    ("admin/diagnostics/rootcausecase/<path:object_id>/act/<str:action_name>/", "GET"): staff_page("engineer"),
    ("admin/diagnostics/advisory/<path:object_id>/act/<str:action_name>/", "GET"): staff_page("engineer"),
    ("admin/diagnostics/faultsignal/<path:object_id>/act/<str:action_name>/", "GET"): staff_page("engineer"),
    # The units and returns behind a signal: for every role that sees signals.
    ("admin/diagnostics/faultsignal/<path:object_id>/failures/", "GET"): staff_page(*ALL_STAFF),
    ("admin/diagnostics/diagnosis/<path:object_id>/act/<str:action_name>/", "GET"): staff_page(*PROCESSORS),
    ("admin/diagnostics/programme/<path:object_id>/act/<str:action_name>/", "GET"): staff_page("engineer"),
    ("admin/diagnostics/reimbursement/<path:object_id>/act/<str:action_name>/", "GET"): staff_page("supervisor"),
    # Photos and logs: downloads for staff who may view them, never rendered by the browser.
    ("staff/attachments/<str:kind>/<int:pk>/", "GET"): staff_page(*ALL_STAFF),
    # The API.
    ("api/v1/auth/token/", "POST"): everyone(),
    # Anyone signed in lists their own tokens and revokes their own (the world's token is the technician's).
    ("api/v1/auth/tokens/", "GET"): api(*ROLES),
    ("api/v1/auth/tokens/<int:id>/revoke/", "POST"): {
        **api(*ROLES),
        "no_role": "404",
        "supervisor": "404",
        "engineer": "404",
    },
    # Webhook endpoints: core.manage_webhooks (supervisors).
    ("api/v1/^webhook-endpoints/$", "GET"): api("supervisor"),
    ("api/v1/^webhook-endpoints/$", "POST"): api("supervisor"),
    ("api/v1/^webhook-endpoints/(?P<pk>[0-9]+)/$", "GET"): api("supervisor"),
    ("api/v1/^webhook-endpoints/(?P<pk>[0-9]+)/$", "PATCH"): api("supervisor"),
    ("api/v1/^devices/$", "GET"): api(*ALL_STAFF),
    ("api/v1/^devices/$", "POST"): api(*PROCESSORS),
    ("api/v1/^devices/(?P<serial_number>[^/\\x00]+)/$", "GET"): api(*ALL_STAFF),
    ("api/v1/^rmas/$", "GET"): api(*ALL_STAFF),
    ("api/v1/^rmas/$", "POST"): api(*PROCESSORS),
    ("api/v1/^rmas/(?P<number>[^/\\x00]+)/$", "GET"): api(*ALL_STAFF),
    **{
        (f"api/v1/^rmas/(?P<number>[^/\\x00]+)/{step}/$", "POST"): api(*PROCESSORS)
        for step in (
            "confirm-ownership",
            "authorize",
            "cancel",
            "receive",
            "diagnose",
            "quote",
            "repair",
            "replace",
            "ship",
            "close",
        )
    },
    ("api/v1/^rmas/(?P<number>[^/\\x00]+)/reject/$", "POST"): api("supervisor"),
    ("api/v1/^rmas/(?P<number>[^/\\x00]+)/refuse-ownership/$", "POST"): api("supervisor"),
    ("api/v1/^rmas/(?P<number>[^/\\x00]+)/grant-goodwill/$", "POST"): api("supervisor"),
    **{
        (f"api/v1/^rmas/(?P<number>[^/\\x00]+)/{step}/$", "POST"): api("supervisor")
        for step in ("accept-quote", "decline-quote", "refund")
    },
    ("api/v1/^diagnoses/$", "GET"): api(*ALL_STAFF),
    ("api/v1/^diagnoses/(?P<pk>[^/\\x00]+)/$", "GET"): api(*ALL_STAFF),
    ("api/v1/^failure-patterns/$", "GET"): api(*ALL_STAFF),
    ("api/v1/^failure-patterns/$", "POST"): api("engineer"),
    ("api/v1/^failure-patterns/(?P<code>[^/\\x00]+)/$", "GET"): api(*ALL_STAFF),
    ("api/v1/^failure-patterns/(?P<code>[^/\\x00]+)/$", "PATCH"): api("engineer"),
    **{
        (f"api/v1/^failure-patterns/(?P<code>[^/\\x00]+)/{step}/$", "POST"): api("engineer")
        for step in ("investigate", "root-cause", "start-corrective-action", "verify", "close", "dismiss", "reopen")
    },
    ("api/v1/^rca-cases/$", "GET"): api(*ALL_STAFF),
    ("api/v1/^rca-cases/(?P<pk>[^/\\x00]+)/$", "GET"): api(*ALL_STAFF),
    **{
        (f"api/v1/^rca-cases/(?P<pk>[^/\\x00]+)/{step}/$", "POST"): api("engineer")
        for step in ("assign", "add-findings", "close")
    },
    ("api/v1/^fault-signals/$", "GET"): api(*ALL_STAFF),
    ("api/v1/^fault-signals/(?P<pk>[^/\\x00]+)/$", "GET"): api(*ALL_STAFF),
    ("api/v1/^fault-signals/(?P<pk>[^/\\x00]+)/failures/$", "GET"): api(*ALL_STAFF),
    **{
        (f"api/v1/^fault-signals/(?P<pk>[^/\\x00]+)/{step}/$", "POST"): api("engineer")
        for step in ("acknowledge", "link", "dismiss")
    },
    ("api/v1/^programmes/$", "GET"): api(*ALL_STAFF),
    ("api/v1/^programmes/$", "POST"): api("engineer"),
    ("api/v1/^programmes/eligibility/$", "GET"): api(*ALL_STAFF),
    ("api/v1/^programmes/(?P<code>[^/\\x00]+)/$", "GET"): api(*ALL_STAFF),
    ("api/v1/^programmes/(?P<code>[^/\\x00]+)/$", "PATCH"): api("engineer"),
    ("api/v1/^programmes/(?P<code>[^/\\x00]+)/progress/$", "GET"): api(*ALL_STAFF),
    **{
        (f"api/v1/^programmes/(?P<code>[^/\\x00]+)/{step}/$", "POST"): api("engineer") for step in ("activate", "close")
    },
    ("api/v1/^components/$", "GET"): api(*ALL_STAFF),
    ("api/v1/^components/$", "POST"): api("engineer"),
    ("api/v1/^components/(?P<code>[^/\\x00]+)/$", "GET"): api(*ALL_STAFF),
    ("api/v1/^components/(?P<code>[^/\\x00]+)/$", "PATCH"): api("engineer"),
    **{
        (f"api/v1/reports/{name}{suffix}", "GET"): api(*ALL_STAFF)
        for name in (
            "pareto",
            "failure-rates",
            "trend",
            "life",
            "no-fault-found",
            "repeats",
            "goodwill",
            "fault-signals",
        )
        for suffix in ("/", ".csv")
    },
    # The report pages: staff with a role.
    ("reports/", "GET"): staff_page(*ALL_STAFF),
    ("reports/programmes/", "GET"): staff_page(*ALL_STAFF),
    ("reports/programmes/<str:code>/", "GET"): staff_page(*ALL_STAFF),
    **{
        (f"reports/{name}/", "GET"): staff_page(*ALL_STAFF)
        for name in (
            "pareto",
            "failure-rates",
            "trend",
            "life",
            "no-fault-found",
            "repeats",
            "goodwill",
            "fault-signals",
        )
    },
    # The schema and its docs describe the API and hold no data: open to all.
    ("api/schema/", "GET"): everyone(),
    ("api/docs/", "GET"): everyone(),
}


# Admin pages of registered models, derived from the roles' permissions ----------------------------------

ADMIN_MODEL_PAGES = {
    "": ("changelist", "GET"),
    "add/": ("add", "GET"),
    "<path:object_id>/history/": ("view", "GET"),
    "<path:object_id>/delete/": ("delete", "GET"),
    "<path:object_id>/change/": ("view", "GET"),
    "<path:object_id>/": ("redirect", "GET"),
}

# Where a model's admin takes away what a permission would give: the reason is the domain's.
ADMIN_NEVER: dict[tuple[str, str], set[str]] = {
    # Grants are made by the goodwill action, compensation by its decision; neither is typed in.
    ("rma", "goodwillgrant"): {"add", "change"},
    ("rma", "compensation"): {"add", "change"},
    # Diagnoses are logged from the RMA page (its diagnose action), cases open when a unit is retained.
    ("diagnostics", "diagnosis"): {"add"},
    ("diagnostics", "rootcausecase"): {"add"},
}


def role_permissions(role: str) -> set[str]:
    return set(ROLE_PERMISSIONS.get(role, []))


def admin_model_expectation(app_label: str, model_name: str, kind: str) -> dict[str, str]:
    expected = {"anonymous": "login"}
    for role in ROLES[1:]:
        perms = role_permissions(role)
        view = {f"{app_label}.view_{model_name}", f"{app_label}.change_{model_name}"} & perms
        if kind in ("changelist", "view", "redirect"):
            allowed = bool(view) or kind == "redirect"
        else:
            allowed = f"{app_label}.{kind}_{model_name}" in perms and kind not in ADMIN_NEVER.get(
                (app_label, model_name), set()
            )
        expected[role] = "ok" if allowed else "403"
    return expected


# Walking the resolver ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    route: str
    name: str
    namespace: str

    @property
    def full_name(self) -> str:
        return f"{self.namespace}:{self.name}" if self.namespace else self.name


def walk(patterns, prefix: str = "", namespace: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(part for part in (namespace, pattern.namespace or "") if part)
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            yield Route(prefix + str(pattern.pattern), pattern.name or "", namespace)


def admin_model_route(route: str) -> tuple[str, str, str] | None:
    """``(app_label, model_name, rest)`` when ``route`` is a page of a model registered in the admin."""
    match = re.fullmatch(r"admin/(\w+)/(\w+)/(.*)", route)
    if not match:
        return None
    registered = {(model._meta.app_label, model._meta.model_name) for model in admin.site._registry}
    if (match[1], match[2]) not in registered:
        return None
    return match[1], match[2], match[3]


def rows() -> dict[tuple[str, str], dict[str, str]]:
    """Every (route, method) with its expected outcome per role; a route with no row maps to ``{}``."""
    table: dict[tuple[str, str], dict[str, str]] = {}
    for route in walk(get_resolver().url_patterns):
        model_route = admin_model_route(route.route)
        if model_route is not None and model_route[2] in ADMIN_MODEL_PAGES:
            app_label, model_name, rest = model_route
            kind, method = ADMIN_MODEL_PAGES[rest]
            table[(route.route, method)] = admin_model_expectation(app_label, model_name, kind)
            continue
        explicit = {key: value for key, value in EXPLICIT.items() if key[0] == route.route}
        table.update(explicit or {(route.route, "?"): {}})
    return table


def test_every_url_has_a_row():
    missing = sorted(route for (route, _method), expected in rows().items() if not expected)
    assert missing == [], f"URLs with no row in the role matrix: {missing}"
    known = {route.route for route in walk(get_resolver().url_patterns)}
    stale = sorted(route for route, _method in EXPLICIT if route not in known)
    assert stale == [], f"rows for URLs that no longer exist: {stale}"


# The requests -----------------------------------------------------------------------------------------------


@pytest.fixture
def world(build, supervisor, engineer, technician, battery):
    """One object of each kind, so that every page has something real to show."""
    closed = build(S.CLOSED)
    kept = build(S.DIAGNOSING, in_warranty=False)
    diagnostics_services.goodwill_grant(
        rma=kept, actor=supervisor, source=Source.ADMIN, reason="Unknown.", replacement_serial="GW-MATRIX"
    )
    late = perform("approve_compensation", build(S.SHIPPED), actor=supervisor, source=Source.ADMIN)
    pattern = FailurePatternFactory(code="FP-0900", component=battery)
    advisory = advisory_create(pattern=pattern, actor=engineer, title="Battery notice", body="Please charge.")
    token_key_for(technician)
    token = ApiToken.objects.get(user=technician)
    endpoint = WebhookEndpoint.objects.create(url="http://127.0.0.1:9/hook", events=["*"], secret="s")
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event_type="rma.created", body={})
    attachment = diagnostics_services.diagnosis_attach(
        diagnosis=closed.diagnoses.first(),
        actor=technician,
        file=SimpleUploadedFile("bench.log", b"battery: thermal fault\n"),
        kind="log",
    )
    signal = FaultSignal.objects.create(
        cell=FaultSignal.Cell.choices[0][0],
        product_model=closed.device.product_model,
        component=battery,
        observed=9,
        expected=2.5,
        units_in_service=1500,
        rate_ratio=3.6,
        statistic=8.1,
        threshold=6.0,
        first_detected_on=closed.reported_on,
        evidence_as_of=closed.reported_on,
    )
    case = RootCauseCase.objects.get(rma=kept)
    diagnosis = closed.diagnoses.first()
    programme = programme_create(
        actor=engineer,
        title="Battery programme",
        summary="Swelling.",
        pattern=pattern,
        product_models=[],
        coverage_years=2,
    )
    reimbursement = Reimbursement.objects.create(programme=programme, rma=closed, amount="10.00", currency="EUR")
    objects = {
        ("rma", "rma"): (closed.pk, "note"),
        ("rma", "device"): (closed.device_id, None),
        ("rma", "productmodel"): (closed.device.product_model_id, None),
        ("rma", "customer"): (closed.customer_id, None),
        ("rma", "goodwillgrant"): (GoodwillGrant.objects.get().pk, None),
        ("rma", "compensation"): (Compensation.objects.get(rma=late).pk, None),
        ("rma", "outboxmessage"): (OutboxMessage.objects.first().pk, None),
        ("diagnostics", "component"): (battery.pk, None),
        ("diagnostics", "diagnosis"): (diagnosis.pk, "attach"),
        ("diagnostics", "faultsignal"): (signal.pk, "acknowledge"),
        ("diagnostics", "failurepattern"): (pattern.pk, "investigate"),
        ("diagnostics", "rootcausecase"): (case.pk, "add_findings"),
        ("diagnostics", "advisory"): (advisory.pk, "publish"),
        ("diagnostics", "programme"): (programme.pk, "activate"),
        ("diagnostics", "reimbursement"): (reimbursement.pk, "approve"),
        ("auth", "group"): (Group.objects.get(name="technician").pk, None),
        ("auth", "user"): (technician.pk, None),
        ("core", "apitoken"): (token.pk, None),
        ("core", "webhookendpoint"): (endpoint.pk, None),
        ("core", "webhookdelivery"): (delivery.pk, None),
    }
    return {
        "objects": objects,
        "rma": closed,
        "pattern": pattern,
        "component": battery,
        "diagnosis": diagnosis,
        "case": case,
        "track": status_link_issue(rma=closed),
        "user": technician,
        "attachment": attachment,
        "signal": signal,
        "programme": programme,
        "token": token,
        "endpoint": endpoint,
    }


def concrete(route: str, world) -> str:
    """A real URL for ``route``, pointing at the world's objects."""
    model_route = admin_model_route(route)
    if model_route is not None:
        object_id, action_name = world["objects"][model_route[:2]]
        route = route.replace("<path:object_id>", str(object_id)).replace("<str:action_name>", str(action_name))
    values = {
        "<str:token>": world["track"],
        "<id>": str(world["user"].pk),
        "<int:id>": str(world["token"].pk),
        "(?P<pk>[0-9]+)": str(world["endpoint"].pk),
        "<str:kind>/<int:pk>": f"diagnosis/{world['attachment'].pk}",
        "<path:content_type_id>/<path:object_id>": "1/1",
        "(?P<app_label>auth|core|rma|diagnostics)": "rma",
        "(?P<url>.*)": "no-such-page/",
        "(?P<number>[^/\\x00]+)": world["rma"].number,
        "(?P<serial_number>[^/\\x00]+)": world["rma"].device.serial_number,
        "(?P<pk>[^/\\x00]+)": str(
            world["diagnosis"].pk
            if "diagnoses" in route
            else world["signal"].pk
            if "fault-signals" in route
            else world["case"].pk
        ),
        "(?P<code>[^/\\x00]+)": world["component"].code
        if "components" in route
        else world["programme"].code
        if "programmes" in route
        else world["pattern"].code,
        "<str:code>": world["programme"].code,
    }
    for placeholder, value in values.items():
        route = route.replace(placeholder, value)
    return "/" + route.replace("^", "").replace("$", "")


def outcome(response) -> str:
    if response.status_code == 401:
        assert response.has_header("WWW-Authenticate")
        return "401"
    if response.status_code in (403, 404):
        return str(response.status_code)
    if response.status_code in (301, 302) and reverse("admin:login") in response.get("Location", ""):
        return "login"
    return "ok"


def client_for(role, client, technician, supervisor, engineer):
    users = {
        "no_role": lambda: UserFactory(username="norole"),
        "technician": lambda: technician,
        "supervisor": lambda: supervisor,
        "engineer": lambda: engineer,
    }
    if role != "anonymous":
        client.force_login(users[role]())
    return client


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(role, client, world, technician, supervisor, engineer):
    client = client_for(role, client, technician, supervisor, engineer)
    wrong = []
    # Logging out comes last: it ends the session the other rows use.
    for (route, method), expected in sorted(rows().items(), key=lambda item: (item[0][0] == "admin/logout/", item[0])):
        url = concrete(route, world)
        if method == "GET":
            response = client.get(url)
        else:
            response = getattr(client, method.lower())(url, {}, content_type="application/json")
        got = outcome(response)
        if got != expected[role]:
            wrong.append(f"{method} {url} ({route}): expected {expected[role]}, got {got} [{response.status_code}]")
    assert wrong == [], "\n".join(wrong)
