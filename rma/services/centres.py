"""Repair centres (SPEC §13): routing a return to one, its staff, and assigning its returns."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from core.actors import Actor, staff_actor
from core.exceptions import ActionNotPermitted, InvalidInput, TransitionRefused
from rma import centres, lifecycle
from rma.models import RMA, Customer, Device, RepairCentre, RoutingRule
from rma.services.transitions import Change, rma_transition


def centre_route(*, customer: Customer | None, device: Device, country: str = "") -> RepairCentre | None:
    """The centre a new return goes to: the most specific routing rule for the customer's country and the
    unit's model, else the default centre (None while there is no centre at all)."""
    where = (country or (customer.country if customer is not None else "")).upper()
    chosen = centres.route(
        RoutingRule.objects.order_by("priority", "id"), country=where, product_model_id=device.product_model_id
    )
    if chosen is not None:
        return RepairCentre.objects.get(pk=chosen)
    return RepairCentre.objects.filter(is_default=True).first()


def centre_check(*, country: str, subdivision: str = "", time_zone: str) -> None:
    """Refuse a centre whose country, region or time zone the calendars do not know."""
    centres.country_check(country, subdivision)
    centres.zone_check(time_zone)


def _assignee_get(username: str) -> Any:
    user = get_user_model().objects.filter(username=username, is_active=True, is_staff=True).first()
    if user is None:
        raise InvalidInput(
            f"No active member of staff is called “{username}”.", code="unknown_assignee", field="assignee"
        )
    return user


def _centre_name(rma: RMA) -> str:
    return rma.centre.name if rma.centre is not None else "no centre"


def _at_centre(locked: RMA, user: Any) -> bool:
    return locked.centre_id is None or user.repair_centres.filter(pk=locked.centre_id).exists()


def _assign(locked: RMA, change: Change, assignee: Any) -> None:
    if locked.status in lifecycle.FINAL_STATUSES:
        raise TransitionRefused(f"{locked.number} is {locked.get_status_display().lower()}.", code="rma_final")
    if assignee is not None and not _at_centre(locked, assignee):
        raise InvalidInput(
            f"{assignee.get_username()} is not on the staff of {_centre_name(locked)}.",
            code="assignee_not_at_centre",
            field="assignee",
        )
    if assignee is not None and assignee.pk == locked.assignee_id:
        raise TransitionRefused(
            f"{locked.number} is already assigned to {assignee.get_username()}.", code="already_assigned"
        )
    change.set(locked, assignee=assignee)
    change.data["assignee"] = assignee.get_username() if assignee is not None else None
    change.internal_note = (
        f"Assigned to {assignee.get_full_name() or assignee.get_username()}." if assignee else "Unassigned."
    )


def rma_assign(*, rma: RMA, actor: Actor, source: str, assignee: Any = None) -> RMA:
    """Give the return to ``assignee`` (a user or a username; None or "" to leave it unassigned), who must be on
    the staff of the return's centre (supervisors, ``rma.assign_rma``)."""
    if isinstance(assignee, str):
        assignee = _assignee_get(assignee.strip()) if assignee.strip() else None
    return rma_transition(
        rma=rma,
        action="assign",
        actor=actor,
        source=source,
        customer_message="",
        apply=lambda r, c: _assign(r, c, assignee),
    )


def rma_take(*, rma: RMA, actor: Actor, source: str) -> RMA:
    """Take an unassigned return of one's own centre (technicians and supervisors)."""
    user = staff_actor(actor)

    def apply(locked: RMA, change: Change) -> None:
        if user is None:
            raise ActionNotPermitted("Only a member of staff takes a return.", code="permission_denied")
        if locked.assignee_id is not None and locked.assignee_id != user.pk:
            raise TransitionRefused(
                f"{locked.number} is already assigned to someone else: ask a supervisor.",
                code="already_assigned",
            )
        if not _at_centre(locked, user):
            raise TransitionRefused(
                f"{locked.number} is worked on at {_centre_name(locked)}, where you are not on the staff.",
                code="not_at_centre",
            )
        _assign(locked, change, user)

    return rma_transition(rma=rma, action="take", actor=actor, source=source, customer_message="", apply=apply)
