"""API input in codes, usernames and SKUs turned into the rows the services take."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from core.exceptions import InvalidInput
from diagnostics import services
from diagnostics.models import FailurePattern
from rma.models import ProductModel


def pattern_or_none(code: str | None) -> FailurePattern | None:
    return services.pattern_get(code) if code and code.strip() else None


def user_or_none(username: str | None, field: str):
    if username is None or not username.strip():
        return None
    user = get_user_model().objects.filter(username=username.strip()).first()
    if user is None:
        raise InvalidInput(f"No user is called “{username.strip()}”.", code="unknown_user", field=field)
    return user


def product_models(skus: list[str]) -> list[ProductModel]:
    wanted = {sku.strip() for sku in skus if sku.strip()}
    found = list(ProductModel.objects.filter(sku__in=wanted))
    missing = wanted - {model.sku for model in found}
    if missing:
        raise InvalidInput(
            f"Unknown product models: {', '.join(sorted(missing))}.", code="unknown_model", field="affected_models"
        )
    return found


def pattern_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The serializer's pattern fields with codes, usernames and SKUs turned into rows."""
    fields = dict(data)
    if "component" in fields:
        fields["component"] = services.component_get(fields["component"])
    if "owner" in fields:
        fields["owner"] = user_or_none(fields["owner"], "owner")
    if "affected_models" in fields:
        fields["affected_models"] = product_models(fields["affected_models"])
    return fields


def diagnosis(rma, data: dict[str, Any]) -> dict[str, Any]:
    return {
        **data,
        "component": services.component_get(data["component"]),
        "pattern": pattern_or_none(data.get("pattern")),
    }


def pattern_move(pattern, data: dict[str, Any]) -> dict[str, Any]:
    return pattern_fields(data)


def case_assign(case, data: dict[str, Any]) -> dict[str, Any]:
    return {"engineer": user_or_none(data.get("engineer"), "engineer")}


def case_close(case, data: dict[str, Any]) -> dict[str, Any]:
    new_pattern = data.get("new_pattern")
    return {
        "conclusion": data["conclusion"],
        "pattern": pattern_or_none(data.get("pattern")),
        "new_pattern": pattern_fields(dict(new_pattern)) if new_pattern is not None else None,
    }


def signal_link(signal, data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "pattern": services.pattern_get(data["pattern"])}


def programme_fields(data: dict[str, Any]) -> dict[str, Any]:
    """A programme's API fields in the services' keywords: codes, usernames and SKUs turned into rows."""
    fields = dict(data)
    if "pattern" in fields:
        fields["pattern"] = services.pattern_get(fields["pattern"])
    if "owner" in fields:
        fields["owner"] = user_or_none(fields["owner"], "owner")
    if "models" in fields:
        try:
            fields["product_models"] = product_models(fields.pop("models"))
        except InvalidInput as error:
            raise InvalidInput(error.message, code=error.code, field="models") from None
    return fields
