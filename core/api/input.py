"""Strict API input: unknown fields are refused, not dropped; path segments that no column can hold are not found."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request

from core.dates import date_in_range

# A path segment, without the NUL character no database column can hold: such a URL is simply not found.
LOOKUP = r"[^/\x00]+"


class StrictInput(serializers.Serializer):
    """An input serializer that refuses fields it does not know, rather than dropping them silently."""

    not_editable: dict[str, str] = {}

    def to_internal_value(self, data):
        names = set(data.keys()) if hasattr(data, "keys") else set()
        unknown = sorted(names - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {name: [self.not_editable.get(name, "Unknown field.")] for name in unknown}
            )
        return super().to_internal_value(data)


class DayField(serializers.DateField):
    """A day (YYYY-MM-DD) within the range ``core.dates`` accepts: 1970-01-01 to 2100-12-31."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.validators.append(date_in_range)


def valid_input(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """The request body checked by ``serializer_class`` (400 with field errors when it does not fit)."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
