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
The load generator (aiohttp) runs on the same machine and prints its own CPU use.
Server settings come from the environment (YIMEN_MAX_CONCURRENT_REQUESTS, YIMEN_FASTLANE, …).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WINDOWS = 400
MAX_IN_FLIGHT = 200
BENCH_SETTINGS = """from yimen.settings import *  # noqa: F401,F403

DATABASES["default"]["CONN_MAX_AGE"] = 0          # required with a pool
DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
DATABASES["default"].setdefault("OPTIONS", {{}})["pool"] = {{"min_size": 4, "max_size": {pool}, "timeout": 30}}
"""
ITEM = "XN-CG-001"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_database(url: str):
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def prepare(url: str, windows: int) -> dict:
    """Schema, demo data and the bench outlet (runs Django in this process)."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yimen.settings")
    # production mode needs its keys; the loader and the server share them (personal data)
    os.environ.setdefault("YIMEN_SECRET_KEY", "bench-only-" + uuid.uuid4().hex)
    os.environ.setdefault("YIMEN_DATA_KEY", "bench-only-" + uuid.uuid4().hex)
    subprocess.run([str(BIN / "yimen"), "migrate", "--noinput", "-v", "0"], check=True, cwd=ROOT)
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils.module_loading import import_string

    from yimen.catalog.models import ServiceItem
    from yimen.outlets.models import Outlet, Window
    from yimen.queueing.models import Queue, Ticket
    from yimen.staff.models import Staff, WindowSession
    from yimen.staff.tokens import issue_token

    if not Outlet.objects.filter(code="XN-CX").exists():
        for path in settings.YIMEN_DEMO_LOADERS:
            import_string(path)(stdout=None)
    all_day = ["00:00-23:59"]
    with transaction.atomic():
        outlet, _ = Outlet.objects.update_or_create(
            code="BENCH",
            defaults=dict(
                name="压测网点",
                kind="district_centre",
                holiday_rule="open_on_off_days",
                weekly_hours={
                    k: all_day for k in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                },
            ),
        )
        outlet.items.set(ServiceItem.objects.filter(comprehensive=True))
        existing = set(Window.objects.filter(outlet=outlet).values_list("number", flat=True))
        Window.objects.bulk_create(
            [
                Window(
                    outlet=outlet,
                    code=f"BENCH-ZH-{n}",
                    group_code="BENCH-ZH",
                    number=str(n),
                    kind="综合窗口",
                    scope="comprehensive",
                    label="综合窗口",
                )
                for n in range(1, windows + 1)
                if str(n) not in existing
            ]
        )
        Queue.objects.get_or_create(
            outlet=outlet,
            code="BENCH-ZH",
            defaults=dict(name="综合", prefix="A", window_group="BENCH-ZH"),
        )
        # a clean day for the bench: earlier bench tickets are closed
        Ticket.objects.filter(outlet=outlet, status__in=["waiting", "called", "serving"]).update(
            status="cancelled"
        )
        WindowSession.objects.filter(window__outlet=outlet, ended_at__isnull=True).delete()
        Staff.objects.filter(outlet=outlet).update(active=False)
        users = get_user_model()
        tokens = []
        stamp = uuid.uuid4().hex[:6]
        from yimen.core import clock

        for w in Window.objects.filter(outlet=outlet).order_by("pk")[:windows]:
            user = users.objects.create_user(username=f"bench-{stamp}-{w.number}", password=None)
            staff = Staff.objects.create(
                user=user, name=f"压测{w.number}", role="clerk", outlet=outlet
            )
            WindowSession.objects.create(window=w, staff=staff, started_at=clock.now())
            _t, raw = issue_token(staff=staff)
            tokens.append((w.pk, raw))
        _t, device = issue_token(outlet=outlet, label="bench-kiosk")
    # fresh planner statistics: earlier runs left tens of thousands of tickets and events, and with
    # stale statistics PostgreSQL picked scans that made the board ~5× slower (what autovacuum's
    # analyze would also fix, a few minutes later)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"device": device, "windows": tokens}


class Stats:
    def __init__(self):
        self.latency = defaultdict(list)
        self.status = defaultdict(lambda: defaultdict(int))
        self.began = time.monotonic()
        self.by_second = defaultdict(
            list
        )  # second of the run -> latencies (ms) of requests sent then
        self.lag = defaultdict(
            float
        )  # second of the run -> the load generator's worst event-loop lag (ms)
        self.slowest = []  # (ms, name, second sent, status)

    def add(self, name, seconds, status):
        self.latency[name].append(seconds * 1000)
        self.status[name][status] += 1
        sent = int(time.monotonic() - seconds - self.began)
        self.by_second[sent].append(seconds * 1000)
        self.slowest = sorted(self.slowest + [(seconds * 1000, name, sent, status)], reverse=True)[
            :8
        ]

    async def watch_lag(self, stop: float, interval: float = 0.01):
        """The load generator measures latency on its own event loop: a stall here (its garbage
        collector, a burst of callbacks) would look like a slow server. Records how late a 10 ms
        sleep wakes up, per second."""
        while time.monotonic() < stop:
            before = time.monotonic()
            await asyncio.sleep(interval)
            late = (time.monotonic() - before - interval) * 1000
            second = int(before - self.began)
            self.lag[second] = max(self.lag[second], late)

    def timeline(self) -> str:
        """Per second of the run: requests sent, and the slowest of them (ms) — shows whether the
        tail is spread out or a few stalls."""
        return " ".join(f"{sec}:{len(v)}/{max(v):.0f}" for sec, v in sorted(self.by_second.items()))

    def diagnosis(self) -> dict:
        return {
            "slowest": [
                f"{ms:.0f} ms {name} (second {sec}, {status})"
                for ms, name, sec, status in self.slowest
            ],
            "generator_lag_ms": {
                "max": round(max(self.lag.values(), default=0.0), 1),
                "seconds_over_10ms": sorted(s for s, v in self.lag.items() if v > 10),
            },
        }

    def report(self, elapsed: float) -> dict:
        out = {}
        everything = [v for values in self.latency.values() for v in values]
        status = defaultdict(int)
        for counts in self.status.values():
            for code, n in counts.items():
                status[code] += n
        rows = sorted(self.latency.items())
        if len(rows) > 1:
            rows.append(("(all requests)", everything))
            self.status["(all requests)"] = status
        for name, values in rows:
            values.sort()
            out[name] = {
                "requests": len(values),
                "per_second": round(len(values) / elapsed, 1),
                "p50_ms": round(statistics.median(values), 1),
                "p99_ms": round(values[min(len(values) - 1, int(len(values) * 0.99))], 1),
                "status": dict(self.status[name]),
            }
        return out


class Reply:
    def __init__(self, status, body):
        self.status_code = status
        self.body = body

    def json(self):
        return json.loads(self.body)


_complaints = [1] * 5  # the first few unexpected 4xx answers are printed


async def timed(stats, client, name, method, url, **kw):
    started = time.perf_counter()
    try:
        async with client.request(method, url, **kw) as response:
            body = await response.read()
        if (
            response.status >= 500 or response.status in (400, 409, 422) and _complaints.pop()
            if _complaints
            else 0
        ):
            print(f"{name}: {response.status} {body[:200]!r}", file=sys.stderr)
        stats.add(name, time.perf_counter() - started, response.status)
        return Reply(response.status, body)
    except Exception as exc:  # noqa: BLE001 — counted, the run goes on
        stats.add(name, time.perf_counter() - started, type(exc).__name__)
        return None


def session(base):
    """aiohttp, not httpx: with hundreds of concurrent requests httpx's connection pool cost the
    load generator most of a core (~18 ms CPU per request measured), starving the server it
    shares the 2 cores with. At most MAX_IN_FLIGHT connections (like a reverse proxy's upstream
    limit); latency figures include the wait for a free connection."""
    import aiohttp

    return aiohttp.ClientSession(
        base_url=base,
        connector=aiohttp.TCPConnector(limit=MAX_IN_FLIGHT),
        timeout=aiohttp.ClientTimeout(total=30),
    )


async def phase_profile(client, env, seconds, tickets_per_s, board_per_s):
    stats = Stats()
    stop = time.monotonic() + seconds
    device = {"Authorization": f"Bearer {env['device']}"}

    async def issuer():
        n = 0
        while time.monotonic() < stop:
            n += 1
            asyncio.create_task(
                timed(
                    stats,
                    client,
                    "POST tickets",
                    "POST",
                    "/api/outlets/BENCH/tickets",
                    json={"item_code": ITEM},
                    headers={**device, "Idempotency-Key": uuid.uuid4().hex},
                )
            )
            await asyncio.sleep(1 / tickets_per_s)

    async def boards():
        while time.monotonic() < stop:
            asyncio.create_task(
                timed(stats, client, "GET board", "GET", "/api/outlets/BENCH/board")
            )
            await asyncio.sleep(1 / board_per_s)

    async def window(wid, token):
        headers = {"Authorization": f"Bearer {token}"}
        await asyncio.sleep(random.uniform(0, 4))
        while time.monotonic() < stop:
            r = await timed(
                stats,
                client,
                "POST call-next",
                "POST",
                f"/api/windows/{wid}/call-next",
                headers=headers,
            )
            if r is not None and r.status_code == 200:
                tid = r.json()["id"]
                await timed(
                    stats,
                    client,
                    "POST start",
                    "POST",
                    f"/api/tickets/{tid}/start",
                    headers=headers,
                )
                await timed(
                    stats,
                    client,
                    "POST finish",
                    "POST",
                    f"/api/tickets/{tid}/finish",
                    headers=headers,
                )
            await asyncio.sleep(random.uniform(2, 6))

    began, cpu = time.monotonic(), time.process_time()
    await asyncio.gather(
        issuer(), boards(), stats.watch_lag(stop), *(window(w, t) for w, t in env["windows"])
    )
    await asyncio.sleep(1)
    elapsed = time.monotonic() - began
    report = stats.report(elapsed)
    report["load_generator_cpu"] = round((time.process_time() - cpu) / elapsed, 2)
    report["timeline"] = stats.timeline()
    report["diagnosis"] = stats.diagnosis()
    return report


async def warm_up(client, env, rounds=3, cycles=4, clients=8, board_seconds=2.0):
    """Not measured: every window client asks once per round (nobody waits yet), at ~200 req/s,
    then `clients` windows run `cycles` full ticket cycles each (issue → call → start → finish),
    then the boards are read at 100/s for `board_seconds` — so the 10× phase measures a hall in
    its steady state, not the server's first sight of 400 tokens, each process's first ticket or
    the first board read after a pause (an entry nobody read for 10 s is no longer kept current)."""
    stats = Stats()
    for _ in range(rounds):
        for wid, token in env["windows"]:
            asyncio.create_task(
                timed(
                    stats,
                    client,
                    "warm-up",
                    "POST",
                    f"/api/windows/{wid}/call-next",
                    headers={"Authorization": f"Bearer {token}"},
                )
            )
            await asyncio.sleep(0.005)
    await asyncio.sleep(2)
    device = {"Authorization": f"Bearer {env['device']}"}

    async def cycle(wid, token):
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(cycles):
            await timed(
                stats,
                client,
                "warm-up",
                "POST",
                "/api/outlets/BENCH/tickets",
                json={"item_code": ITEM},
                headers={**device, "Idempotency-Key": uuid.uuid4().hex},
            )
            r = await timed(
                stats, client, "warm-up", "POST", f"/api/windows/{wid}/call-next", headers=headers
            )
            if r is not None and r.status_code == 200:
                tid = r.json()["id"]
                await timed(
                    stats, client, "warm-up", "POST", f"/api/tickets/{tid}/start", headers=headers
                )
                await timed(
                    stats, client, "warm-up", "POST", f"/api/tickets/{tid}/finish", headers=headers
                )

    await asyncio.gather(*(cycle(w, t) for w, t in env["windows"][:clients]))
    for _ in range(int(board_seconds * 100)):
        asyncio.create_task(timed(stats, client, "warm-up", "GET", "/api/outlets/BENCH/board"))
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.5)
    return stats.report(1)


async def warm_and_profile(base, env, seconds, tickets_per_s, board_per_s):
    """Warm-up, then phase A on the same client: its keep-alive connections stay open, as the
    kiosks, windows and displays of a running hall keep theirs."""
    async with session(base) as client:
        await warm_up(client, env)
        return await phase_profile(client, env, seconds, tickets_per_s, board_per_s)


async def phase_max(base, env, seconds, clients):
    stats = Stats()
    stop = time.monotonic() + seconds
    cycles = 0
    async with session(base) as client:
        device = {"Authorization": f"Bearer {env['device']}"}

        async def cycle(wid, token):
            nonlocal cycles
            headers = {"Authorization": f"Bearer {token}"}
            while time.monotonic() < stop:
                await timed(
                    stats,
                    client,
                    "POST tickets",
                    "POST",
                    "/api/outlets/BENCH/tickets",
                    json={"item_code": ITEM},
                    headers={**device, "Idempotency-Key": uuid.uuid4().hex},
                )
                r = await timed(
                    stats,
                    client,
                    "POST call-next",
                    "POST",
                    f"/api/windows/{wid}/call-next",
                    headers=headers,
                )
                if r is None or r.status_code != 200:
                    continue
                tid = r.json()["id"]
                await timed(
                    stats,
                    client,
                    "POST start",
                    "POST",
                    f"/api/tickets/{tid}/start",
                    headers=headers,
                )
                f = await timed(
                    stats,
                    client,
                    "POST finish",
                    "POST",
                    f"/api/tickets/{tid}/finish",
                    headers=headers,
                )
                if f is not None and f.status_code == 200:
                    cycles += 1

        began, cpu = time.monotonic(), time.process_time()
        await asyncio.gather(*(cycle(w, t) for w, t in env["windows"][:clients]))
        elapsed = time.monotonic() - began
        report = stats.report(elapsed)
        report["load_generator_cpu"] = round((time.process_time() - cpu) / elapsed, 2)
        report["full_cycles_per_second"] = round(cycles / elapsed, 1)
        report["full_cycles"] = cycles
        return report


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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/yimen_bench"),
    )
    parser.add_argument("--profile-seconds", type=float, default=30)
    parser.add_argument("--max-seconds", type=float, default=20)
    parser.add_argument("--cycle-clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pool-size", type=int, default=12, help="database connections per worker")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgres"):
        parser.error("the benchmark runs against PostgreSQL (DATABASE_URL=postgres://…)")

    ensure_database(args.database_url)
    env = prepare(args.database_url, WINDOWS)
    port = free_port()
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
    server = subprocess.Popen(
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
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        for _ in range(100):
            try:
                if httpx.get(base + "/api/outlets/BENCH/board", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        else:
            raise SystemExit("server did not start")
        profile = asyncio.run(warm_and_profile(base, env, args.profile_seconds, 5, 100))
        fastest = asyncio.run(phase_max(base, env, args.max_seconds, args.cycle_clients))
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
    result = {
        "profile_10x": profile,
        "max": fastest,
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
        print(f"\nload average after the run: {os.getloadavg()}")


if __name__ == "__main__":
    main()
