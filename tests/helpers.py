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


def perform(action: str, obj, *, actor, source: str, kind: str = "rma", **data):
    """Any declared action (``core.actions``) on ``obj`` through its service, with the declaration's example input.

    ``data`` overrides the example. The input goes the way the API's goes when the action has a serializer
    (checked by it, then turned into the service's keywords), else the admin's way (its form).
    """
    from core.actions import registry
    from diagnostics.models import Component

    spec = registry.get(kind, action)
    if isinstance(data.get("component"), Component):
        data["component"] = data["component"].code
    values = {**(spec.example(obj) if spec.example else {}), **data}
    if "component" in values:
        Component.objects.get_or_create(code=values["component"], defaults={"name": values["component"].title()})
    if spec.serializer is not None:
        serializer = spec.serializer(data=values)
        serializer.is_valid(raise_exception=True)
        spec.perform_api(obj, actor=actor, source=source, validated=serializer.validated_data)
    elif spec.form is not None:
        form = spec.form(values)
        assert form.is_valid(), form.errors
        spec.perform_admin(obj, actor=actor, source=source, cleaned=form.cleaned_data)
    else:
        spec.perform(obj, actor=actor, source=source, data=values)
    obj.refresh_from_db()
    return reload(obj) if kind == "rma" else obj


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
