"""The backup procedure (README "Production"): pg_dump, restore into a fresh database, compare (PostgreSQL only)."""

from __future__ import annotations

import shutil

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from core import backups
from tests.customers.helpers import open_return

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("pg_dump") is None, reason="needs the PostgreSQL client tools"),
]


def test_a_backup_restores_to_the_same_rows_and_checksums(in_warranty_device, capsys, monkeypatch):
    open_return(in_warranty_device)
    reports = []
    real = backups.check
    monkeypatch.setattr(backups, "check", lambda **kw: reports.append(real(**kw)) or reports[-1])
    call_command("db_backup_check")
    assert "The backup restores to the same data" in capsys.readouterr().out
    report = reports[0]
    assert report.ok and report.rows > 0
    tables = {table.table: table for table in report.tables}
    assert tables["rma_rma"].rows == tables["rma_rma"].copy_rows == 1
    assert tables["rma_outboxmessage"].checksum == tables["rma_outboxmessage"].copy_checksum


def test_dump_then_restore_into_a_new_database_by_the_commands(in_warranty_device, tmp_path):
    rma = open_return(in_warranty_device)
    path = tmp_path / "rma.dump"
    call_command("db_backup", str(path))
    name = f"{connection.settings_dict['NAME']}_restored"
    backups.drop(name)
    call_command("db_restore", str(path), name)
    try:
        with psycopg.connect(**backups._conninfo(connection.settings_dict, name)) as copy:
            assert copy.execute("SELECT number FROM rma_rma").fetchall() == [(rma.number,)]
        with pytest.raises(CommandError, match="already exists"):
            call_command("db_restore", str(path), name)
    finally:
        backups.drop(name)


def test_a_copy_that_differs_is_reported(in_warranty_device, monkeypatch, capsys):
    open_return(in_warranty_device)
    real = backups.fingerprints
    calls = []

    def second_call_sees_a_changed_row(conn, tables):
        calls.append(1)
        found = real(conn, tables)
        if len(calls) == 2:
            found["rma_rma"] = (found["rma_rma"][0], "0" * 32)
        return found

    monkeypatch.setattr(backups, "fingerprints", second_call_sees_a_changed_row)
    with pytest.raises(CommandError, match="differs"):
        call_command("db_backup_check")
    reported = [line for line in capsys.readouterr().out.splitlines() if "but the copy has" in line]
    assert len(reported) == 1 and reported[0].startswith("rma_rma: 1 rows")


def test_the_live_database_is_never_dropped():
    with pytest.raises(backups.BackupError):
        backups.drop(connection.settings_dict["NAME"])
