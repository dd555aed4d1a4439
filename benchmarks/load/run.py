"""Load on gunicorn + PostgreSQL (SPEC §10): the status page against a bare view, with wrk.

    nice -n 10 .venv/bin/python benchmarks/load/run.py [--duration 60] [--clients 50 100] [--targets status bare]

Targets (each for ``--duration`` seconds at each number of ``--clients``, wrk with 2 threads):

- ``status``: the customer's status page, ``GET /returns/track/<secret>/``, over 200 returns in
  every status with their timelines (the full page: link check, RMA, timeline, follow-up,
  compensation, advisories, template);
- ``lookup``: the look-up form, ``POST /returns/status/`` with a return number and e-mail (rate
  limits raised for the run), answered with a redirect to a fresh secret link (a write per request);
- ``api``: an API list endpoint (``--api-path``, default ``/api/v1/rmas/``) with a token;
- ``bare``: a bare Django view doing one indexed lookup (a device by serial number) through the
  same middleware, under the same gunicorn (``config/benchmark_views.py``).

gunicorn runs with the production settings and config/gunicorn.py (override with --workers,
--threads); the database is DATABASE_URL (default rma_load: created, migrated and filled once).
Printed: requests/s, p50/p90/p99 latency, errors, and each target's ratio to the bare view.

``--rates 650`` adds, for each target, a run at a constant offered rate (an open model,
``benchmarks/load/constant_rate.py``: requests leave on a fixed timetable and latency counts from
when each was due), the measurement for a latency bar at a served rate; ``--clients`` (wrk, a
closed model) gives the maximum throughput. ``--clients`` with no number skips the wrk runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from benchmarks.load.constant_rate import constant_rate
from benchmarks.serving import (
    DEFAULT_DATABASE_URL,
    OUT,
    RAISED_THROTTLES,
    Client,
    django_setup,
    ensure_database,
    fleet,
    free_port,
    gunicorn,
    production_env,
)

HERE = Path(__file__).resolve().parent


def status_paths(count: int) -> list[str]:
    """Secret status links of ``count`` returns spread over every status (made once, found again)."""
    from diagnostics.models import Component
    from diagnostics.services import diagnosis_record
    from rma import services
    from rma.models import RMA, Source, StatusLink
    from rma.status_links import status_link_issue, status_path
    from tests.factories import UserFactory

    serials = fleet(count, prefix="LOADSTATUS")
    staff = UserFactory(username=f"load-{os.getpid()}", is_staff=True, is_superuser=True)
    component, _ = Component.objects.get_or_create(code="load-battery", defaults={"name": "Battery"})
    paths = []
    for n, serial in enumerate(serials):
        rma = RMA.objects.filter(device__serial_number=serial).first()
        if rma is None:
            rma = services.rma_create(
                serial_number=serial,
                customer_email=f"status{n}@example.com",
                customer_name="Load Customer",
                fault_description="The screen flickers and the battery drains overnight.",
                actor=None,
                source=Source.PAGE,
            )
            kw = {"actor": staff, "source": Source.ADMIN}
            steps = n % 6
            if steps >= 1:
                rma = services.rma_authorize(rma=rma, **kw)
            if steps >= 2:
                rma = services.rma_receive(rma=rma, **kw)
            if steps >= 3:
                diagnosis_record(rma=rma, component=component, outcome="confirmed", symptoms="drains", **kw)
                rma.refresh_from_db()
            if steps >= 4:
                rma = services.rma_repair(rma=rma, **kw)
            if steps >= 5:
                rma = services.rma_ship(rma=rma, tracking_number=f"TRK{n}", **kw)
        StatusLink.objects.filter(rma=rma).delete()
        paths.append(status_path(status_link_issue(rma=rma)))
    return paths


def lookup_lua(port: int, numbers: list[tuple[str, str]]) -> Path:
    """A wrk script posting the look-up form with a valid CSRF cookie and token."""
    client = Client(port)
    token = client.csrf_token("/returns/status/")
    cookie = f"csrftoken={client.cookies['csrftoken']}"
    bodies = ",\n".join(
        json.dumps(f"csrfmiddlewaretoken={token}&rma_number={number}&email={email}") for number, email in numbers
    )
    script = (HERE / "paths.lua").read_text()
    done = script[script.index("done = function") :]
    path = OUT / "lookup.lua"
    path.write_text(
        f"local bodies = {{\n{bodies}\n}}\n"
        "counter = 0\n"
        "request = function()\n"
        "  counter = counter % #bodies + 1\n"
        f'  return wrk.format("POST", "/returns/status/", {{["Content-Type"] = "application/x-www-form-urlencoded", '
        f'["Cookie"] = "{cookie}", ["Origin"] = "http://127.0.0.1:{port}"}}, bodies[counter])\n'
        "end\n" + done
    )
    return path


def wrk(port: int, *, script: Path, clients: int, duration: int, env: dict[str, str]) -> dict:
    command = [
        "wrk",
        "-t2",
        f"-c{clients}",
        f"-d{duration}s",
        "--timeout",
        "5s",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}",
    ]
    output = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **env}, check=True).stdout
    found = re.search(r"^RESULT (\{.*\})$", output, re.MULTILINE)
    if not found:
        raise RuntimeError(output)
    result = json.loads(found.group(1))
    result["errors"] = sum(
        result[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts", "http_errors")
    )
    return result


def conditions() -> dict:
    load1, load5, _ = os.getloadavg()
    return {"loadavg_1m_before": round(load1, 2), "loadavg_5m_before": round(load5, 2), "cores": os.cpu_count()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--clients", type=int, nargs="*", default=[50, 100])
    parser.add_argument("--rates", type=float, nargs="*", default=[], help="constant offered rates (open model)")
    parser.add_argument("--targets", nargs="+", default=["bare", "status"])
    parser.add_argument("--api-path", default="/api/v1/rmas/")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--pause", type=int, default=5, help="seconds between runs")
    args = parser.parse_args()

    ensure_database(args.database_url)
    django_setup(args.database_url)
    OUT.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    headers: dict[str, str] = {}
    paths = status_paths(200)
    files["status"] = OUT / "status-paths.txt"
    files["status"].write_text("\n".join(paths) + "\n")
    serials = fleet(20000, prefix="LOAD")
    files["bare"] = OUT / "bare-paths.txt"
    files["bare"].write_text("".join(f"/bench/bare/{s}/\n" for s in serials[::7]))
    if "api" in args.targets:
        from tests.api.conftest import token_key_for
        from tests.factories import UserFactory

        engineer = UserFactory(username=f"load-api-{os.getpid()}", is_staff=True, is_superuser=True)
        headers["api"] = f"Authorization: Token {token_key_for(engineer)}"
        files["api"] = OUT / "api-paths.txt"
        files["api"].write_text(f"{args.api_path}\n")

    settings = {}
    if args.workers:
        settings["workers"] = args.workers
    if args.threads:
        settings["threads"] = args.threads
    env = production_env(args.database_url, RMA_BENCHMARK_VIEWS="true", **RAISED_THROTTLES)
    port = free_port()
    results = []
    open_results: list[dict] = []
    with gunicorn(env, port=port, log=OUT / "load-gunicorn.log", **settings):
        if "lookup" in args.targets:
            from rma.models import RMA

            numbers = list(
                RMA.objects.filter(device__serial_number__startswith="LOADSTATUS").values_list(
                    "number", "customer__email"
                )[:200]
            )
            lookup_script = lookup_lua(port, numbers)
        # warm every process and connection
        wrk(port, script=HERE / "paths.lua", clients=20, duration=5, env={"WRK_PATHS": str(files["status"])})
        for target in args.targets:
            for clients in args.clients:
                time.sleep(args.pause)
                before = conditions()
                if target == "lookup":
                    result = wrk(port, script=lookup_script, clients=clients, duration=args.duration, env={})
                else:
                    env_wrk = {"WRK_PATHS": str(files[target]), "WRK_HEADER": headers.get(target, "")}
                    result = wrk(port, script=HERE / "paths.lua", clients=clients, duration=args.duration, env=env_wrk)
                result.update(target=target, clients=clients, **before)
                results.append(result)
                print(
                    f"{target:7} c={clients:3}  {result['rps']:8.1f} req/s  p50 {result['p50_ms']:6.1f} ms  "
                    f"p99 {result['p99_ms']:6.1f} ms  errors {result['errors']}  (load {before['loadavg_1m_before']})",
                    flush=True,
                )
        for target in args.targets:
            if target == "lookup":
                continue  # a write per request: its bar is throughput, not a served rate's latency
            for rate in args.rates:
                time.sleep(args.pause)
                before = conditions()
                paths = [line for line in files[target].read_text().splitlines() if line]
                summary = constant_rate(port, paths, rate=rate, duration=args.duration, headers=headers.get(target, ""))
                summary.update(target=target, **before)
                open_results.append(summary)
                latency = summary["latency_ms"]
                print(
                    f"{target:7} {rate:6.0f} req/s offered  {summary['achieved_rps']:8.1f} answered/s  "
                    f"p50 {latency['p50']} ms  p99 {latency['p99']} ms  max {latency['max']} ms  "
                    f"errors {summary['error_count']}  (load {before['loadavg_1m_before']})",
                    flush=True,
                )
    bare = {r["clients"]: r["rps"] for r in results if r["target"] == "bare"}
    for r in results:
        if r["clients"] in bare:
            r["ratio_to_bare"] = round(r["rps"] / bare[r["clients"]], 3)
    workers = settings.get("workers") or f"default ({(os.cpu_count() or 1) * 2})"
    summary = {
        "gunicorn": {"workers": workers, "threads": settings.get("threads") or "default (4)"},
        "runs": results,
        "constant_rate_runs": open_results,
    }
    (OUT / "load.json").write_text(json.dumps(summary, indent=2))
    print()
    print("| target | clients | req/s | p50 ms | p99 ms | errors | vs bare |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['target']} | {r['clients']} | {r['rps']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | "
            f"{r['errors']} | {r.get('ratio_to_bare', 0):.0%} |"
        )
    if open_results:
        print()
        print("| target | offered req/s | answered req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | errors |")
        print("|---|---|---|---|---|---|---|---|---|")
        for r in open_results:
            latency = r["latency_ms"]
            print(
                f"| {r['target']} | {r['offered_rps']:.0f} | {r['achieved_rps']:.0f} | {latency['p50']} | "
                f"{latency['p90']} | {latency['p99']} | {latency['p99.9']} | {latency['max']} | {r['error_count']} |"
            )


if __name__ == "__main__":
    main()
