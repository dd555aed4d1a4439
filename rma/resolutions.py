"""A resolution states what happened (SPEC §4), so the return's own path decides it.

Pure (no database access): the facts of the path are passed in. ``resolution_derive`` names the one resolution the path
allows, with the reason staff read when they asked for another.
"""

from __future__ import annotations

from dataclasses import dataclass

from rma.models import RMA

R = RMA.Resolution
REPAIRED, REPLACED, REFUNDED = R.REPAIRED, R.REPLACED, R.REFUNDED
RETURNED_UNREPAIRED, NO_FAULT_FOUND = R.RETURNED_UNREPAIRED, R.NO_FAULT_FOUND

# The resolutions after which we ask whether the unit the customer now has is working.
FOLLOWED_UP = frozenset({REPAIRED, REPLACED, NO_FAULT_FOUND})


@dataclass(frozen=True)
class ReturnPath:
    """What happened on a return, as far as its resolution is concerned."""

    replacement_shipped: bool = False  # a replacement unit was shipped on it
    own_unit_returned: bool = False  # the customer's own unit went back to them
    repaired: bool = False  # a repair was started on it
    latest_outcome: str | None = None  # the latest diagnosis's outcome, None if never diagnosed
    refunded: bool = False  # a refund is recorded on it


@dataclass(frozen=True)
class Derived:
    resolution: str  # "" when the path does not allow closing yet
    reason: str


def resolution_derive(path: ReturnPath) -> Derived:
    """The resolution the path allows: exactly one, or none while nothing has been settled."""
    if path.refunded:
        return Derived(REFUNDED, "a refund is recorded and the failed unit stays with us")
    if path.replacement_shipped:
        return Derived(REPLACED, "a replacement unit was shipped")
    if path.own_unit_returned and path.repaired:
        return Derived(REPAIRED, "the unit was repaired and shipped back")
    if path.own_unit_returned and path.latest_outcome == NO_FAULT_FOUND:
        return Derived(NO_FAULT_FOUND, "the latest diagnosis found no fault and the unit was shipped back")
    if path.own_unit_returned:
        detail = f" (latest diagnosis: {path.latest_outcome.replace('_', ' ')})" if path.latest_outcome else ""
        return Derived(RETURNED_UNREPAIRED, f"the customer's own unit went back without a repair{detail}")
    return Derived("", "nothing has gone back to the customer and no refund is recorded")
