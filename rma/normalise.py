"""How identifiers typed by people are stored: one place, used by forms, services and importers.

**Serial numbers** are written with upper-case ASCII letters, digits and the separators ``-``,
``_``, ``.`` and ``/`` (the characters real serial formats use: ``C02XK0ABJGH5``, ``SN-ABC-123``,
``PA2510/0042``). What is typed is trimmed, NFKC-normalised (a full-width ``ＳＮ１２３`` is ``SN123``)
and upper-cased. Anything else, such as a space inside, a Cyrillic or Greek letter that looks like a
Latin one (``С``, ``Α``), or a letter whose upper case only happens to be ASCII (``ı``, ``ſ``), is
refused with the reason, so two devices can never look alike and be different.
"""

from __future__ import annotations

import re
import unicodedata

from core.exceptions import InvalidInput

SERIAL_CHARACTERS = "the letters A–Z, digits and - _ . /"
SERIAL_PATTERN = re.compile(r"[A-Za-z0-9._/-]+\Z")  # ASCII only: the ranges are code points


def serial_text(value: str) -> str:
    """``value`` trimmed and, unless it is already a plain serial, NFKC-normalised; case kept."""
    text = value.strip()
    if SERIAL_PATTERN.match(text):
        return text
    return unicodedata.normalize("NFKC", text).strip()


def _odd_character(text: str) -> str:
    """The first character of ``text`` that serial numbers do not use, described for a person."""
    odd = next(ch for ch in text if not SERIAL_PATTERN.match(ch))
    if odd == " ":
        return "a space"
    shown = odd if odd.isprintable() else repr(odd)[1:-1]
    return f"“{shown}” (U+{ord(odd):04X} {unicodedata.name(odd, 'a control character').lower()})"


def serial_problem(value: str) -> str:
    """Why ``value`` cannot be a serial number, for an import's row error ("" when it can, or is empty)."""
    text = serial_text(value)
    if not text or SERIAL_PATTERN.match(text):
        return ""
    return f"serial_number has {_odd_character(text)}; serial numbers use only {SERIAL_CHARACTERS}"


def normalise_serial(value: str) -> str:
    """The stored form of a serial number ("" for an empty one); ``InvalidInput`` when it cannot be one."""
    text = serial_text(value)
    if not text or SERIAL_PATTERN.match(text):
        return text.upper()
    raise InvalidInput(
        f"This serial number has {_odd_character(text)}; serial numbers use only {SERIAL_CHARACTERS}.",
        code="invalid_serial",
        field="serial_number",
    )


def serial_or_none(value: str) -> str | None:
    """For searches: the stored form of ``value`` if it can be a serial number, else None."""
    text = serial_text(value)
    return text.upper() if SERIAL_PATTERN.match(text) else None


def normalise_email(value: str) -> str:
    """E-mail addresses are stored trimmed and lower-case."""
    return value.strip().lower()
