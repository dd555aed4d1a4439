"""Long commands show progress (core.progress): a bar on a terminal, plain periodic lines otherwise."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from core.importing import open_csv
from core.progress import Progress


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_without_a_terminal_a_plain_line_every_few_seconds_and_one_at_the_end():
    out, clock = io.StringIO(), Clock()
    progress = Progress(out, total=1000, label="Importing", unit="rows", every_seconds=10, terminal=False, clock=clock)
    for _ in range(100):
        clock.now += 0.5  # 50 s in all, 10 rows every half second
        progress.advance(10)
    progress.finish()
    lines = out.getvalue().splitlines()
    assert 5 <= len(lines) <= 7
    assert lines[0] == "Importing: 1% (10 of 1,000 rows, 20 rows/s), 0:49 left"
    assert lines[-1] == "Importing: 100% (1,000 of 1,000 rows, 20 rows/s), done in 0:50"
    assert "\r" not in out.getvalue() and "\033" not in out.getvalue()


def test_on_a_terminal_one_line_is_redrawn_as_a_bar():
    out, clock = io.StringIO(), Clock()
    progress = Progress(out, total=4 << 20, label="Reading f.csv", unit="bytes", terminal=True, clock=clock)
    clock.now = 1.0
    progress.set(1 << 20)
    text = out.getvalue()
    assert text.startswith("\rReading f.csv [#####...............]  25%  1.0 MB of 4.0 MB  1.0 MB/s  0:03 left")
    assert "\n" not in text
    clock.now = 2.0
    progress.finish()
    assert out.getvalue().endswith("100%  4.0 MB of 4.0 MB  2.0 MB/s  done in 0:02\033[K\n")


def test_steps_are_named_and_an_unknown_total_still_counts():
    out = io.StringIO()
    with Progress(out, total=None, label="Backtest", unit="weeks", terminal=False, every_seconds=0) as progress:
        progress.step("as of 2026-01-05")
    assert out.getvalue().splitlines()[0].startswith("Backtest: (1 weeks, ")
    assert "(as of 2026-01-05)" in out.getvalue()


def test_a_file_read_for_an_import_reports_its_bytes(tmp_path):
    path = tmp_path / "devices.csv"
    path.write_text("\ufeffserial_number,lot\n" + "".join(f"SN-{n},L1\n" for n in range(5000)), encoding="utf-8")
    err = io.StringIO()
    with open_csv(str(path), progress_to=err) as file:
        lines = file.read().splitlines()
    assert lines[0] == "serial_number,lot" and len(lines) == 5001  # the byte-order mark is skipped
    assert err.getvalue().splitlines()[-1].startswith("Reading devices.csv: 100% (")


@pytest.mark.django_db
def test_the_device_import_command_shows_its_progress_on_stderr(tmp_path):
    path = tmp_path / "fleet.csv"
    path.write_text(
        "serial_number,model_sku,lot,manufactured_on,shipped_on,firmware_version\n"
        "SN-PROGRESS-1,PHN-1,L1,2026-01-05,2026-01-20,1.0\n"
    )
    out, err = io.StringIO(), io.StringIO()
    call_command("import_devices", str(path), stdout=out, stderr=err)
    assert "1 row read" in out.getvalue() and "Reading" not in out.getvalue()
    assert "Reading fleet.csv: 100%" in err.getvalue()


@pytest.mark.django_db
def test_a_backtest_shows_its_weeks(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    call_command("detect_faults", "--backtest", "2026-01-05", "2026-02-02", stdout=out, stderr=err)
    assert "Backtest: 100% (5 of 5 weeks" in err.getvalue()
