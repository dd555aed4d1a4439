"""Two detection scans at the same moment give the signals of one scan, none duplicated (PostgreSQL)."""

import threading

import pytest
from django.db import connection

from diagnostics.detection import scan
from diagnostics.models import FaultSignal
from tests.diagnostics.detection_fleet import build_fleet, import_fleet

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_scans_are_idempotent(today):
    # given: a fleet with a faulty lot, and what one scan would raise
    import_fleet(build_fleet(today))
    alone = scan.detect_faults(write=False)
    wanted = sorted(scan.signal_key(signal) for signal in alone.raised)
    assert wanted and FaultSignal.objects.count() == 0

    def racer(start: threading.Barrier, reports: list, errors: list) -> None:
        try:
            start.wait()
            reports.append(scan.detect_faults())
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    # when: two scans start together, twice over
    for _round in range(2):
        start = threading.Barrier(2)
        reports: list = []
        errors: list = []
        threads = [threading.Thread(target=racer, args=(start, reports, errors)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == [] and len(reports) == 2
        raised = sorted(len(report.raised) for report in reports)
        assert raised == ([0, len(wanted)] if _round == 0 else [0, 0])

    # then: the signals of one scan, each once, with the figures a scan of the same data gives
    stored = FaultSignal.objects.select_related("product_model", "component")
    assert sorted(scan.signal_key(signal) for signal in stored) == wanted
    cells = {cell.key: cell for cell in scan.detect_faults(write=False).result.cells}
    for signal in stored:
        cell = cells[scan.signal_key(signal)]
        assert (signal.observed, signal.expected, signal.statistic) == pytest.approx(
            (cell.observed, cell.expected, cell.statistic), abs=1e-3
        )
