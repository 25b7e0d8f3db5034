"""Bounded soak run: the 10× profile against several nodes for a while, one line per interval
with each server process's memory (RSS) and the interval's p99 — memory that keeps growing or a
p99 that climbs interval after interval is the finding (issue 20, §4).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yimen_bench .venv/bin/python bench/soak.py \\
        --nodes 2 --minutes 30 --interval 60      # the full run; CI: --minutes 2 --interval 30

Same database preparation, servers and clients as `queue_load.py` (5 tickets/s, 400 windows,
100 board reads/s, spread round robin over the nodes); one warm-up, then back-to-back intervals
over the same connections. Ends with the first and last interval side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path

from queue_load import WINDOWS, start_nodes, stop_nodes, wait_for
from queue_load_client import phase_profile, session, warm_up
from queue_load_setup import ensure_database, prepare


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn --workers N forks them)."""
    total, pids = 0, [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return round(total / 1024, 1)


async def soak(spread, env, intervals, seconds, servers):
    rows = []
    async with session(spread) as client:
        await warm_up(client, env)
        for i in range(intervals):
            report = await phase_profile(client, env, seconds, 5, 100)
            row = {
                "interval": i + 1,
                "requests": report["(all requests)"]["requests"],
                "p50_ms": report["(all requests)"]["p50_ms"],
                "p99_ms": report["(all requests)"]["p99_ms"],
                "tickets_p99_ms": report.get("POST tickets", {}).get("p99_ms"),
                "rss_mb": [rss_mb(s.pid) for s in servers],
                "errors": sum(
                    n
                    for k, n in report["(all requests)"]["status"].items()
                    if not str(k).startswith("2")
                ),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/yimen_bench"),
    )
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1, help="processes per node")
    parser.add_argument("--pool-size", type=int, default=12)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--interval", type=float, default=60, help="seconds per line")
    args = parser.parse_args(argv)
    ensure_database(args.database_url)
    env = prepare(args.database_url, WINDOWS)
    servers, bases = start_nodes(args)
    try:
        wait_for(bases)
        intervals = max(2, int(args.minutes * 60 / args.interval))
        rows = asyncio.run(soak(",".join(bases), env, intervals, args.interval, servers))
    finally:
        stop_nodes(servers)
    first, last = rows[0], rows[-1]
    print(
        f"\nfirst interval: p99 {first['p99_ms']} ms, RSS {first['rss_mb']} MB; "
        f"last: p99 {last['p99_ms']} ms, RSS {last['rss_mb']} MB "
        f"({len(rows)} intervals of {args.interval:.0f} s, {args.nodes} node(s); "
        f"load average {os.getloadavg()})"
    )


if __name__ == "__main__":
    main()
