"""Queue API load benchmark (PostgreSQL, loopback only, bounded run).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yimen_bench .venv/bin/python bench/queue_load.py

1. Prepares the database (migrate + demo network) and a bench outlet `BENCH` with 400
   comprehensive windows, each with a clerk signed in and an API token, open around the clock.
2. Starts uvicorn (ASGI, `--workers 2`; each process fills its configuration cache as it starts)
   on a spare loopback port and warms it up, not measured: each window asks once per round,
   3 rounds, then 8 windows run 4 full ticket cycles each, then 2 s of board reads; phase A
   goes on over the same client connections (kept alive, as in a running hall).
3. Phase A — 10× a city's peak for --profile-seconds: 5 tickets/s issued (open loop), 400
   windows calling (each: call-next; when it gets a ticket start + finish; then a 2–6 s pause),
   100 board reads/s (open loop).
4. Phase B — as fast as it can for --max-seconds: --cycle-clients closed-loop clients each doing
   the full ticket cycle issue → call-next → start → finish at its own window.
Prints throughput and p50/p99 latency per endpoint for both phases (and --json for a document).
The load generator (aiohttp, `queue_load_client.py`) runs on the same machine and prints its own
CPU use; the database and bench outlet are prepared by `queue_load_setup.py`.
Server settings come from the environment (YIMEN_MAX_CONCURRENT_REQUESTS, YIMEN_FASTLANE, …).

`--nodes N` starts N servers (each `--workers` processes) on N ports, as N machines behind a
proxy would be, and spreads the requests over them round robin; afterwards it prints each
node's cache-keeping cost from its /metrics (changes seen, refresher rounds and CPU). For one
against two nodes on the same machine: `--nodes 1 --workers 1` and `--nodes 2 --workers 1`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

# run as a script (`python bench/queue_load.py`): its own directory is on sys.path
from queue_load_client import phase_max, warm_and_profile
from queue_load_setup import BENCH_SETTINGS, BIN, ROOT, ensure_database, free_port, prepare

WINDOWS = 400


def print_report(title, report):
    print(f"\n== {title}")
    print(f"{'endpoint':<18}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}  status")
    for name, row in report.items():
        if isinstance(row, dict) and "p99_ms" in row:
            print(
                f"{name:<18}{row['requests']:>9}{row['per_second']:>9}{row['p50_ms']:>9}{row['p99_ms']:>9}  "
                f"{row['status']}"
            )
    print(
        f"load generator's own CPU: {report['load_generator_cpu']} cores (shares the machine with the server)"
    )
    if "timeline" in report:
        print(f"per second sent, requests/slowest ms: {report['timeline']}")
    if "diagnosis" in report:
        lag = report["diagnosis"]["generator_lag_ms"]
        print(
            f"load generator's worst event-loop lag: {lag['max']} ms; seconds with a lag over 10 ms: "
            f"{lag['seconds_over_10ms'] or 'none'}"
        )
        print("slowest requests: " + "; ".join(report["diagnosis"]["slowest"]))
    if "full_cycles_per_second" in report:
        print(
            f"full ticket cycles (issue+call+start+finish): {report['full_cycles']} "
            f"= {report['full_cycles_per_second']}/s"
        )


def start_nodes(args) -> tuple[list[subprocess.Popen], list[str]]:
    """`args.nodes` uvicorn servers (`args.workers` processes each) on spare loopback ports."""
    # Under ASGI every request runs in its own thread: persistent connections (CONN_MAX_AGE > 0)
    # would pile up one per thread, and a new connection per request costs a PostgreSQL backend
    # fork. The server therefore runs with Django's psycopg connection pool (bench settings).
    settings_dir = Path(tempfile.mkdtemp(prefix="yimen-bench-"))
    (settings_dir / "yimen_bench_settings.py").write_text(
        BENCH_SETTINGS.format(pool=args.pool_size)
    )
    server_env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "YIMEN_DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "yimen_bench_settings",
        "PYTHONPATH": os.pathsep.join([str(settings_dir), os.environ.get("PYTHONPATH", "")]),
        "YIMEN_SECRET_KEY": os.environ.get("YIMEN_SECRET_KEY") or "bench-only-" + uuid.uuid4().hex,
        "YIMEN_DATA_KEY": os.environ.get("YIMEN_DATA_KEY") or "bench-only-" + uuid.uuid4().hex,
        "YIMEN_ALLOWED_HOSTS": "127.0.0.1",
        "YIMEN_LOG_LEVEL": "ERROR",
    }
    ports = [free_port() for _ in range(args.nodes)]
    servers = [
        subprocess.Popen(
            [
                str(BIN / "uvicorn"),
                "yimen.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
                "--timeout-keep-alive",
                "60",
                "--no-access-log",
            ],
            cwd=ROOT,
            env=server_env,
        )
        for port in ports
    ]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    return servers, bases


def wait_for(bases: list[str]) -> None:
    import httpx

    for base in bases:
        for _ in range(100):
            try:
                if httpx.get(base + "/api/outlets/BENCH/board", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        else:
            raise SystemExit("server did not start")


def stop_nodes(servers: list[subprocess.Popen]) -> None:
    for server in servers:
        server.terminate()
    for server in servers:
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()


def node_cost(base: str) -> dict:
    """What keeping its caches current cost one process of a node (its /metrics): changes it saw
    (its own and the other processes' NOTIFYs), refresher rounds and their CPU time."""
    import httpx
    from prometheus_client.parser import text_string_to_metric_families

    values = {}
    for family in text_string_to_metric_families(httpx.get(base + "/metrics", timeout=10).text):
        for s in family.samples:
            if not s.labels:
                values[s.name] = s.value
    changes = values.get("yimen_changes_received_total", 0)
    cpu = values.get("yimen_refresher_cpu_seconds_total", 0.0)
    return {
        "changes_seen": int(changes),
        "refresher_rounds": int(values.get("yimen_refresher_rounds_total", 0)),
        "refresher_cpu_s": round(cpu, 2),
        "cpu_ms_per_change": round(1000 * cpu / changes, 3) if changes else None,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/yimen_bench"),
    )
    parser.add_argument("--profile-seconds", type=float, default=30)
    parser.add_argument("--max-seconds", type=float, default=20)
    parser.add_argument("--cycle-clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="processes per node")
    parser.add_argument("--nodes", type=int, default=1, help="servers on their own ports")
    parser.add_argument("--pool-size", type=int, default=12, help="database connections per worker")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgres"):
        parser.error("the benchmark runs against PostgreSQL (DATABASE_URL=postgres://…)")

    ensure_database(args.database_url)
    env = prepare(args.database_url, WINDOWS)
    servers, bases = start_nodes(args)
    try:
        wait_for(bases)
        spread = ",".join(bases)
        profile = asyncio.run(warm_and_profile(spread, env, args.profile_seconds, 5, 100))
        fastest = asyncio.run(phase_max(spread, env, args.max_seconds, args.cycle_clients))
        cache_cost = [node_cost(base) for base in bases]
    finally:
        stop_nodes(servers)
    result = {
        "profile_10x": profile,
        "max": fastest,
        "nodes": args.nodes,
        "cache_cost": cache_cost,
        "workers": args.workers,
        "pool_size": args.pool_size,
        "cpus": os.cpu_count(),
        "load_average_after": os.getloadavg(),
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print_report(
            f"10× peak for {args.profile_seconds:.0f}s (5 tickets/s, {WINDOWS} windows, 100 board reads/s)",
            profile,
        )
        print_report(
            f"as fast as possible for {args.max_seconds:.0f}s ({args.cycle_clients} cycle clients)",
            fastest,
        )
        print(f"\nnodes: {args.nodes} × {args.workers} process(es)")
        for base, cost in zip(bases, cache_cost, strict=True):
            print(f"cache upkeep at {base} (one of its processes, whole run): {cost}")
        print(f"\nload average after the run: {os.getloadavg()}")


if __name__ == "__main__":
    main()
