"""Backups of the PostgreSQL database: ``pg_dump``, ``pg_restore`` into a fresh database, and a check that the
copy holds what the database held (README "Production", SPEC §15).

- ``dump(path)``: ``pg_dump --format=custom`` of the configured database into ``path`` (written whole, then
  renamed, so a backup file is never half a dump).
- ``restore(path, into)``: creates the database ``into`` (it must not exist) and restores the dump there.
- ``check()``: dumps the live database at one snapshot, restores the dump into a fresh database, and compares
  every table's row count and checksum (an MD5 over the MD5 of each row, in a fixed order) between the
  snapshot and the copy; the fresh database is dropped afterwards. The snapshot is exported by the checking
  transaction and handed to ``pg_dump --snapshot``, so writes during the check never count as differences.

The commands are ``manage.py db_backup``, ``db_restore`` and ``db_backup_check``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from psycopg import sql


class BackupError(Exception):
    """A backup step failed; the message says which and why."""


@dataclass(frozen=True)
class TableCheck:
    table: str
    rows: int
    copy_rows: int
    checksum: str
    copy_checksum: str

    @property
    def same(self) -> bool:
        return self.rows == self.copy_rows and self.checksum == self.copy_checksum


@dataclass(frozen=True)
class CheckReport:
    tables: list[TableCheck]
    dump_bytes: int
    seconds: float

    @property
    def ok(self) -> bool:
        return all(table.same for table in self.tables)

    @property
    def rows(self) -> int:
        return sum(table.rows for table in self.tables)


def _database(alias: str = "default") -> dict[str, Any]:
    database = settings.DATABASES[alias]
    if database["ENGINE"] != "django.db.backends.postgresql":
        raise BackupError("Backups are for PostgreSQL (DATABASE_URL=postgres://...); SQLite is a file to copy.")
    return database


def _client_env(database: dict[str, Any]) -> dict[str, str]:
    """The libpq environment for the command-line tools: the password never appears in a process list."""
    env = dict(os.environ)
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGPASSWORD", "PASSWORD")):
        if database.get(key):
            env[variable] = str(database[key])
    return env


def _conninfo(database: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    info = {"dbname": name or database["NAME"], "host": database.get("HOST") or None, "port": database.get("PORT")}
    info.update({"user": database.get("USER") or None, "password": database.get("PASSWORD") or None})
    return {key: value for key, value in info.items() if value}


def _run(command: list[str], env: dict[str, str]) -> None:
    tool = command[0]
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} is not installed (the PostgreSQL client tools: apt-get install postgresql-client).")
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{tool} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")


def dump(path: str | Path, *, snapshot: str = "", alias: str = "default") -> int:
    """Write a custom-format dump of the database to ``path``; its size in bytes."""
    database = _database(alias)
    path = Path(path)
    partial = path.with_name(f".{path.name}.part")
    command = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"]
    if snapshot:
        command.append(f"--snapshot={snapshot}")
    try:
        _run([*command, database["NAME"]], _client_env(database))
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path.stat().st_size


def restore(path: str | Path, into: str, *, alias: str = "default") -> None:
    """Create the database ``into`` and restore the dump at ``path`` into it (fails if ``into`` exists)."""
    database = _database(alias)
    env = _client_env(database)
    _run(["createdb", "--template=template0", into], env)
    try:
        _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={into}", str(path)], env)
    except BackupError:
        drop(into, alias=alias)
        raise


def drop(name: str, *, alias: str = "default") -> None:
    database = _database(alias)
    if name == database["NAME"]:
        raise BackupError("Refusing to drop the live database.")
    _run(["dropdb", "--if-exists", name], _client_env(database))


def _tables(connection: psycopg.Connection) -> list[str]:
    rows = connection.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    ).fetchall()
    return [row[0] for row in rows]


def fingerprints(connection: psycopg.Connection, tables: list[str]) -> dict[str, tuple[int, str]]:
    """Each table's row count and checksum: the MD5 of its rows' MD5s in sorted order (any row changed shows)."""
    found = {}
    for table in tables:
        query = sql.SQL(
            "SELECT count(*), md5(coalesce(string_agg(h, '' ORDER BY h), '')) "
            "FROM (SELECT md5(t::text) AS h FROM {} t) s"
        ).format(sql.Identifier(table))
        count, checksum = connection.execute(query).fetchone()  # type: ignore[misc]
        found[table] = (count, checksum)
    return found


@contextmanager
def _snapshot(database: dict[str, Any]) -> Iterator[tuple[psycopg.Connection, str]]:
    """A read-only transaction whose snapshot is exported (for ``pg_dump --snapshot``) while it stays open."""
    with psycopg.connect(**_conninfo(database)) as connection:
        connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = connection.execute("SELECT pg_export_snapshot()").fetchone()[0]  # type: ignore[index]
        try:
            yield connection, snapshot
        finally:
            connection.execute("ROLLBACK")


def check(*, alias: str = "default", keep: bool = False, workdir: str | None = None) -> CheckReport:
    """Dump, restore into a fresh database, compare every table; the fresh database is dropped unless ``keep``."""
    database = _database(alias)
    started = time.monotonic()
    copy_name = f"{database['NAME']}_restore_check_{int(time.time())}_{os.getpid()}"[:63]
    with tempfile.TemporaryDirectory(dir=workdir) as folder, _snapshot(database) as (live, snapshot):
        path = Path(folder) / "check.dump"
        size = dump(path, snapshot=snapshot, alias=alias)
        tables = _tables(live)
        expected = fingerprints(live, tables)
        restore(path, copy_name, alias=alias)
        try:
            with psycopg.connect(**_conninfo(database, copy_name)) as copy:
                copy_tables = _tables(copy)
                found = fingerprints(copy, copy_tables)
        finally:
            if not keep:
                drop(copy_name, alias=alias)
    missing = (-1, "missing")
    checks = []
    for table in sorted(set(expected) | set(found)):
        rows, checksum = expected.get(table, missing)
        copy_rows, copy_checksum = found.get(table, missing)
        checks.append(TableCheck(table, rows, copy_rows, checksum, copy_checksum))
    return CheckReport(tables=checks, dump_bytes=size, seconds=time.monotonic() - started)
