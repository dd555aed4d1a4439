"""Progress of a long command (imports, backtests, ``seed_demo``): a bar on a terminal, plain lines otherwise.

    progress = Progress(self.stderr, total=size, label="Reading devices.csv", unit="bytes")
    ...
    progress.advance(n)      # or progress.set(done), progress.step("fleet")
    progress.finish()

On a terminal one line is redrawn in place, at most ten times a second::

    Reading devices.csv [##########..........]  52%  140 MB of 270 MB  9.8 MB/s  0:13 left

Elsewhere (a log file, CI, a pipe) a plain line is written every ``every_seconds`` (10) and at the
end, so a log shows the command is alive without a line per row::

    Reading devices.csv: 52% (140 MB of 270 MB), 9.8 MB/s, 0:13 left

Progress goes to standard error, so what a command prints as its result stays clean on standard output.
"""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import IO, Any

BAR_WIDTH = 20


def _amount(value: float, unit: str) -> str:
    if unit == "bytes":
        for size, name in ((1 << 30, "GB"), (1 << 20, "MB"), (1 << 10, "kB")):
            if value >= size:
                return f"{value / size:,.1f} {name}"
        return f"{value:,.0f} B"
    return f"{value:,.0f}" + (f" {unit}" if unit else "")


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    """How far a long task has come, written to ``stream`` as a bar (terminal) or periodic lines."""

    def __init__(
        self,
        stream: Any,
        *,
        total: float | None,
        label: str,
        unit: str = "",
        every_seconds: float = 10.0,
        terminal: bool | None = None,
        clock=time.monotonic,
    ) -> None:
        self.stream = stream
        self.total = total or None
        self.label = label
        self.unit = unit
        self.every = every_seconds
        self.terminal = self._is_terminal(stream) if terminal is None else terminal
        self.clock = clock
        self.started = clock()
        self.done = 0.0
        self.note = ""
        self._written_at = -1e9
        self._finished = False

    @staticmethod
    def _is_terminal(stream: Any) -> bool:
        target = getattr(stream, "_out", stream)  # Django's OutputWrapper around the real stream
        isatty = getattr(target, "isatty", None)
        try:
            return bool(isatty and isatty())
        except ValueError:  # a closed stream
            return False

    # Moving on ------------------------------------------------------------------------------------

    def advance(self, amount: float = 1) -> None:
        self.set(self.done + amount)

    def set(self, done: float) -> None:
        self.done = done
        self._maybe_write()

    def step(self, note: str) -> None:
        """One step of a task counted in steps, named (``seed_demo``'s phases, a backtest's weeks)."""
        self.note = note
        self.advance(1)

    def finish(self) -> None:
        if self._finished:
            return
        self._finished = True
        if self.total:
            self.done = max(self.done, self.total)
        self._write(final=True)

    # Writing --------------------------------------------------------------------------------------

    def _maybe_write(self) -> None:
        now = self.clock()
        if now - self._written_at >= (0.1 if self.terminal else self.every):
            self._written_at = now
            self._write(final=False)

    def text(self) -> tuple[str, str]:
        """What is known now: (the figures, the time left or taken)."""
        elapsed = max(self.clock() - self.started, 1e-9)
        rate = self.done / elapsed
        figures = _amount(self.done, self.unit)
        if self.total and self.unit == "bytes":
            figures = f"{_amount(self.done, self.unit)} of {_amount(self.total, self.unit)}"
        elif self.total:
            figures = f"{self.done:,.0f} of {_amount(self.total, self.unit)}"
        speed = f"{_amount(rate, self.unit)}/s"
        if self._finished:
            timing = f"done in {_duration(elapsed)}"
        elif self.total and rate > 0:
            timing = f"{_duration(max(self.total - self.done, 0) / rate)} left"
        else:
            timing = f"{_duration(elapsed)} so far"
        note = f" ({self.note})" if self.note else ""
        return f"{figures}, {speed}{note}", timing

    def _write(self, *, final: bool) -> None:
        figures, timing = self.text()
        share = min(self.done / self.total, 1.0) if self.total else None
        if self.terminal:
            bar = ""
            if share is not None:
                filled = int(share * BAR_WIDTH)
                bar = f" [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {share:4.0%}"
            line = f"\r{self.label}{bar}  {figures.replace(', ', '  ')}  {timing}\033[K" + ("\n" if final else "")
        else:
            percent = f"{share:.0%} " if share is not None else ""
            line = f"{self.label}: {percent}({figures}), {timing}\n"
        if _is_django(self.stream):
            self.stream.write(line, ending="")
        else:
            self.stream.write(line)
        flush = getattr(self.stream, "flush", None)
        if flush:
            flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()


def _is_django(stream: Any) -> bool:
    return hasattr(stream, "style_func")  # django.core.management.base.OutputWrapper


class _CountingReader(io.RawIOBase):
    """A binary file whose reads move a ``Progress`` on by the bytes read."""

    def __init__(self, raw: IO[bytes], progress: Progress) -> None:
        self.raw = raw
        self.progress = progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        count = self.raw.readinto(buffer)  # type: ignore[attr-defined]
        if count:
            self.progress.advance(count)
        return count

    def close(self) -> None:
        self.raw.close()
        super().close()


def open_counted(path: str | Path, progress: Progress, *, encoding: str = "utf-8-sig") -> io.TextIOWrapper:
    """``path`` opened as text (``newline=""`` for the csv module) whose reading moves ``progress`` by bytes."""
    raw = open(path, "rb")  # noqa: SIM115  (closed with the text wrapper)
    return io.TextIOWrapper(io.BufferedReader(_CountingReader(raw, progress)), encoding=encoding, newline="")
