"""Repair centres (SPEC §13): routing, holiday-aware business days, staff, queues and assignment."""

import datetime as dt

import pytest
from django.urls import reverse

from core.exceptions import ActionNotPermitted, InvalidInput, TransitionRefused
from rma import centres, service_levels, services
from rma.models import RMA, RepairCentre, RoutingRule, Source
from tests.factories import DeviceFactory, ProductModelFactory, UserFactory
from tests.helpers import reload

pytestmark = pytest.mark.django_db
S = RMA.Status


def centre(code, country="GB", *, time_zone="Europe/London", default=False, staff=(), **fields):
    made = RepairCentre.objects.create(
        code=code,
        name=f"{code} repair centre",
        address=f"1 Bench Street\n{code}",
        country=country,
        time_zone=time_zone,
        is_default=default,
        **fields,
    )
    made.staff.set(staff)
    return made


def open_return(device, *, country="", email="owner@example.com"):
    return services.rma_create(
        serial_number=device.serial_number,
        customer_email=email,
        fault_description="It stopped working.",
        actor=None,
        source=Source.PAGE,
        country=country,
    )


# Business days ------------------------------------------------------------------------------------------------


def test_business_days_skip_weekends_and_the_given_holidays():
    thursday = dt.date(2027, 3, 25)  # Good Friday 26 March, Easter Monday 29 March 2027
    assert service_levels.add_business_days(thursday, 1) == dt.date(2027, 3, 26)
    easter = {dt.date(2027, 3, 26), dt.date(2027, 3, 29)}
    assert service_levels.add_business_days(thursday, 1, easter) == dt.date(2027, 3, 30)


def test_a_centres_calendar_is_its_countrys_public_holidays():
    assert dt.date(2027, 10, 3) in centres.holiday_calendar("DE")  # German Unity Day
    assert dt.date(2027, 10, 3) not in centres.holiday_calendar("GB")
    assert dt.date(2027, 1, 6) in centres.holiday_calendar("DE", "BY")  # Epiphany in Bavaria only
    assert dt.date(2027, 1, 6) not in centres.holiday_calendar("DE")


def test_unknown_countries_and_time_zones_are_refused_with_a_code():
    with pytest.raises(InvalidInput) as refused:
        services.centre_check(country="XX", time_zone="Europe/Berlin")
    assert refused.value.code == "unknown_country"
    with pytest.raises(InvalidInput) as refused:
        services.centre_check(country="DE", time_zone="Mars/Olympus")
    assert refused.value.code == "unknown_time_zone"


def test_due_dates_count_the_centres_business_days_and_skip_its_holidays(clock, technician, make_device):
    berlin = centre(
        "BER", "DE", time_zone="Europe/Berlin", default=True, service_levels={"received": {"business_days": 1}}
    )
    rma = open_return(make_device())
    assert reload(rma).centre == berlin
    rma = services.rma_authorize(rma=rma, actor=technician, source=Source.ADMIN)
    clock.set(dt.datetime(2027, 3, 25, 10, tzinfo=dt.UTC))  # Thursday before Easter
    rma = services.rma_receive(rma=rma, actor=technician, source=Source.ADMIN)
    due = rma.due_at.astimezone(dt.timezone(dt.timedelta(hours=2)))
    assert due.date() == dt.date(2027, 3, 30)  # Good Friday and Easter Monday skipped
    # the promise counts the same calendar: seven business days from Thursday 25 March
    assert rma.promised_on == dt.date(2027, 4, 7)


def test_without_a_centre_the_site_levels_and_weekdays_apply(clock, technician, make_device):
    rma = open_return(make_device())
    assert reload(rma).centre is None
    rma = services.rma_authorize(rma=rma, actor=technician, source=Source.ADMIN)
    clock.set(dt.datetime(2027, 3, 25, 10, tzinfo=dt.UTC))
    rma = services.rma_receive(rma=rma, actor=technician, source=Source.ADMIN)
    assert rma.promised_on == dt.date(2027, 4, 5)  # no holidays counted


# Routing --------------------------------------------------------------------------------------------------------


def test_routing_picks_the_most_specific_rule_else_the_default_centre(make_device):
    main = centre("LON", default=True)
    munich = centre("MUC", "DE", time_zone="Europe/Berlin")
    tablets = centre("TAB", "DE", time_zone="Europe/Berlin")
    tablet_model = ProductModelFactory(sku="TAB-1")
    RoutingRule.objects.create(centre=munich, country="DE")
    RoutingRule.objects.create(centre=tablets, product_model=tablet_model, country="DE")
    phone = make_device()
    tablet = DeviceFactory(product_model=tablet_model, shipped_on=phone.shipped_on)
    other_tablet = DeviceFactory(product_model=tablet_model, shipped_on=phone.shipped_on)
    assert reload(open_return(phone, country="de", email="a@example.com")).centre == munich
    assert reload(open_return(tablet, country="DE", email="b@example.com")).centre == tablets
    assert reload(open_return(other_tablet, country="FR", email="c@example.com")).centre == main


def test_route_is_pure_and_prefers_lower_priority_among_equals():
    class R:
        def __init__(self, centre_id, country="", product_model_id=None, priority=100):
            self.centre_id, self.country, self.product_model_id, self.priority = (
                centre_id,
                country,
                product_model_id,
                priority,
            )

    rules = [R(1, "DE", priority=50), R(2, "DE", priority=10), R(3, product_model_id=7)]
    assert centres.route(rules, country="DE", product_model_id=1) == 2
    assert centres.route(rules, country="DE", product_model_id=7) == 3  # a model beats a country
    assert centres.route(rules, country="FR", product_model_id=1) is None


# Assignment and queues ------------------------------------------------------------------------------------------


@pytest.fixture
def staffed(technician, supervisor, make_device):
    """A centre with the technician and the supervisor on its staff, a second centre, and a return at each."""
    home = centre("LON", default=True, staff=[technician, supervisor])
    away = centre("MUC", "DE", time_zone="Europe/Berlin")
    RoutingRule.objects.create(centre=away, country="DE")
    here = open_return(make_device())
    there = open_return(make_device(), country="DE", email="de@example.com")
    return home, away, here, there


def test_a_supervisor_assigns_to_the_centres_staff_only(staffed, supervisor, technician):
    _, _, here, _ = staffed
    rma = services.rma_assign(rma=here, actor=supervisor, source=Source.ADMIN, assignee="tech")
    assert rma.assignee == technician
    assert rma.events.last().internal_note == "Assigned to tech."
    outsider = UserFactory(username="outsider", role="technician")
    with pytest.raises(InvalidInput) as refused:
        services.rma_assign(rma=rma, actor=supervisor, source=Source.ADMIN, assignee=outsider)
    assert refused.value.code == "assignee_not_at_centre"
    assert reload(rma).assignee == technician


def test_a_technician_takes_but_does_not_assign(staffed, technician, supervisor):
    _, _, here, there = staffed
    with pytest.raises(ActionNotPermitted):
        services.rma_assign(rma=here, actor=technician, source=Source.ADMIN, assignee="tech")
    taken = services.rma_take(rma=here, actor=technician, source=Source.ADMIN)
    assert taken.assignee == technician
    with pytest.raises(TransitionRefused) as refused:
        services.rma_take(rma=there, actor=technician, source=Source.ADMIN)
    assert refused.value.code == "not_at_centre"
    other = UserFactory(username="other", role="technician")
    here.centre.staff.add(other)
    with pytest.raises(TransitionRefused) as refused:
        services.rma_take(rma=taken, actor=other, source=Source.ADMIN)
    assert refused.value.code == "already_assigned"


def test_queues_are_mine_and_unassigned_at_my_centre_oldest_due_first(client, staffed, technician, make_device):
    _, _, here, there = staffed
    later = open_return(make_device(), email="later@example.com")
    RMA.objects.filter(pk=later.pk).update(due_at=here.due_at - dt.timedelta(hours=5))
    client.force_login(technician)
    body = client.get(reverse("admin:rma_rma_changelist"), {"queue": "unassigned"}).content.decode()
    assert here.number in body and later.number in body and there.number not in body
    assert body.index(later.number) < body.index(here.number)  # oldest due first
    services.rma_take(rma=here, actor=technician, source=Source.ADMIN)
    body = client.get(reverse("admin:rma_rma_changelist"), {"queue": "mine"}).content.decode()
    assert here.number in body and later.number not in body
    assert "My returns" in body and "Unassigned at my centre" in body


def test_supervisor_assigns_in_the_admin_from_the_centres_staff(client, staffed, supervisor, technician):
    _, _, here, _ = staffed
    client.force_login(supervisor)
    url = reverse("admin:rma_rma_act", args=[here.pk, "assign"])
    form = client.get(url).content.decode()
    assert 'value="tech"' in form
    response = client.post(url, {"assignee": "tech"})
    assert response.status_code == 302
    assert reload(here).assignee == technician


# API ------------------------------------------------------------------------------------------------------------


def test_api_shows_centre_and_assignee_and_filters_by_them(client, staffed, technician, supervisor):
    _, _, here, there = staffed
    services.rma_assign(rma=here, actor=supervisor, source=Source.ADMIN, assignee="tech")
    client.force_login(technician)
    rows = client.get("/api/v1/rmas/", {"centre": "LON"}).json()["results"]
    assert [(row["number"], row["centre"], row["assignee"]) for row in rows] == [(here.number, "LON", "tech")]
    assert [row["number"] for row in client.get("/api/v1/rmas/", {"assignee": "me"}).json()["results"]] == [here.number]
    unassigned = [row["number"] for row in client.get("/api/v1/rmas/", {"assignee": "none"}).json()["results"]]
    assert unassigned == [there.number]
    centres_listed = client.get("/api/v1/repair-centres/").json()
    assert [(c["code"], c["country"], c["time_zone"]) for c in centres_listed] == [
        ("LON", "GB", "Europe/London"),
        ("MUC", "DE", "Europe/Berlin"),
    ]
    assert sorted(centres_listed[0]["staff"]) == ["super", "tech"]


def test_api_assigns_through_the_declared_action(client, staffed, supervisor, technician):
    _, _, here, _ = staffed
    client.force_login(supervisor)
    answer = client.post(f"/api/v1/rmas/{here.number}/assign/", {"assignee": "tech"}, content_type="application/json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["assignee"] == "tech"
    answer = client.post(f"/api/v1/rmas/{here.number}/assign/", {"assignee": "ghost"}, content_type="application/json")
    assert (answer.status_code, answer.json()["code"]) == (400, "unknown_assignee")


def test_the_centre_admin_refuses_an_unknown_country(client, supervisor):
    client.force_login(supervisor)
    response = client.post(
        reverse("admin:rma_repaircentre_add"),
        {
            "code": "xx1",
            "name": "Nowhere",
            "address": "1 Road",
            "country": "XX",
            "time_zone": "Europe/London",
            "service_levels": "{}",
            "routing_rules-TOTAL_FORMS": "0",
            "routing_rules-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "unknown_country" in response.content.decode()
    assert not RepairCentre.objects.exists()


def test_seed_demo_has_two_centres_in_two_countries_with_assigned_and_unassigned_work(db, settings):
    from demo.seed import demo_seed

    summary = demo_seed(devices=400, seed=7)
    assert summary.centres == ["LON", "MUC"]
    assert set(RepairCentre.objects.values_list("country", flat=True)) == {"GB", "DE"}
    open_returns = RMA.objects.exclude(status__in=["closed", "rejected", "cancelled"])
    assert open_returns.filter(assignee__isnull=False).exists()
    assert open_returns.filter(assignee__isnull=True).exists()
    assert set(open_returns.values_list("centre__code", flat=True)) == {"LON", "MUC"}
