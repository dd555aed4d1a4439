"""What diagnostics adds to /metrics (``core.extensions.METRICS``): fault signals waiting for an engineer."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily

from diagnostics.models import FaultSignal, FaultSignalStatus


def fault_signal_metrics() -> Iterable[GaugeMetricFamily]:
    open_signals = GaugeMetricFamily(
        "diagnostics_fault_signals_open", "Fault signals raised by the detection scan and not yet looked at."
    )
    open_signals.add_metric([], FaultSignal.objects.filter(status=FaultSignalStatus.OPEN).count())
    return [open_signals]
