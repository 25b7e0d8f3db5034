"""Routing in the twin: which queues exist and which windows serve them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from yimen.queueing.rules import (
    GREEN_CHANNEL,
    QueueRecord,
    RoutedItem,
    WindowProfile,
    route_request,
)

from .. import erlang
from .scenario import Scenario, ScenarioError, Stream, WindowSpec

# --- routing: queues and window profiles --------------------------------------------------------


def _department_loads(scenario: Scenario) -> dict[str, float]:
    """Offered load (Erlang) per department, averaged over the open time."""
    open_minutes = sum(b - a for spans in scenario.days for a, b in spans) or 1.0
    loads: dict[str, float] = {}
    if scenario.replay is not None:
        for _day, _minute, code, _prio, svc in scenario.replay:
            dept = scenario.items[code].department
            loads[dept] = (
                loads.get(dept, 0.0) + (svc or scenario.service_for(code).mean) / open_minutes
            )
        return loads
    for s in scenario.streams:
        dept = scenario.items[s.item].department
        total = 0.0
        for spans in scenario.days:
            for a, b in spans:
                total += _integrate_rate(s, a, b) / 60.0
        loads[dept] = (
            loads.get(dept, 0.0) + total * scenario.service_for(s.item).mean / open_minutes
        )
    return loads


def _integrate_rate(stream: Stream, a: float, b: float) -> float:
    """∫ rate_per_hour dt over [a, b] minutes of day (result in rate·minutes)."""
    points = sorted({a, b, *[s for s, _ in stream.rates if a < s < b]})
    return sum(stream.rate_at(x) * (y - x) for x, y in zip(points, points[1:]))


def allocate_dedicated(loads: dict[str, float], windows: int) -> dict[str, int]:
    """Split `windows` among departments: one each, then one at a time to the department whose
    Erlang C mean wait × load drops most (the sensible manual split a director would make)."""
    depts = sorted(d for d, a in loads.items() if a > 0)
    if windows < len(depts):
        raise ScenarioError(
            f"分部门专窗需要每个部门至少 1 个窗口：{len(depts)} 个部门，只有 {windows} 个窗口"
        )
    alloc = {d: 1 for d in depts}

    def cost(d, c):
        a = loads[d]
        return math.inf if a >= c else a * erlang.erlang_c(c, a) / (c - a)

    for _ in range(windows - len(depts)):
        best = max(
            depts,
            key=lambda d: (
                cost(d, alloc[d]) - cost(d, alloc[d] + 1)
                if cost(d, alloc[d]) != math.inf
                else math.inf,
                loads[d],
            ),
        )
        alloc[best] += 1
    return alloc


@dataclass
class _Layout:
    profiles: list[tuple[WindowSpec, int, WindowProfile]]  # (spec, index in group, profile)
    queue_of: dict[tuple[str, bool], str]  # (item, priority?) → queue
    allocation: dict[str, int] = field(default_factory=dict)


def _accepts(w: WindowSpec, codes: set[str]) -> frozenset[str]:
    return frozenset(codes if w.items is None else codes & w.items)


def _needed(scenario: Scenario) -> set[tuple[str, bool]]:
    """The (item, priority?) pairs the scenario's arrivals can bring."""
    needed = set()
    for s in scenario.streams:
        if s.priority_share < 1:
            needed.add((s.item, False))
        if s.priority_share > 0:
            needed.add((s.item, True))
    for row in scenario.replay or []:
        needed.add((row[2], bool(row[3])))
    return needed


def _route_all(
    scenario: Scenario, records: list[QueueRecord], codes: set[str]
) -> dict[tuple[str, bool], str]:
    """(item, priority?) → queue, by the live routing rule (queueing.rules.route_request). As in
    the hall, a priority person may have a queue (the green channel) where others have none: only
    pairs the arrivals can bring must be routable."""
    queue_of = {}
    needed = _needed(scenario)
    for code in sorted(codes):
        item = RoutedItem(code, scenario.items[code].green_channel_eligible)
        for priority in (False, True):
            chosen = route_request(records, [item], priority)
            if chosen.queue is not None:
                queue_of[(code, priority)] = chosen.queue
            elif (code, priority) in needed:
                who = "（优先对象）" if priority else ""
                raise ScenarioError(f"事项 {code} 没有可办理的窗口{who}")
    return queue_of


def layout(scenario: Scenario) -> _Layout:
    """Queues, window profiles and where each arrival goes. Routing is the live rule
    (queueing.rules.route_request) over the scenario's window groups (one-window) or its
    department queues (dedicated); window profiles as queueing.selectors.window_profile."""
    codes = {s.item for s in scenario.streams} | {r[2] for r in scenario.replay or []}
    green = [w for w in scenario.windows if w.kind == GREEN_CHANNEL]
    if scenario.policy == "one-window":
        normal = [w for w in scenario.windows if w.kind != GREEN_CHANNEL]
        records = [
            QueueRecord(w.group, w.kind, _accepts(w, codes), w.prefix)
            for w in sorted(scenario.windows, key=lambda w: w.prefix)
        ]
        queue_of = _route_all(scenario, records, codes)
        ordinary_queues = frozenset(w.group for w in normal)
        profiles = []
        for w in scenario.windows:
            for i in range(w.count):
                wid = f"{w.group}#{i + 1}"
                if w.kind == GREEN_CHANNEL:
                    # as queueing.selectors.window_profile: idle → other queues
                    profile = WindowProfile(
                        wid,
                        w.kind,
                        frozenset({w.group}),
                        ordinary_queues,
                        None,
                        fallback_items=w.items,
                    )
                else:
                    profile = WindowProfile(wid, w.kind, frozenset({w.group}), frozenset(), w.items)
                profiles.append((w, i, profile))
        return _Layout(profiles, queue_of)

    # dedicated: one queue per department; unassigned windows split by offered load.
    loads = _department_loads(scenario)
    fixed: dict[str, int] = {}
    pool = 0
    for w in scenario.windows:
        if w.kind == GREEN_CHANNEL:
            continue
        if w.department:
            fixed[w.department] = fixed.get(w.department, 0) + w.count
        else:
            pool += w.count
    missing = {d: a for d, a in loads.items() if a > 0 and d not in fixed}
    allocation = allocate_dedicated(missing, pool) if missing else {}
    if pool and not missing:  # spare pooled windows go to the busiest departments
        extra = allocate_dedicated({d: loads.get(d, 0.0) for d in fixed}, pool + len(fixed))
        allocation = {d: n - 1 for d, n in extra.items() if n > 1}
    dept_queue = {d: f"部门:{d}" for d in set(loads) | set(fixed)}
    for code in codes:
        dept = scenario.items[code].department
        if dept not in fixed and dept not in allocation:
            raise ScenarioError(f"部门 {dept} 没有窗口（事项 {code}）")
    # one queue per department (专业窗口), the green channel as listed; the live routing rule
    records = [
        QueueRecord(
            dept_queue[d],
            "专业窗口",
            frozenset(c for c in codes if scenario.items[c].department == d),
            f"部门:{d}",
        )
        for d in sorted(dept_queue)
    ] + [QueueRecord(w.group, w.kind, _accepts(w, codes), w.prefix) for w in green]
    records.sort(key=lambda q: q.prefix)
    queue_of = _route_all(scenario, records, codes)
    all_dept_queues = frozenset(dept_queue.values())
    profiles = []
    assigned = sorted(allocation.items())
    cursor = 0
    for w in scenario.windows:
        for i in range(w.count):
            wid = f"{w.group}#{i + 1}"
            if w.kind == GREEN_CHANNEL:
                profile = WindowProfile(
                    wid, w.kind, frozenset({w.group}), all_dept_queues, None, fallback_items=w.items
                )
            else:
                dept = w.department
                if dept is None:
                    # the next department in the allocation
                    while cursor < len(assigned) and assigned[cursor][1] == 0:
                        cursor += 1
                    if cursor >= len(assigned):
                        dept = None
                    else:
                        dept = assigned[cursor][0]
                        assigned[cursor] = (dept, assigned[cursor][1] - 1)
                if dept is None:
                    continue  # a spare window nobody needs
                profile = WindowProfile(
                    wid, w.kind, frozenset({dept_queue[dept]}), frozenset(), None
                )
            profiles.append((w, i, profile))
    return _Layout(profiles, queue_of, {d: n for d, n in allocation.items()})
