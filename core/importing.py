"""What the CSV importers share: reading the header, checking dates, and row errors with line numbers.

The importers read files of a million rows, so the per-row work here is kept small: a value that a
file repeats (a date, a model) is checked once and remembered.
"""

from __future__ import annotations

import csv
import itertools
import os
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol, TextIO, TypeVar

from django.core.management.base import BaseCommand
from django.db import connection
from django.db.models import Model

from core.exceptions import ImportFileInvalid
from core.progress import Progress, open_counted

T = TypeVar("T")


@dataclass(frozen=True)
class RowError:
    """A row that was not imported, and why."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {printable(self.message)}"


def printable(text: str) -> str:
    """``text`` with every non-printable character written as an escape, for a terminal or a log."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


@dataclass(frozen=True)
class Columns:
    """A file's header matched against the columns an importer knows."""

    index: dict[str, int]  # known column name -> its position in a row
    count: int  # how many values a row has
    unknown: tuple[str, ...] = field(default=())

    def warnings(self) -> list[str]:
        return [f"Column “{name}” is not one this import knows; its values are ignored." for name in self.unknown]


def columns_match(header: Sequence[str], *, required: Sequence[str], optional: Sequence[str] = ()) -> Columns:
    """Check the header before any row is read: every required column present, none twice."""
    names = [name.strip().lower() for name in header]
    expected = ", ".join(required) + (f" (optional: {', '.join(optional)})" if optional else "")
    if not any(names):
        raise ImportFileInvalid(f"The first line must name the columns: {expected}.")
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    if repeated:
        raise ImportFileInvalid(f"The header names {', '.join(repeated)} more than once.")
    missing = [name for name in required if name not in names]
    if missing:
        raise ImportFileInvalid(
            f"The header lacks the required column{'s' if len(missing) > 1 else ''} {', '.join(missing)}. "
            f"Expected: {expected}. Nothing was imported."
        )
    known = {*required, *optional}
    return Columns(
        index={name: position for position, name in enumerate(names) if name in known},
        count=len(names),
        unknown=tuple(
            name or f"(unnamed, position {position})"
            for position, name in enumerate(names, start=1)
            if name not in known
        ),
    )


class Rows(Protocol):
    """Data rows as lists of text, the way ``csv.reader`` gives them.

    ``line_num`` is the line where the row last returned ends (the header is line 1), so errors can
    name it; an importer reads it only when it needs it.
    """

    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...


def csv_rows(file: TextIO) -> tuple[list[str], Rows]:
    """The header and the data rows of a CSV file."""
    reader = csv.reader(file)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileInvalid("The file is empty: its first line must name the columns.") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise ImportFileInvalid(f"Line 1 cannot be read: {_unreadable(exc)}.") from None
    return header, reader


@contextmanager
def reading(rows: Rows) -> Iterator[None]:
    """A file that turns out unreadable part-way is refused as a whole, naming where it broke."""
    try:
        yield
    except (csv.Error, UnicodeDecodeError) as exc:
        raise ImportFileInvalid(
            f"The file cannot be read after line {rows.line_num}: {_unreadable(exc)}. Nothing was imported."
        ) from None


def _unreadable(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "it is not UTF-8 text"
    return f"it is not valid CSV ({exc})"


@contextmanager
def open_csv(path: str, *, progress_to: Any = None) -> Iterator[TextIO]:
    """A CSV file opened for the importers: UTF-8 (a byte-order mark is skipped), newlines as written.

    With ``progress_to`` (a command's ``stderr``), reading it shows its progress there by bytes
    (``core.progress``): a bar on a terminal, a line every few seconds otherwise.
    """
    progress = None
    try:
        if progress_to is None:
            file = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 (closed below)
        else:
            label = f"Reading {os.path.basename(path)}"
            progress = Progress(progress_to, total=os.path.getsize(path), label=label, unit="bytes")
            file = open_counted(path, progress)
    except OSError as exc:
        raise ImportFileInvalid(f"Cannot open the file: {exc.strerror}.") from None
    with file:
        yield file
    if progress is not None:
        progress.finish()


class MappingRows:
    """Rows built in memory (dicts keyed by column name), numbered as if read from a file with a header.

    ``None`` is an empty value; other values are written as text (a ``date`` as YYYY-MM-DD), so rows
    built in memory pass exactly the checks a file's rows do.
    """

    def __init__(self, header: Sequence[str], rows: Iterable[Mapping[str, object]]) -> None:
        self.header = list(header)
        self.rows = rows
        self.line_num = 1

    def __iter__(self) -> Iterator[list[str]]:
        header = self.header
        for line, row in enumerate(self.rows, start=2):
            self.line_num = line
            yield ["" if (value := row.get(name)) is None else str(value) for name in header]


def mapping_rows(rows: Iterable[Mapping[str, object]]) -> tuple[list[str], Rows]:
    """The header (the first row's keys) and the rows, for importing rows built in memory."""
    iterator = iter(rows)
    first = next(iterator, None)
    header = list(first) if first is not None else []
    return header, MappingRows(header, itertools.chain([first] if first is not None else [], iterator))


class DateCheck:
    """Dates written YYYY-MM-DD, within a plausible range; each distinct text is checked once.

    ``known`` maps text as read to its ISO form: importers look there first and call ``check`` only
    for text they have not seen.
    """

    def __init__(self, *, earliest: date, latest: date) -> None:
        self.earliest = earliest
        self.latest = latest
        self.known: dict[str, str] = {}
        self._days: dict[str, date] = {}

    def check(self, text: str) -> str:
        """The date in ISO form; ``ValueError`` with a plain reason when it is not a date in range."""
        value = text.strip()
        digits = value[:4] + value[5:7] + value[8:]
        if len(value) != 10 or value[4] != "-" or value[7] != "-" or not (digits.isascii() and digits.isdigit()):
            raise ValueError(f"“{value}” is not a date written YYYY-MM-DD")
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value} is not a real date") from None
        if not self.earliest <= day <= self.latest:
            raise ValueError(f"{value} is outside {self.earliest:%d %b %Y} to {self.latest:%d %b %Y}")
        self.known[text] = value
        self._days[value] = day
        return value

    def day(self, iso: str) -> date | None:
        """The ``date`` of an ISO text that ``check`` accepted; None for an empty value."""
        return self._days[iso] if iso else None


def text_problem(name: str, value: str, *, multiline: bool = False, identifier: bool = False) -> str:
    """Why a text value is refused: a NUL byte or another control character ("" when it has none).

    Free text may hold any printable character, and with ``multiline`` also tabs and line breaks;
    an ``identifier`` (a code, a lot) only printable ones (no invisible spaces either). The
    character is named by its code point, never written out (a terminal would obey it).
    """
    if value.isprintable():
        return ""
    for character in value:
        if character.isprintable() or (multiline and character in "\t\n\r"):
            continue
        if unicodedata.category(character) in ("Cc", "Cs"):
            what = "a NUL byte" if character == "\x00" else "a control character"
        elif identifier:
            what = "an invisible character"
        else:
            continue
        return f"{name} contains {what} (U+{ord(character):04X})"
    return ""


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last one shorter)."""
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def import_lock(name: str) -> None:
    """Serialise imports of one kind on PostgreSQL, until the transaction ends (SQLite serialises writers)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [name])


def write_report(
    command: BaseCommand,
    *,
    path: str,
    rows: int,
    counts: Sequence[tuple[str, int]],
    errors: Sequence[RowError],
    warnings: Sequence[str],
    listed: Sequence[tuple[str, Sequence[str]]] = (),
    extra: Sequence[tuple[str, int]] = (),
    written: bool,
) -> None:
    """The summary an import command prints: counts, then every bad row with its line number."""
    out = command.stdout
    out.write(f"{path}: {rows:,} row{'s' if rows != 1 else ''} read")
    if not written:
        out.write(command.style.ERROR("Nothing was imported: with --strict one bad row refuses the whole file."))
    for label, value in [*counts, ("Errors", len(errors)), *extra]:
        out.write(f"  {label + ':':<20}{value:>12,}")
    for label, items in listed:
        out.write(f"  {label + ':':<20}{len(items):>12,}" + (f"  ({', '.join(items)})" if items else ""))
    if errors:
        out.write(command.style.ERROR(f"Rows not imported ({len(errors):,}):"))
        for error in errors:
            out.write(f"  {error}")
    if warnings:
        out.write(command.style.WARNING(f"Warnings ({len(warnings):,}):"))
        for warning in warnings:
            out.write(f"  {printable(warning)}")


def rows_insert(model: type[Model], rows: Sequence[dict[str, Any]], *, with_ids: bool = False) -> list[int]:
    """Insert plain rows (dicts keyed by field ``attname``, every row the same keys) in bulk.

    On PostgreSQL the rows are COPYed, with primary keys taken from the table's sequence first when
    ``with_ids``; elsewhere they go through ``bulk_create``. Returns the new primary keys when
    ``with_ids`` (in the order of ``rows``), else an empty list. Like ``bulk_create``: no ``save()``,
    no signals.
    """
    if not rows:
        return []
    if connection.vendor != "postgresql":
        created = model._default_manager.bulk_create([model(**row) for row in rows])
        return [obj.pk for obj in created] if with_ids else []

    from psycopg.types.json import Jsonb

    fields = list(rows[0])
    json_fields = {f.attname for f in model._meta.concrete_fields if f.get_internal_type() == "JSONField"}
    table = connection.ops.quote_name(model._meta.db_table)
    columns = [column_of(model, name) for name in fields]
    ids: list[int] = []
    with connection.cursor() as cursor:
        if with_ids:
            pk = column_of(model, "id" if model._meta.pk is None else model._meta.pk.attname)
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [model._meta.db_table, pk, len(rows)],
            )
            ids = [row[0] for row in cursor.fetchall()]
            columns = [pk, *columns]
        names = ", ".join(connection.ops.quote_name(column) for column in columns)
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for position, row in enumerate(rows):
                values = [Jsonb(row[name]) if name in json_fields else row[name] for name in fields]
                copy.write_row([ids[position], *values] if with_ids else values)
    return ids


def column_of(model: type[Model], attname: str) -> str:
    for model_field in model._meta.concrete_fields:
        if model_field.attname == attname and model_field.column:
            return model_field.column
    raise LookupError(f"{model.__name__} has no field {attname}")


def max_length(model: type[Model], name: str) -> int:
    """The ``max_length`` of a text field, for checking values before they reach the database."""
    length = getattr(model._meta.get_field(name), "max_length", None)
    if not isinstance(length, int):
        raise LookupError(f"{model.__name__}.{name} has no max_length")
    return length
