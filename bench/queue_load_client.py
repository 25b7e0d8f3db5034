"""Queue load benchmark, the load generator (aiohttp): per-endpoint statistics, the warm-up and
the two measured phases (`bench/queue_load.py` runs them against the server it starts)."""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import sys
import time
import uuid
from collections import defaultdict

MAX_IN_FLIGHT = 200
ITEM = "XN-CG-001"


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


class Spread:
    """Several nodes behind one client, as a proxy spreads them: request i goes to node i mod N
    (`base` is a comma-separated list of node URLs)."""

    def __init__(self, bases):
        self.sessions = [session(b) for b in bases]
        self._next = 0

    async def __aenter__(self):
        for s in self.sessions:
            await s.__aenter__()
        return self

    async def __aexit__(self, *exc):
        for s in self.sessions:
            await s.__aexit__(*exc)

    def request(self, method, url, **kw):
        self._next = (self._next + 1) % len(self.sessions)
        return self.sessions[self._next].request(method, url, **kw)


def session(base):
    """aiohttp, not httpx: with hundreds of concurrent requests httpx's connection pool cost the
    load generator most of a core (~18 ms CPU per request measured), starving the server it
    shares the 2 cores with. At most MAX_IN_FLIGHT connections (like a reverse proxy's upstream
    limit); latency figures include the wait for a free connection."""
    import aiohttp

    if "," in base:
        return Spread(base.split(","))
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
