"""Editing a draft row through its service: what advisories and service programmes share."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models


def distinct_values(values: Iterable[Any]) -> list[str]:
    """A list field's values (lots, firmware versions) trimmed, without blanks or repeats, sorted."""
    return sorted({str(value).strip() for value in values if str(value).strip()})


def edits_apply(
    locked: models.Model, fields: Mapping[str, Any], *, many: Iterable[str] = (), lists: Iterable[str] = ()
) -> None:
    """Write ``fields`` onto ``locked`` (a row already checked and locked), saving only what changed.

    ``many`` names many-to-many fields (set as given); ``lists`` names list fields (``distinct_values``);
    other text is trimmed.
    """
    many, lists = set(many), set(lists)
    changed = []
    for name, value in fields.items():
        if name in many:
            getattr(locked, name).set(list(value))
            continue
        if name in lists:
            value = distinct_values(value)
        elif isinstance(value, str):
            value = value.strip()
        setattr(locked, name, value)
        changed.append(name)
    if changed:
        locked.save(update_fields=changed)
