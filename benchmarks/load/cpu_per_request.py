"""CPU time per request of the status page and of the bare view, in one process, through the whole WSGI stack.

    .venv/bin/python benchmarks/load/cpu_per_request.py [--requests 2000] [--profile 30]

Run after ``benchmarks/load/run.py`` (it uses the paths that wrote to ``benchmarks/out/`` and the same
database, ``--database-url``). Each request is a call of the WSGI application with the production
settings, as gunicorn makes it, without the network: the figure is this process's CPU time
(``time.process_time``), which other work on the machine slows down much less than wall time, so
it stays comparable on a shared machine. PostgreSQL's own CPU is not in it. ``--profile N`` prints
the N functions that took the most CPU time for the status page (cProfile).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from benchmarks.serving import DEFAULT_DATABASE_URL, OUT, RAISED_THROTTLES, production_env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--profile", type=int, default=0)
    args = parser.parse_args()
    os.environ.update(production_env(args.database_url, RMA_BENCHMARK_VIEWS="true", **RAISED_THROTTLES))
    from config.wsgi import application

    def call(path: str) -> str:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0),
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        started: list[str] = []
        body = application(environ, lambda status, headers, exc_info=None: started.append(status))
        b"".join(body)
        body.close()
        return started[0]

    targets = {
        name: [line for line in (OUT / f"{name}-paths.txt").read_text().splitlines() if line]
        for name in ("status", "bare")
    }
    for paths in targets.values():  # warm: connections, the status pages kept rendered
        for path in paths[:500]:
            call(path)
    for name, paths in targets.items():
        cpu, wall = time.process_time(), time.perf_counter()
        statuses = {call(paths[i % len(paths)]) for i in range(args.requests)}
        cpu_ms = 1000 * (time.process_time() - cpu) / args.requests
        wall_ms = 1000 * (time.perf_counter() - wall) / args.requests
        print(f"{name:6} {cpu_ms:.3f} ms CPU a request ({wall_ms:.3f} ms wall), statuses {sorted(statuses)}")
    if args.profile:
        profile = cProfile.Profile(time.process_time)
        paths = targets["status"]
        profile.runcall(lambda: [call(paths[i % len(paths)]) for i in range(args.requests)])
        pstats.Stats(profile).sort_stats("cumulative").print_stats(args.profile)
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
