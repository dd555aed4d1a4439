"""What to say to a customer, kept as messages and facts until it is said in the reader's language.

A page is rendered in the visitor's language at once, but an e-mail is written to the outbox when
something happens and rendered later, in its recipient's language (SPEC §14); a timeline entry is
read by customers in whatever language they choose. So the product's customer sentences are
``Said`` values: each part is an English message (the catalogues' msgid) with its facts (numbers,
dates, amounts, other sayings), or a literal text typed by staff, which is shown as it was written.

    said = say("Your device has arrived. We aim to send it back by %(date)s.", date=promised_on)
    str(said)             # in the active language, the date in its conventions
    said.as_json()        # {"_say": [...]}: stored in an outbox context or an event's data
    said_render(value)    # the reverse, for any JSON holding sayings (e-mail contexts)

``say`` and ``say_plural`` are extraction keywords (``manage.py makemessages``, see
``core/management/commands/makemessages.py``): their literal first arguments land in the catalogues.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from django.conf import settings
from django.utils import formats, translation


class _Message(NamedTuple):
    message: str
    plural: str
    number: int | None  # what a plural message's form follows
    facts: dict[str, Any]


Part = str | _Message


class Said:
    """One or more sentences for a customer; ``str()`` says them in the active language."""

    __slots__ = ("parts",)

    def __init__(self, parts: tuple[Part, ...] = ()) -> None:
        self.parts = parts

    @classmethod
    def of(cls, value: Said | str | None) -> Said:
        """A saying from a saying, a literal text (typed by staff) or nothing."""
        if isinstance(value, Said):
            return value
        return cls((value,) if value else ())

    def __add__(self, other: Said | str) -> Said:
        return Said(self.parts + Said.of(other).parts)

    def __radd__(self, other: str) -> Said:
        return Said.of(other) + self

    def __bool__(self) -> bool:
        return any(self.parts)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Said) and self.parts == other.parts

    def __hash__(self) -> int:
        return hash(repr(self.parts))

    def __repr__(self) -> str:
        return f"Said({self.parts!r})"

    def __str__(self) -> str:
        text = ""
        for part in self.parts:
            said = part if isinstance(part, str) else _say_message(part)
            if not said:
                continue
            text = said if not text or said[:1].isspace() else f"{text} {said}"
        return text

    def english(self) -> str:
        """In the site's own language (what staff read on the timeline)."""
        with translation.override(settings.LANGUAGE_CODE):
            return str(self)

    def in_language(self, language: str) -> str:
        with translation.override(language):
            return str(self)

    def as_json(self) -> dict[str, Any]:
        return {"_say": [part if isinstance(part, str) else _message_json(part) for part in self.parts]}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Said:
        parts: list[Part] = []
        for part in value["_say"]:
            if isinstance(part, str):
                parts.append(part)
            else:
                facts = {name: _fact_from_json(fact) for name, fact in part.get("f", {}).items()}
                parts.append(_Message(part["m"], part.get("p", ""), part.get("n"), facts))
        return cls(tuple(parts))


def say(message: str, /, **facts: Any) -> Said:
    """A sentence (an English msgid with ``%(name)s`` placeholders) and its facts."""
    return Said((_Message(message, "", None, facts),))


def say_plural(singular: str, plural: str, count: int, /, **facts: Any) -> Said:
    """A sentence whose form follows ``count`` (available to it as ``%(count)s``)."""
    return Said((_Message(singular, plural, count, facts),))


def _fact_text(value: Any) -> str:
    if isinstance(value, Said):
        return str(value)
    if isinstance(value, datetime):
        return formats.date_format(value, "DATETIME_FORMAT")
    if isinstance(value, date):
        return formats.date_format(value, "DATE_FORMAT")
    if isinstance(value, Decimal):
        return formats.number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)
    if isinstance(value, int) and not isinstance(value, bool):
        return formats.number_format(value, use_l10n=True)
    if translation.get_language_bidi():
        # a serial, a return number or a name keeps its own direction inside right-to-left text
        return f"\u2068{value}\u2069"
    return str(value)


def _say_message(part: _Message) -> str:
    if part.plural:
        count = part.number or 0
        text = translation.ngettext(part.message, part.plural, count)
        facts = {"count": count, **part.facts}
    else:
        text = translation.gettext(part.message)
        facts = part.facts
    if not facts:
        return text
    return text % {name: _fact_text(value) for name, value in facts.items()}


def _fact_json(value: Any) -> Any:
    if isinstance(value, Said):
        return value.as_json()
    if isinstance(value, datetime):
        return {"_datetime": value.isoformat()}
    if isinstance(value, date):
        return {"_date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"_decimal": str(value)}
    return value


def _fact_from_json(value: Any) -> Any:
    if isinstance(value, dict):
        if "_say" in value:
            return Said.from_json(value)
        if "_datetime" in value:
            return datetime.fromisoformat(value["_datetime"])
        if "_date" in value:
            return date.fromisoformat(value["_date"])
        if "_decimal" in value:
            return Decimal(value["_decimal"])
    return value


def _message_json(part: _Message) -> dict[str, Any]:
    encoded: dict[str, Any] = {"m": part.message}
    if part.plural:
        encoded.update(p=part.plural, n=part.number)
    if part.facts:
        encoded["f"] = {name: _fact_json(value) for name, value in part.facts.items()}
    return encoded


def said_json(value: Any) -> Any:
    """``value`` made JSON-serialisable: sayings, dates and amounts encoded for ``said_render``."""
    if isinstance(value, dict):
        return {key: said_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [said_json(item) for item in value]
    return _fact_json(value)


def said_render(value: Any) -> Any:
    """JSON from ``said_json`` with every saying, date and amount said in the active language."""
    if isinstance(value, dict):
        if {"_say", "_date", "_datetime", "_decimal"} & value.keys():
            return _fact_text(_fact_from_json(value))
        return {key: said_render(item) for key, item in value.items()}
    if isinstance(value, list):
        return [said_render(item) for item in value]
    return value
