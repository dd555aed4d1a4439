"""A constant-rate (open-model) HTTP load generator: requests leave on a fixed timetable, whatever the server does.

    .venv/bin/python benchmarks/load/constant_rate.py --port 8000 --paths benchmarks/out/status-paths.txt \\
        --rate 650 --duration 60 [--warmup 5] [--json out.json]

Request *i* is due at ``start + i / rate``, is sent on a free keep-alive connection (a new one is
opened when none is free, up to ``--max-connections``; past that it waits for one), and its
latency is counted **from the moment it was due**, not from when it was sent. A closed-model tool
(wrk, ab: N clients, each waiting for its answer before asking again) sends less when the server
slows down, so the queue that a real crowd would build never forms and a stall shows in few
samples (coordinated omission); here a stall delays every request due during it, and each of them
counts. If the generator itself falls behind its timetable, that lateness is in the figures too, and
``send_late_ms`` says how much of it was the generator's.

Paths are taken in turn from the file (one a line). Printed (and written with ``--json``): the
offered and the achieved rate, answers by status, errors (refused, reset, timeouts), latency
percentiles from the due time, and the server's own time (from sending to the last byte).
Plain HTTP/1.1 over asyncio streams, no dependency: about 0.1 ms of CPU a request.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Results:
    rate: float
    duration: float
    latencies: list[float] = field(default_factory=list)  # seconds, from the due time
    service: list[float] = field(default_factory=list)  # seconds, from sending
    late: list[float] = field(default_factory=list)  # seconds the generator sent after the due time
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    connections: int = 0
    elapsed: float = 0.0

    def summary(self) -> dict:
        def pct(values: list[float], share: float) -> float | None:
            if not values:
                return None
            ordered = sorted(values)
            return round(1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))], 2)

        done = len(self.latencies)
        return {
            "model": "open (constant rate)",
            "offered_rps": self.rate,
            "duration_s": self.duration,
            "requests_due": int(self.rate * self.duration),
            "answered": done,
            "achieved_rps": round(done / self.elapsed, 1) if self.elapsed else 0.0,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "errors": dict(self.errors),
            "error_count": sum(self.errors.values()) + sum(v for k, v in self.statuses.items() if k >= 400),
            "connections_opened": self.connections,
            "latency_ms": {name: pct(self.latencies, q) for name, q in PERCENTILES},
            "service_ms": {name: pct(self.service, q) for name, q in PERCENTILES},
            "send_late_ms": {name: pct(self.late, q) for name, q in PERCENTILES},
        }


PERCENTILES = (("p50", 0.50), ("p90", 0.90), ("p99", 0.99), ("p99.9", 0.999), ("max", 1.0))


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()


async def _response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; its status and whether the connection stays open."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.readexactly(int(headers.get(b"content-length", b"0")))
    return status, headers.get(b"connection", b"").lower() != b"close"


class Generator:
    def __init__(self, host: str, port: int, paths: list[str], *, max_connections: int, timeout: float, headers: str):
        self.host, self.port, self.paths = host, port, paths
        self.max_connections, self.timeout = max_connections, timeout
        self.extra = "".join(f"{line.strip()}\r\n" for line in headers.splitlines() if line.strip())
        self.idle: deque[Connection] = deque()
        self.open = 0
        self.freed = asyncio.Event()

    async def _connection(self, results: Results) -> Connection:
        while True:
            if self.idle:
                return self.idle.pop()
            if self.open < self.max_connections:
                self.open += 1
                try:
                    reader, writer = await asyncio.open_connection(self.host, self.port)
                except BaseException:
                    self.open -= 1
                    raise
                results.connections += 1
                return Connection(reader, writer)
            self.freed.clear()
            await self.freed.wait()

    def _release(self, connection: Connection | None, keep: bool) -> None:
        if connection is not None:
            if keep:
                self.idle.append(connection)
            else:
                connection.close()
                self.open -= 1
        self.freed.set()

    async def _one(self, path: str, due: float, results: Results | None) -> None:
        loop = asyncio.get_running_loop()
        sink = results or Results(0, 0)
        connection = None
        keep = False
        try:
            async with asyncio.timeout(self.timeout):
                connection = await self._connection(sink)
                sent = loop.time()
                request = f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{self.extra}\r\n"
                connection.writer.write(request.encode())
                await connection.writer.drain()
                status, keep = await _response(connection.reader)
            done = loop.time()
            if results is not None:
                results.statuses[status] += 1
                results.latencies.append(done - due)
                results.service.append(done - sent)
                results.late.append(max(0.0, sent - due))
        except TimeoutError:
            sink.errors["timeout"] += 1
        except (ConnectionError, asyncio.IncompleteReadError, OSError) as exc:
            sink.errors[type(exc).__name__] += 1
        finally:
            self._release(connection, keep)

    async def run(self, rate: float, duration: float, *, record: bool = True) -> Results:
        loop = asyncio.get_running_loop()
        results = Results(rate, duration)
        total = int(rate * duration)
        start = loop.time() + 0.05
        tasks = set()
        for i in range(total):
            due = start + i / rate
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(self._one(self.paths[i % len(self.paths)], due, results if record else None))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        while tasks:
            await asyncio.gather(*list(tasks))
        results.elapsed = loop.time() - start
        return results

    def close(self) -> None:
        while self.idle:
            self.idle.pop().close()


async def _constant_rate(
    port: int,
    paths: list[str],
    *,
    rate: float,
    duration: float,
    warmup: float,
    host: str,
    max_connections: int,
    timeout: float,
    headers: str,
) -> dict:
    generator = Generator(host, port, paths, max_connections=max_connections, timeout=timeout, headers=headers)
    try:
        if warmup:
            await generator.run(rate, warmup, record=False)
        cpu = time.process_time()
        results = await generator.run(rate, duration)
        summary = results.summary()
        summary["generator_cpu_s"] = round(time.process_time() - cpu, 2)
        return summary
    finally:
        generator.close()


def constant_rate(
    port: int,
    paths: list[str],
    *,
    rate: float,
    duration: float,
    warmup: float = 5.0,
    host: str = "127.0.0.1",
    max_connections: int = 512,
    timeout: float = 5.0,
    headers: str = "",
) -> dict:
    """Offer ``rate`` requests/s for ``duration`` seconds (after ``warmup`` seconds not counted); the summary."""
    return asyncio.run(
        _constant_rate(
            port,
            paths,
            rate=rate,
            duration=duration,
            warmup=warmup,
            host=host,
            max_connections=max_connections,
            timeout=timeout,
            headers=headers,
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--paths", type=Path, required=True, help="a file of paths, one a line")
    parser.add_argument("--rate", type=float, default=650.0, help="requests per second offered")
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds at the same rate, not counted")
    parser.add_argument("--max-connections", type=int, default=512)
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds from the due time to give up")
    parser.add_argument("--header", action="append", default=[], help="an extra request header, `Name: value`")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    paths = [line.strip() for line in args.paths.read_text().splitlines() if line.strip()]
    summary = constant_rate(
        args.port,
        paths,
        rate=args.rate,
        duration=args.duration,
        warmup=args.warmup,
        host=args.host,
        max_connections=args.max_connections,
        timeout=args.timeout,
        headers="\n".join(args.header),
    )
    summary["loadavg_1m_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
