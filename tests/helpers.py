"""Small helpers shared by the tests."""

from __future__ import annotations

import datetime as dt

from rma.models import RMA, RMAEvent


def next_weekday(weekday: int, *, hour: int = 10) -> dt.datetime:
    """Such a weekday (Monday is 0) at ``hour`` UTC, a fixed point for date arithmetic.

    Taken in mid-January of next year: in the future, and weeks away from any change of summer
    time, so "21 days later" is the same instant whether counted in UTC or on the local clock.
    """
    day = dt.date(dt.date.today().year + 1, 1, 10)
    while day.weekday() != weekday:
        day += dt.timedelta(days=1)
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


def last_event(rma) -> RMAEvent:
    return RMAEvent.objects.filter(rma_id=rma.pk).order_by("-id").first()


def reload(rma: RMA) -> RMA:
    return RMA.objects.get(pk=rma.pk)


def perform(action: str, rma: RMA, *, actor, source: str, resolution: str = "", component=None) -> RMA:
    """Any lifecycle action on ``rma`` through its service, with sensible arguments."""
    from diagnostics import services as diagnostics_services
    from diagnostics.models import Component
    from rma import services

    kw = {"rma": rma, "actor": actor, "source": source}
    match action:
        case "authorize":
            return services.rma_authorize(**kw)
        case "reject":
            return services.rma_reject(**kw, reason="This is not one of our products.")
        case "cancel":
            return services.rma_cancel(**kw, reason="Customer changed their mind.")
        case "confirm_ownership":
            return services.rma_confirm_ownership(**kw, note="Receipt checked.")
        case "refuse_ownership":
            return services.rma_refuse_ownership(**kw, note="The registered owner says it was not them.")
        case "supersede":
            from rma.services.ownership import rma_supersede

            return rma_supersede(**kw, by_number="RMA-OWNER")
        case "receive":
            return services.rma_receive(**kw)
        case "start_diagnosis":
            return services.rma_start_diagnosis(**kw)
        case "record_diagnosis":
            component = component or Component.objects.get_or_create(code="battery", defaults={"name": "Battery"})[0]
            diagnostics_services.diagnosis_record(**kw, component=component, outcome="cause_unknown")
            return reload(rma)
        case "quote":
            return services.rma_quote(**kw, amount="79.00")
        case "accept_quote":
            return services.rma_accept_quote(**kw)
        case "decline_quote":
            return services.rma_decline_quote(**kw)
        case "repair":
            return services.rma_repair(**kw)
        case "replace":
            return services.rma_replace(**kw, replacement_serial=f"REPL-{rma.pk}")
        case "grant_goodwill":
            return diagnostics_services.goodwill_grant(
                **kw, reason="Unknown failure, worth analysing.", replacement_serial=f"GW-{rma.pk}"
            )
        case "ship":
            return services.rma_ship(**kw, tracking_number="TRK-123")
        case "close":
            return services.rma_close(**kw, resolution=resolution)
        case "retain_unit":
            return diagnostics_services.unit_retain(**kw, note="Engineering wants it.")
        case "dispose_unit":
            return diagnostics_services.unit_dispose(**kw, disposition=RMA.Disposition.REFURBISHED_STOCK)
        case "note":
            return services.rma_add_note(**kw, note="Customer phoned.")
        case "approve_compensation":
            services.compensation_approve(**kw, kind="service_credit", amount="10.00", reason="We were late.")
            return reload(rma)
    raise AssertionError(f"no way to perform {action}")


PATTERN_PATH = ["new", "investigating", "root_caused", "corrective_action", "verified", "closed"]
PATTERN_STEP = {
    "investigating": ("investigate", {}),
    "root_caused": (
        "root_cause",
        {"root_cause": "Seal fails under thermal cycling.", "public_summary": "A seal let moisture in."},
    ),
    "corrective_action": ("start_corrective_action", {"corrective_action": "New seal supplier."}),
    "verified": ("verify", {"effective_from_lot": "L2510"}),
    "closed": ("close", {}),
}


def pattern_move(pattern, status: str, *, engineer):
    """Walk ``pattern`` forward along its lifecycle to ``status`` through the service, writing what each step needs."""
    from diagnostics.patterns import pattern_transition
    from rma.models import Source

    pattern.refresh_from_db()
    while pattern.status != status:
        action, fields = PATTERN_STEP[PATTERN_PATH[PATTERN_PATH.index(pattern.status) + 1]]
        fields = {name: value for name, value in fields.items() if not getattr(pattern, name)}
        pattern = pattern_transition(pattern=pattern, action=action, actor=engineer, source=Source.ADMIN, **fields)
    return pattern


def image_bytes(width: int = 4, height: int = 3, image_format: str = "PNG") -> bytes:
    """A real, small picture (uploads are opened and checked, so a bare signature is not enough)."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format=image_format)
    return buffer.getvalue()
