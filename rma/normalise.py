"""How identifiers typed by people are stored: one place, used by forms, services and importers."""


def normalise_serial(value: str) -> str:
    """Serial numbers are stored trimmed and upper-case."""
    return value.strip().upper()


def normalise_email(value: str) -> str:
    """E-mail addresses are stored trimmed and lower-case."""
    return value.strip().lower()
