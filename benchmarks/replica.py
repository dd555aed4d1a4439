"""Reports served from a real PostgreSQL streaming replica while writes go to the primary (core.replica).

    nice -n 10 .venv/bin/python benchmarks/replica.py [--devices 300000] [--returns 15000] [--seconds 30]

Builds, under a temporary directory (as the ``postgres`` OS user when run as root), a primary
cluster and a hot standby made from it with ``pg_basebackup -R -X stream``, each on a port of its
own on 127.0.0.1 (the machine's own cluster is not touched); migrates the primary, loads the
fleet of ``benchmarks/reports.py`` (at ``--devices`` and ``--returns``) through it while the
standby follows, and then:

1. checks the standby is one: ``pg_is_in_recovery()``, and a write there is refused;
2. times every report read through ``replica_reads()`` with the replica configured, beside the same
   report with reads on the primary (median of ``--repeat``, in turns);
3. for ``--seconds``, a writer thread commits devices and updates on the primary (batches of 500)
   while the main thread asks the report API (in-process, through the full middleware, with a
   token) for reports, recording where each was read and how far behind the replica said it was;
   and counts, from ``pg_stat_database``, the rows each cluster returned and the transactions each
   committed in that window;
4. measures how long a committed row takes to be visible on the standby, and that a request that
   wrote reads the primary.

Both clusters are stopped and their directory removed at the end (``--keep`` leaves them running and
prints their addresses). Needs PostgreSQL's server binaries (``pg_config --bindir``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import reports as report_bench
from benchmarks.serving import OUT, ROOT, free_port, production_env

NAME = "rma_replica_bench"


def bindir() -> Path:
    out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
    for candidate in [out, *sorted(map(str, Path("/usr/lib/postgresql").glob("*/bin")), reverse=True)]:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    sys.exit("PostgreSQL's server binaries (initdb, pg_ctl, pg_basebackup) were not found.")


def as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(as_postgres(command), check=True, capture_output=True, text=True, **kwargs)


class Clusters:
    """A primary and its streaming standby under one temporary directory."""

    def __init__(self, base: Path, bin_: Path):
        self.base, self.bin = base, bin_
        self.primary, self.standby = base / "primary", base / "standby"
        self.primary_port, self.standby_port = free_port(), free_port()
        self.started: list[Path] = []

    def url(self, port: int, name: str = NAME) -> str:
        return f"postgres://postgres@127.0.0.1:{port}/{name}"

    def ctl(self, data: Path, *args: str) -> None:
        run([str(self.bin / "pg_ctl"), "-D", str(data), "-l", str(data.with_suffix(".log")), "-w", *args])

    def create_primary(self) -> None:
        run([str(self.bin / "initdb"), "-D", str(self.primary), "-U", "postgres", "--auth=trust", "-E", "UTF8"])
        with (self.primary / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nport = {self.primary_port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.base}'\nwal_level = replica\nmax_wal_senders = 4\n"
                "hot_standby = on\n"
            )
        self.ctl(self.primary, "start")
        self.started.append(self.primary)
        run([str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres", NAME])

    def create_standby(self) -> float:
        started = time.perf_counter()
        run(
            [
                str(self.bin / "pg_basebackup"),
                *("-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres"),
                *("-D", str(self.standby), "-R", "-X", "stream", "-c", "fast"),
            ]
        )
        with (self.standby / "postgresql.auto.conf").open("a") as conf:
            conf.write(f"port = {self.standby_port}\n")
        self.ctl(self.standby, "start")
        self.started.append(self.standby)
        return time.perf_counter() - started

    def stop(self) -> None:
        for data in reversed(self.started):
            with contextlib.suppress(subprocess.CalledProcessError):
                self.ctl(data, "stop", "-m", "fast")
        self.started.clear()


@contextlib.contextmanager
def clusters(keep: bool) -> Iterator[Clusters]:
    base = Path(tempfile.mkdtemp(prefix="rma-replica-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    made = Clusters(base, bindir())
    try:
        yield made
    finally:
        if keep:
            print(f"kept: primary {made.url(made.primary_port)}, standby {made.url(made.standby_port)}, in {base}")
        else:
            made.stop()
            shutil.rmtree(base, ignore_errors=True)


def wait_caught_up(timeout: float = 300) -> float:
    """Seconds until the standby has replayed everything the primary has written."""
    from django.db import connections

    started = time.perf_counter()
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        (target,) = cursor.fetchone()
    while time.perf_counter() - started < timeout:
        with connections["replica"].cursor() as cursor:
            cursor.execute("SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), %s) >= 0", [target])
            if cursor.fetchone()[0]:
                return time.perf_counter() - started
        time.sleep(0.05)
    raise RuntimeError("the standby did not catch up")


def db_stats(alias: str) -> tuple[int, int]:
    from django.db import connections

    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT tup_returned + tup_fetched, xact_commit FROM pg_stat_database WHERE datname = %s", [NAME]
        )
        returned, commits = cursor.fetchone()
    return int(returned), int(commits)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class Writer(threading.Thread):
    """Commits on the primary, with its own connection, until stopped: 500 new devices, then 500 updated."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.stop = url, threading.Event()
        self.devices = self.updates = self.commits = self.max_id = 0

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=False) as conn:
            model_id = conn.execute("SELECT min(id) FROM rma_productmodel").fetchone()[0]
            self.max_id = conn.execute("SELECT max(id) FROM rma_device").fetchone()[0]
            batch = 0
            while not self.stop.is_set():
                batch += 1
                with (
                    conn.cursor() as cursor,
                    cursor.copy(
                        "COPY rma_device (serial_number, product_model_id, lot, firmware_version,"
                        " warranty_extension_months, created_at, updated_at) FROM STDIN"
                    ) as copy,
                ):
                    for n in range(500):
                        copy.write_row((f"RW{batch:06d}{n:04d}", model_id, "RW-LOT", "9.9.9", 0, "now", "now"))
                conn.commit()
                self.devices += 500
                first = (batch * 7919) % self.max_id
                conn.execute(
                    "UPDATE rma_device SET updated_at = now() WHERE id BETWEEN %s AND %s", [first, first + 499]
                )
                conn.commit()
                self.updates += 500
                self.commits += 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=300_000)
    parser.add_argument("--returns", type=int, default=15_000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--keep", action="store_true", help="leave both clusters running")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]

    with clusters(args.keep) as made:
        made.create_primary()
        primary_url, standby_url = made.url(made.primary_port), made.url(made.standby_port)
        env = production_env(
            primary_url,
            DATABASE_REPLICA_URL=standby_url,
            RMA_REPLICA_MAX_LAG_SECONDS="60",
            CACHE_URL="locmemcache://",  # nothing here needs the shared Redis
        )
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
        basebackup = made.create_standby()
        print(f"primary :{made.primary_port}, standby :{made.standby_port} (pg_basebackup {basebackup:.1f} s)")

        os.environ.update(env)
        (OUT / "staticfiles").mkdir(parents=True, exist_ok=True)  # whitenoise wants it; no page here needs it
        import django

        django.setup()
        from django.db import DatabaseError, connections
        from django.test import Client
        from django.test.utils import override_settings

        from core.api.tokens import token_issue
        from core.replica import replica_reads

        # 1. the standby is a standby
        with connections["replica"].cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery()")
            assert cursor.fetchone()[0], "the standby is not in recovery"
            try:
                cursor.execute("CREATE TABLE not_here (id int)")
            except DatabaseError as exc:
                print(f"standby in recovery; a write there is refused: {str(exc).strip().splitlines()[0]}")
            else:
                raise AssertionError("the standby accepted a write")

        # the fleet, written to the primary only
        report_bench.DEVICES, report_bench.RMAS = args.devices, args.returns
        report_bench.GOODWILL = max(1, args.returns * 15 // 1000)
        print(f"building the fleet on the primary: {args.devices:,} devices, {args.returns:,} returns")
        report_bench.build(connections["default"], args.seed)
        with connections["default"].cursor() as cursor:
            for table in ("rma_device", "rma_rma", "diagnostics_diagnosis", "rma_goodwillgrant", "rma_customer"):
                cursor.execute(f"VACUUM ANALYZE {table}")
        print(f"standby caught up {wait_caught_up():.2f} s after the build's last commit")

        # 2. each report on the replica and on the primary
        cases = report_bench.cases()
        print()
        print("| report | rows | on the replica (ms) | on the primary (ms) | read from |")
        print("|---|---:|---:|---:|---|")

        for name, case in cases.items():
            times: dict[str, list[float]] = {"replica": [], "primary": []}
            case()
            with replica_reads():
                case()
            source = ""
            for _ in range(args.repeat):
                started = time.perf_counter()
                with replica_reads() as freshness:
                    result = case()
                times["replica"].append(1000 * (time.perf_counter() - started))
                source = freshness.source
                with override_settings(RMA_READ_REPLICA=""):
                    started = time.perf_counter()
                    with replica_reads():
                        case()
                    times["primary"].append(1000 * (time.perf_counter() - started))
            print(
                f"| {name} | {len(result.rows):,} | {statistics.median(times['replica']):.1f} "
                f"| {statistics.median(times['primary']):.1f} | {source} |",
                flush=True,
            )

        # 3. reports through the API while a writer commits on the primary
        from django.contrib.auth import get_user_model

        engineer, _ = get_user_model().objects.get_or_create(
            username="replica-bench", defaults={"is_staff": True, "is_superuser": True}
        )
        _, key = token_issue(user=engineer, name="replica benchmark")
        client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {key}")
        paths = [
            "/api/v1/reports/failure-rates/?by=lot",
            "/api/v1/reports/no-fault-found/",
            "/api/v1/reports/pareto/?by=component",
            "/api/v1/reports/repeats/",
            "/api/v1/reports/failure-rates.csv?by=firmware",
        ]
        client.get(paths[0])
        before = {alias: db_stats(alias) for alias in ("default", "replica")}
        writer = Writer(primary_url)
        writer.start()
        served: list[tuple[str, float, float, int]] = []  # read from, lag, ms, status
        started = time.perf_counter()
        while time.perf_counter() - started < args.seconds:
            path = paths[len(served) % len(paths)]
            began = time.perf_counter()
            response = client.get(path)
            served.append(
                (
                    response["X-Read-From"],
                    float(response["X-Replica-Lag-Seconds"]),
                    1000 * (time.perf_counter() - began),
                    response.status_code,
                )
            )
        writer.stop.set()
        writer.join()
        elapsed = time.perf_counter() - started
        after = {alias: db_stats(alias) for alias in ("default", "replica")}
        lags = [lag for _, lag, _, _ in served]
        sources = {source: sum(1 for s, *_ in served if s == source) for source in {s for s, *_ in served}}
        print()
        print(f"{elapsed:.0f} s of reports through the API while the primary took writes:")
        print(
            f"  reports: {len(served)} answered ({sum(1 for *_, status in served if status == 200)} × 200), "
            f"read from {sources}; median {statistics.median(ms for *_, ms, _ in served):.0f} ms, "
            f"p95 {percentile([ms for *_, ms, _ in served], 0.95):.0f} ms"
        )
        print(
            f"  replica lag the reports stated: median {statistics.median(lags):.3f} s, "
            f"p95 {percentile(lags, 0.95):.3f} s, max {max(lags):.3f} s"
        )
        print(
            f"  writes on the primary: {writer.devices:,} devices inserted and {writer.updates:,} updated "
            f"in {writer.commits} commits ({writer.commits / elapsed:.1f} commits/s)"
        )
        for alias, label in (("default", "primary"), ("replica", "standby")):
            returned = after[alias][0] - before[alias][0]
            commits = after[alias][1] - before[alias][1]
            print(f"  pg_stat_database on the {label}: {returned:,} rows read, {commits:,} transactions committed")

        # 4. how soon a commit is visible on the standby; a request that wrote reads the primary
        delays = []
        for n in range(20):
            serial = f"VIS{n:04d}"
            with connections["default"].cursor() as cursor:
                cursor.execute(
                    "INSERT INTO rma_device (serial_number, product_model_id, lot, firmware_version,"
                    " warranty_extension_months, created_at, updated_at)"
                    " SELECT %s, min(id), 'VIS', '9.9.9', 0, now(), now() FROM rma_productmodel",
                    [serial],
                )
            committed = time.perf_counter()
            while True:
                with connections["replica"].cursor() as cursor:
                    cursor.execute("SELECT 1 FROM rma_device WHERE serial_number = %s", [serial])
                    if cursor.fetchone():
                        break
            delays.append(1000 * (time.perf_counter() - committed))
            time.sleep(0.05)
        print(
            f"  a committed row visible on the standby after: median {statistics.median(delays):.1f} ms, "
            f"max {max(delays):.1f} ms (20 rows)"
        )
        pinned = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {key}")
        pinned.cookies["rma_read_primary"] = "1"
        print(f"  a report right after a write (pin cookie): read from {pinned.get(paths[1])['X-Read-From']}")
        print(f"load average before {load_before:.1f}, after {os.getloadavg()[0]:.1f}")
        connections.close_all()


if __name__ == "__main__":
    main()
