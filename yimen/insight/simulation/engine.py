"""The engine: the SimPy run of a scenario, calling with the live dispatch function, and its statistics."""

from __future__ import annotations

import bisect
import math
import random
import statistics
from dataclasses import dataclass

import simpy

from yimen.core.stats import percentile
from yimen.queueing.rules import (
    WaitingTicket,
    WindowHistory,
    WindowProfile,
    choose_next,
)

from .arrivals import generate_arrivals
from .parsing import fmt_clock
from .routing import _Layout, layout
from .scenario import DAY, WAIT_BINS, Arrival, Scenario, WindowSpec

# --- the engine -----------------------------------------------------------------------------------


def _window_intervals(
    scenario: Scenario, spec: WindowSpec, index: int
) -> list[tuple[float, float, bool]]:
    """Absolute open intervals of one window: (start, end, drain_after) — drain: the hall closes
    at `end`, so the window keeps serving tickets issued before closing."""
    out = []
    for d, spans in enumerate(scenario.days):
        for a, b in spans:
            cuts = sorted({a, b, *[x for s, e, _ in scenario.rota for x in (s, e) if a < x < b]})
            pieces = []
            for x, y in zip(cuts, cuts[1:]):
                n = spec.count
                for s, e, open_ in scenario.rota:
                    if s <= x < e and spec.group in open_:
                        n = open_[spec.group]
                if index < n:
                    if pieces and pieces[-1][1] == x:
                        pieces[-1] = (pieces[-1][0], y)
                    else:
                        pieces.append((x, y))
            for x, y in pieces:
                out.append((d * DAY + x, d * DAY + y, y == b))
    return out


@dataclass
class _Served:
    arrived: float
    wait: float
    service: float
    priority: bool
    queue: str
    window: str
    day: int


class _Run:
    """One replication. Idle windows wait in line (longest idle first); a new ticket is offered to
    them in that order — windows whose own queue it is first, then those that take it as a
    fallback (an idle green window) — and the first for which `choose_next` picks something calls
    it. A window that finishes a service asks `choose_next` itself."""

    def __init__(self, scenario: Scenario, lay: _Layout, arrivals: list[Arrival]):
        self.s = scenario
        self.lay = lay
        self.env = simpy.Environment()
        self.arrivals = arrivals
        self.waiting: list[WaitingTicket] = []
        self.info: dict[int, Arrival] = {}
        self.idle: dict[str, tuple] = {}  # window id → (profile, history, event), in idle order
        self.served: list[_Served] = []
        self.busy: dict[str, list[tuple[float, float]]] = {}
        self.available: dict[str, list[tuple[float, float]]] = {}
        self.abandoned: list[_Served] = []  # called after they had left (wait = until the call)
        self.unserved = 0
        self.max_waiting = 0
        self.queue_samples: list[tuple[float, int]] = []

    def offer(self, ticket: WaitingTicket):
        """A new ticket: the first idle window (own queue before fallback) that calls something."""
        if not self.idle:
            return
        own = [w for w in self.idle.values() if ticket.queue in w[0].queues]
        rest = [w for w in self.idle.values() if ticket.queue not in w[0].queues]
        now = self.env.now
        for profile, history, event in own + rest:
            choice = choose_next(self.waiting, profile, now, self.s.dispatch, history)
            if choice is not None:
                del self.idle[profile.id]
                event.succeed(choice)
                return

    def arrival_process(self):
        for n, arr in enumerate(self.arrivals):
            if arr.at > self.env.now:
                yield self.env.timeout(arr.at - self.env.now)
            queue = self.lay.queue_of[(arr.item, bool(arr.priority))]
            ticket = WaitingTicket(
                id=n,
                queue=queue,
                issued_at=arr.at,
                priority=arr.priority,
                items=frozenset({arr.item}),
            )
            self.info[n] = arr
            self.waiting.append(ticket)
            if len(self.waiting) > self.max_waiting:
                self.max_waiting = len(self.waiting)
            self.queue_samples.append((arr.at, len(self.waiting)))
            self.offer(ticket)

    def window_process(self, spec: WindowSpec, index: int, profile: WindowProfile):
        history = WindowHistory()
        env = self.env
        busy = self.busy.setdefault(profile.id, [])
        available = self.available.setdefault(profile.id, [])
        for start, end, drain in _window_intervals(self.s, spec, index):
            if env.now < start:
                yield env.timeout(start - env.now)
            while True:
                now = env.now
                if now >= end and not drain:
                    break
                choice = (
                    choose_next(self.waiting, profile, now, self.s.dispatch, history)
                    if self.waiting
                    else None
                )
                if choice is None:
                    if now >= end:
                        break
                    event = env.event()
                    self.idle[profile.id] = (profile, history, event)
                    choice = yield event  # a ticket offered by offer(), or None at an interval end
                    if choice is None:
                        continue
                    now = env.now
                ticket = choice.ticket
                self.waiting.remove(ticket)
                history.record(ticket)
                arr = self.info.pop(ticket.id)
                left = now - arr.at > arr.patience  # the holder gave up and left: a no-show
                duration = self.s.no_show_minutes if left else arr.service
                if duration > 0:
                    yield env.timeout(duration)
                    busy.append((now, env.now))
                row = _Served(
                    arr.at,
                    now - arr.at,
                    duration,
                    ticket.is_priority,
                    ticket.queue,
                    profile.id,
                    int(arr.at // DAY),
                )
                (self.abandoned if left else self.served).append(row)
                if env.now >= end and not drain:
                    break
            available.append((start, max(end, env.now) if drain else end))

    def ticker(self, moments):
        """Wake idle windows at the end of open intervals (so they can close)."""
        for t in moments:
            if t > self.env.now:
                yield self.env.timeout(t - self.env.now)
            idle, self.idle = self.idle, {}
            for _profile, _history, event in idle.values():
                event.succeed(None)

    def run(self):
        self.env.process(self.arrival_process())
        ends = set()
        for spec, index, profile in self.lay.profiles:
            ends.update(e for _s, e, _d in _window_intervals(self.s, spec, index))
            self.env.process(self.window_process(spec, index, profile))
        self.env.process(self.ticker(sorted(ends)))
        self.env.run()
        self.unserved = len(self.waiting)
        return self


def _percentile(values: list[float], q: float) -> float:
    """core.stats.percentile, 0.0 for no values (the twin's tables show a number)."""
    return percentile(values, q) or 0.0


def _summary(rows: list[_Served], sla: float) -> dict:
    waits = sorted(r.wait for r in rows)
    if not waits:
        return {
            "served": 0,
            "mean_wait_minutes": 0.0,
            "p90_wait_minutes": 0.0,
            "max_wait_minutes": 0.0,
            "sla_15min": None,
            "mean_service_minutes": 0.0,
        }
    return {
        "served": len(waits),
        "mean_wait_minutes": round(statistics.fmean(waits), 3),
        "p90_wait_minutes": round(_percentile(waits, 0.9), 3),
        "max_wait_minutes": round(waits[-1], 3),
        "sla_15min": round(sum(1 for w in waits if w <= sla + 1e-9) / len(waits), 4),
        "mean_service_minutes": round(statistics.fmean(r.service for r in rows), 3),
    }


# Student t 0.975 quantiles for small samples (n − 1 degrees of freedom).
_T975 = {
    1: 12.706,
    2: 4.303,
    3: 3.182,
    4: 2.776,
    5: 2.571,
    6: 2.447,
    7: 2.365,
    8: 2.306,
    9: 2.262,
    10: 2.228,
    15: 2.131,
    20: 2.086,
    30: 2.042,
}


def _t975(df: int) -> float:
    for k in sorted(_T975, reverse=True):
        if df >= k:
            return _T975[k] if df <= 30 else 1.96
    return _T975[1]


def simulate(scenario: Scenario) -> dict:
    """Run the scenario's replications; one JSON-ready dict of results."""
    lay = layout(scenario)
    # statistics count tickets issued after the warm-up (measured from the first opening)
    warm = (
        scenario.days[0][0][0] + scenario.warmup_minutes
        if scenario.warmup_minutes and scenario.days
        else -math.inf
    )
    rows: list[_Served] = []
    gave_up: list[_Served] = []
    rep_means: list[float] = []
    busy_total = avail_total = 0.0
    unserved = max_waiting = arrivals_total = 0
    busy_by_window: dict[str, float] = {}
    avail_by_window: dict[str, float] = {}
    queue_samples: list[tuple[float, int]] = []
    for r in range(scenario.replications):
        rng = random.Random(scenario.seed + r)
        arrivals = generate_arrivals(scenario, rng)
        arrivals_total += len(arrivals)
        run = _Run(scenario, lay, arrivals).run()
        counted = [x for x in run.served if x.arrived >= warm]
        rows.extend(counted)
        gave_up.extend(x for x in run.abandoned if x.arrived >= warm)
        rep_means.append(statistics.fmean(x.wait for x in counted) if counted else 0.0)
        for wid, intervals in run.busy.items():
            b = sum(max(0.0, e - max(s, warm)) for s, e in intervals)
            busy_by_window[wid] = busy_by_window.get(wid, 0.0) + b
            busy_total += b
        for wid, intervals in run.available.items():
            a = sum(max(0.0, e - max(s, warm)) for s, e in intervals)
            avail_by_window[wid] = avail_by_window.get(wid, 0.0) + a
            avail_total += a
        unserved += run.unserved
        max_waiting = max(max_waiting, run.max_waiting)
        if r == 0:
            queue_samples = run.queue_samples

    result = _summary(rows, scenario.sla_minutes)
    result["utilisation"] = round(busy_total / avail_total, 4) if avail_total else 0.0
    result["per_priority"] = {
        "ordinary": _summary([x for x in rows if not x.priority], scenario.sla_minutes),
        "priority": _summary([x for x in rows if x.priority], scenario.sla_minutes),
    }
    for key, flag in (("ordinary", False), ("priority", True)):
        # the share of the windows' open time spent serving this class
        class_busy = sum(x.service for x in rows if x.priority == flag)
        result["per_priority"][key]["utilisation"] = (
            round(class_busy / avail_total, 4) if avail_total else 0.0
        )
    result["per_queue"] = {
        q: _summary([x for x in rows if x.queue == q], scenario.sla_minutes)
        for q in sorted({x.queue for x in rows})
    }
    result["per_window"] = {
        wid: {
            "served": sum(1 for x in rows if x.window == wid),
            "utilisation": round(busy_by_window.get(wid, 0.0) / avail_by_window[wid], 4)
            if avail_by_window.get(wid)
            else 0.0,
        }
        for wid in [p.id for _s, _i, p in lay.profiles]
    }
    n = len(rep_means)
    mean = statistics.fmean(rep_means) if rep_means else 0.0
    half = _t975(n - 1) * statistics.stdev(rep_means) / math.sqrt(n) if n > 1 else None
    result["confidence"] = {
        "replications": n,
        "replication_mean_waits": [round(m, 3) for m in rep_means],
        # waits cannot be negative: the interval is clipped at 0
        "mean_wait_ci95": [round(max(0.0, mean - half), 3), round(mean + half, 3)]
        if half is not None
        else None,
    }
    result["by_half_hour"] = _by_half_hour(rows, scenario, lay)
    result["wait_histogram"] = _histogram(rows)
    first_day = [(t, n) for t, n in queue_samples if t < DAY]  # the first simulated day
    result["queue_length_samples"] = [
        [round(t, 2), n] for t, n in first_day[:: max(1, len(first_day) // 300)]
    ]
    result["arrivals"] = arrivals_total
    if scenario.patience is not None:

        def rate(served, left):
            return round(len(left) / (len(served) + len(left)), 4) if served or left else 0.0

        result["abandonment"] = {
            "abandoned": len(gave_up),
            "rate": rate(rows, gave_up),
            "ordinary_rate": rate(
                [x for x in rows if not x.priority], [x for x in gave_up if not x.priority]
            ),
            "priority_rate": rate(
                [x for x in rows if x.priority], [x for x in gave_up if x.priority]
            ),
            "patience_mean_minutes": scenario.patience.mean,
            "no_show_minutes": scenario.no_show_minutes,
        }
    result["unserved"] = unserved
    result["max_waiting"] = max_waiting
    result["policy"] = scenario.policy
    result["windows"] = len(lay.profiles)
    if lay.allocation:
        result["dedicated_allocation"] = dict(sorted(lay.allocation.items()))
    result["seed"] = scenario.seed
    result["warmup_minutes"] = scenario.warmup_minutes
    result["sla_minutes"] = scenario.sla_minutes
    result["days"] = scenario.day_labels
    result["dispatch"] = "yimen.queueing.rules.choose_next"
    if scenario.name:
        result["name"] = scenario.name
    return result


def _by_half_hour(rows: list[_Served], scenario: Scenario, lay: _Layout) -> list[dict]:
    slots: dict[int, list[_Served]] = {}
    intervals = [
        [(s, e) for s, e, _d in _window_intervals(scenario, spec, index) if s < DAY]
        for spec, index, _p in lay.profiles
    ]
    for x in rows:
        slots.setdefault(int((x.arrived % DAY) // 30), []).append(x)
    out = []
    for slot in sorted(slots):
        group = slots[slot]
        waits = sorted(x.wait for x in group)
        minute = slot * 30
        open_windows = sum(1 for spans in intervals if any(s <= minute < e for s, e in spans))
        out.append(
            {
                "slot": fmt_clock(minute),
                # per open day of that slot and replication (Saturday afternoon does not dilute weekdays)
                "arrivals": round(
                    len(group) / (scenario.replications * max(1, _slot_days(scenario, minute))), 2
                ),
                "mean_wait_minutes": round(statistics.fmean(waits), 2),
                "p90_wait_minutes": round(_percentile(waits, 0.9), 2),
                "sla_15min": round(
                    sum(1 for w in waits if w <= scenario.sla_minutes + 1e-9) / len(waits), 4
                ),
                "open_windows": open_windows,
            }
        )
    return out


def _slot_days(scenario: Scenario, minute: float) -> int:
    """On how many simulated days the half hour starting at `minute` (of the day) was open —
    a continuous run longer than a day passes the same half hour once a day."""

    def times(a, b):
        return sum(
            1
            for k in range(int((b - a) // DAY) + 2)
            if a <= minute + k * DAY < b or a <= minute + 15 + k * DAY < b
        )

    return (
        sum(1 for spans in scenario.days if any(times(a, b) for a, b in spans))
        if all(b - a <= DAY for spans in scenario.days for a, b in spans)
        else max(times(a, b) for spans in scenario.days for a, b in spans)
    )


def _histogram(rows: list[_Served]) -> list[dict]:
    counts = [0] * len(WAIT_BINS)
    for x in rows:
        i = bisect.bisect_right(WAIT_BINS, x.wait) - 1
        counts[max(0, i)] += 1
    total = len(rows) or 1
    labels = [f"{a}–{b}" for a, b in zip(WAIT_BINS, WAIT_BINS[1:])] + [f"≥{WAIT_BINS[-1]}"]
    return [
        {"bin": label, "count": c, "share": round(c / total, 4)} for label, c in zip(labels, counts)
    ]
