"""The digital twin: a discrete-event simulation (simpy) of one outlet's hall.

Who is called next is decided by the live dispatch function `yimen.queueing.rules.choose_next` —
the simulator only supplies waiting tickets, window profiles and time (floats in minutes).

A scenario is a dict (usually read from YAML; see yimen/insight/scenarios/ and docs/insight.md):

    seed: 7
    replications: 5                 # independent runs with seeds seed, seed+1, …
    duration_minutes: 480           # one continuous period starting at `start` (default 09:00) …
    warmup_minutes: 60              #   … of which the first minutes are not counted
    # or: outlet: XN-CX, days: 5, start_date: 2026-11-30  (the outlet's opening hours and calendar)
    policy: one-window              # or dedicated (each department's items only at its own windows)
    windows:
      - {group: CX-ZH, kind: 综合窗口, count: 5, items: comprehensive}
      - {group: CX-GREEN, kind: 绿色通道, count: 1}
    arrivals:
      - {item: XN-WS-001, rate_per_hour: 6, priority_share: 0.1}
      - {item: XN-RS-004, rate_per_hour: {"09:00": 4, "11:00": 8}}   # piecewise by time of day
    # or: replay: [{at: "09:03", item: XN-WS-001, priority: 老年人, service_minutes: 6.5}, …]
    service_minutes:
      default: {dist: lognormal, mean: 8, cv: 0.6}
      XN-WS-001: {dist: exponential, mean: 12}
    rota:                           # optional: windows open per time span and group
      - {span: "12:00-13:30", open: {CX-ZH: 3}}
    items:                          # optional: own items (pure tests); otherwise the catalog
      T-1: {department: D1, name: 测试事项}
    abandonment:                    # optional: visitors who give up waiting and leave the hall
      patience: {dist: exponential, mean: 40}   # how long each one is willing to wait
      no_show_minutes: 1.5          # window time lost calling (and recalling) one who has left

A visitor who has left still holds a ticket: it is called in its turn, comes to nothing (过号) and
costs the window `no_show_minutes` — as in a hall with paper tickets. With 0 it is the classic
queue with reneging (M/M/c+M, "Erlang A", when everything is exponential).

The engine itself (`simulate`) needs no database; `load_scenario` resolves catalog codes and
opening hours through the other apps' models/selectors.
"""

from __future__ import annotations

import bisect
import math
import random
import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta

import simpy

from yimen.core.errors import ValidationFailed
from yimen.queueing.rules import (
    GREEN_CHANNEL,
    DispatchPolicy,
    WaitingTicket,
    WindowHistory,
    WindowProfile,
    choose_next,
)

from . import erlang

SLA_MINUTES = 15.0
DAY = 1440.0
POLICIES = ("one-window", "dedicated")
DISTS = ("exponential", "lognormal", "fixed")
PRIORITY_LABEL = "老年人"
WAIT_BINS = [0, 5, 10, 15, 20, 30, 45, 60]


class ScenarioError(ValidationFailed):
    code = "invalid_scenario"


# --- normalised scenario -------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceDist:
    dist: str = "exponential"
    mean: float = 10.0
    cv: float = 1.0

    def sample(self, rng: random.Random) -> float:
        if self.dist == "fixed" or self.cv == 0:
            return self.mean
        if self.dist == "exponential":
            return rng.expovariate(1.0 / self.mean)
        sigma2 = math.log(1.0 + self.cv * self.cv)
        return rng.lognormvariate(math.log(self.mean) - sigma2 / 2.0, math.sqrt(sigma2))

    @property
    def effective_cv(self) -> float:
        return 0.0 if self.dist == "fixed" else (1.0 if self.dist == "exponential" else self.cv)


@dataclass(frozen=True)
class ItemSpec:
    code: str
    department: str
    name: str = ""
    comprehensive: bool = True


@dataclass(frozen=True)
class WindowSpec:
    group: str
    kind: str
    count: int
    items: frozenset | None = None  # None = any item
    department: str | None = None  # dedicated: this department's queue


@dataclass(frozen=True)
class Stream:
    item: str
    rates: tuple  # ((from_minute_of_day, rate_per_hour), …) sorted
    priority_share: float = 0.0

    def rate_at(self, minute_of_day: float) -> float:
        starts = [s for s, _ in self.rates]
        i = bisect.bisect_right(starts, minute_of_day) - 1
        return self.rates[i][1] if i >= 0 else 0.0


@dataclass(frozen=True)
class Arrival:
    at: float  # absolute simulated minute (day * 1440 + minute of day)
    item: str
    priority: str
    service: float
    patience: float = math.inf  # minutes this visitor waits before leaving (abandonment)


@dataclass
class Scenario:
    items: dict[str, ItemSpec]
    windows: list[WindowSpec]
    days: list[list[tuple[float, float]]]  # per simulated day: open spans in minutes of day
    day_labels: list[str] = field(default_factory=list)
    streams: list[Stream] = field(default_factory=list)
    replay: list[tuple[int, float, str, str, float | None]] | None = (
        None  # (day, minute, item, priority, service)
    )
    service: dict[str, ServiceDist] = field(default_factory=dict)
    default_service: ServiceDist | None = None
    policy: str = "one-window"
    dispatch: DispatchPolicy = DispatchPolicy()
    rota: list[tuple[float, float, dict[str, int]]] = field(default_factory=list)
    seed: int = 1
    replications: int = 1
    warmup_minutes: float = 0.0
    sla_minutes: float = SLA_MINUTES
    name: str = ""
    patience: ServiceDist | None = None  # abandonment: None = everybody waits to be called
    no_show_minutes: float = 0.0

    def service_for(self, item: str) -> ServiceDist:
        dist = self.service.get(item) or self.default_service
        if dist is None:
            raise ScenarioError(
                f"事项 {item} 没有服务时长（service_minutes 中缺少该事项或 default）"
            )
        return dist


# --- parsing helpers (pure) ---------------------------------------------------------------------


def parse_clock(value, what="时间") -> float:
    """'09:30' → 570.0; a number is taken as minutes."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        hh, mm = str(value).strip().split(":")
        minutes = int(hh) * 60 + int(mm)
    except ValueError:
        raise ScenarioError(f"{what}格式不正确：{value}（应为 HH:MM）")
    if not 0 <= minutes <= DAY:
        raise ScenarioError(f"{what}超出一天范围：{value}")
    return float(minutes)


def fmt_clock(minutes: float) -> str:
    m = int(round(minutes)) % int(DAY)
    return f"{m // 60:02d}:{m % 60:02d}"


def _number(value, what, *, minimum=0.0, integer=False):
    try:
        number = int(value) if integer else float(value)
        if integer and float(value) != int(value):
            raise ValueError
    except (TypeError, ValueError):
        raise ScenarioError(f"{what}应为{'整数' if integer else '数字'}：{value!r}")
    if number < minimum or (isinstance(number, float) and math.isnan(number)):
        raise ScenarioError(f"{what}不能小于 {minimum}：{value!r}")
    return number


def parse_dist(raw, what) -> ServiceDist:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return ServiceDist("exponential", _number(raw, what, minimum=0.01))
    if not isinstance(raw, dict):
        raise ScenarioError(f"{what}应为 {{dist, mean, cv}}")
    dist = str(raw.get("dist", "exponential"))
    if dist not in DISTS:
        raise ScenarioError(f"{what}的分布 {dist} 不支持（可用：exponential、lognormal、fixed）")
    mean = _number(raw.get("mean"), f"{what}的平均值 mean", minimum=0.01)
    cv = (
        1.0
        if dist == "exponential"
        else (0.0 if dist == "fixed" else _number(raw.get("cv", 0.5), f"{what}的变异系数 cv"))
    )
    return ServiceDist(dist, mean, cv)


def parse_rates(raw, what) -> tuple:
    if isinstance(raw, dict):
        rates = sorted(
            (parse_clock(k, f"{what}的时间点"), _number(v, f"{what}的到达率"))
            for k, v in raw.items()
        )
        if not rates:
            raise ScenarioError(f"{what}的到达率为空")
        return tuple(rates)
    return ((0.0, _number(raw, f"{what}的到达率 rate_per_hour")),)


def parse_span(text: str) -> tuple[float, float]:
    try:
        a, b = str(text).replace("–", "-").split("-")
    except ValueError:
        raise ScenarioError(f"时间段格式不正确：{text}（应为 09:00-12:00）")
    start, end = parse_clock(a, "时间段开始"), parse_clock(b, "时间段结束")
    if end <= start:
        raise ScenarioError(f"时间段结束应晚于开始：{text}")
    return start, end


def build_scenario(
    data: dict,
    *,
    items: dict[str, ItemSpec],
    days: list[list[tuple[float, float]]],
    day_labels: list[str] | None = None,
) -> Scenario:
    """A Scenario from a parsed YAML dict whose items and opening days are already resolved."""
    if not isinstance(data, dict):
        raise ScenarioError("场景文件应为一个 YAML 映射（键: 值）")
    policy = str(data.get("policy", "one-window"))
    if policy not in POLICIES:
        raise ScenarioError(
            f"不支持的策略 {policy}（可用：one-window 一窗通办、dedicated 分部门专窗）"
        )

    windows = []
    for i, raw in enumerate(data.get("windows") or []):
        if not isinstance(raw, dict) or "kind" not in raw:
            raise ScenarioError(f"第 {i + 1} 组窗口应写成 {{kind, count, items?}}")
        count = _number(raw.get("count", 1), f"第 {i + 1} 组窗口数量 count", integer=True)
        item_codes = raw.get("items")
        if item_codes in (None, "all"):
            item_set = None
        elif item_codes == "comprehensive":
            item_set = frozenset(c for c, spec in items.items() if spec.comprehensive)
        elif isinstance(item_codes, list):
            item_set = frozenset(str(c) for c in item_codes)
        else:
            raise ScenarioError(f"第 {i + 1} 组窗口的 items 应为事项编码列表、comprehensive 或 all")
        windows.append(
            WindowSpec(
                group=str(raw.get("group") or f"{raw['kind']}{i + 1}"),
                kind=str(raw["kind"]),
                count=count,
                items=item_set,
                department=str(raw["department"]) if raw.get("department") else None,
            )
        )
    if not any(w.count for w in windows):
        raise ScenarioError("至少需要 1 个窗口（windows）")
    if len({w.group for w in windows}) != len(windows):
        raise ScenarioError("窗口组 group 不能重复")

    service = {}
    default_service = None
    for key, raw in (data.get("service_minutes") or {}).items():
        if key == "default":
            default_service = parse_dist(raw, "默认服务时长")
        else:
            service[str(key)] = parse_dist(raw, f"事项 {key} 的服务时长")

    streams = []
    for raw in data.get("arrivals") or []:
        if not isinstance(raw, dict) or "item" not in raw or "rate_per_hour" not in raw:
            raise ScenarioError("到达流应写成 {item, rate_per_hour, priority_share?}")
        share = _number(raw.get("priority_share", 0), "优先对象比例 priority_share")
        if share > 1:
            raise ScenarioError("优先对象比例 priority_share 应在 0 到 1 之间")
        streams.append(
            Stream(
                str(raw["item"]), parse_rates(raw["rate_per_hour"], f"事项 {raw['item']}"), share
            )
        )

    replay = None
    if data.get("replay") is not None:
        replay = []
        for i, raw in enumerate(data["replay"]):
            if not isinstance(raw, dict) or "at" not in raw or "item" not in raw:
                raise ScenarioError(
                    f"回放记录第 {i + 1} 条应写成 {{at, item, priority?, service_minutes?}}"
                )
            svc = raw.get("service_minutes")
            replay.append(
                (
                    _number(raw.get("day", 0), "回放记录的 day", integer=True),
                    parse_clock(raw["at"], "回放记录的时间"),
                    str(raw["item"]),
                    str(raw.get("priority") or ""),
                    None if svc is None else _number(svc, "回放记录的服务时长", minimum=0.01),
                )
            )
    if not streams and replay is None:
        raise ScenarioError("场景需要到达流 arrivals 或回放记录 replay")

    rota = []
    for raw in data.get("rota") or []:
        if not isinstance(raw, dict) or "span" not in raw or not isinstance(raw.get("open"), dict):
            raise ScenarioError('排班 rota 每条应写成 {span: "09:00-12:00", open: {窗口组: 数量}}')
        start, end = parse_span(raw["span"])
        open_ = {
            str(g): _number(n, f"排班 {raw['span']} 中 {g} 的窗口数", integer=True)
            for g, n in raw["open"].items()
        }
        unknown = set(open_) - {w.group for w in windows}
        if unknown:
            raise ScenarioError(f"排班中有未定义的窗口组：{'、'.join(sorted(unknown))}")
        rota.append((start, end, open_))

    dispatch_raw = data.get("dispatch") or {}
    try:
        dispatch = DispatchPolicy(**dispatch_raw)
    except TypeError:
        raise ScenarioError(
            "dispatch 参数不正确（priority_mode、ordinary_per_priority、max_ordinary_wait_minutes）"
        )

    patience, no_show_minutes = None, 0.0
    if data.get("abandonment") is not None:
        raw = data["abandonment"]
        if not isinstance(raw, dict) or "patience" not in raw:
            raise ScenarioError(
                "放弃等待 abandonment 应写成 {patience: {dist, mean}, no_show_minutes?}"
            )
        patience = parse_dist(raw["patience"], "放弃等待的耐心时长 patience")
        no_show_minutes = _number(raw.get("no_show_minutes", 1.0), "过号耗时 no_show_minutes")

    replications = _number(
        data.get("replications", 1), "重复次数 replications", minimum=1, integer=True
    )
    if replications > 200:
        raise ScenarioError("重复次数 replications 不能超过 200")
    scenario = Scenario(
        items=items,
        windows=windows,
        days=days,
        day_labels=day_labels or [f"第{i + 1}天" for i in range(len(days))],
        streams=streams,
        replay=replay,
        service=service,
        default_service=default_service,
        policy=policy,
        dispatch=dispatch,
        rota=rota,
        seed=_number(data.get("seed", 1), "随机种子 seed", integer=True),
        replications=replications,
        warmup_minutes=_number(data.get("warmup_minutes", 0), "预热时长 warmup_minutes"),
        sla_minutes=_number(data.get("sla_minutes", SLA_MINUTES), "服务水平时限 sla_minutes"),
        name=str(data.get("name", "")),
        patience=patience,
        no_show_minutes=no_show_minutes,
    )
    for code in {s.item for s in streams} | {r[2] for r in replay or []}:
        if code not in items:
            raise ScenarioError(f"未知事项：{code}")
        scenario.service_for(code)
    return scenario


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


def layout(scenario: Scenario) -> _Layout:
    codes = {s.item for s in scenario.streams} | {r[2] for r in scenario.replay or []}
    green = [w for w in scenario.windows if w.kind == GREEN_CHANNEL]
    if scenario.policy == "one-window":
        normal = [w for w in scenario.windows if w.kind != GREEN_CHANNEL]
        queue_of = {}
        for code in codes:
            home = next((w.group for w in normal if w.items is None or code in w.items), None)
            green_home = next((w.group for w in green if w.items is None or code in w.items), None)
            if home is None and green_home is None:
                raise ScenarioError(f"事项 {code} 没有可办理的窗口")
            queue_of[(code, False)] = home or green_home
            queue_of[(code, True)] = green_home or home
        ordinary_queues = frozenset(w.group for w in normal)
        profiles = []
        for w in scenario.windows:
            for i in range(w.count):
                wid = f"{w.group}#{i + 1}"
                if (
                    w.kind == GREEN_CHANNEL
                ):  # as queueing.selectors.window_profile: idle → other queues
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
    queue_of = {}
    green_groups = [w for w in green]
    for code in codes:
        dept = scenario.items[code].department
        if dept not in fixed and dept not in allocation:
            raise ScenarioError(f"部门 {dept} 没有窗口（事项 {code}）")
        queue_of[(code, False)] = dept_queue[dept]
        green_home = next(
            (w.group for w in green_groups if w.items is None or code in w.items), None
        )
        queue_of[(code, True)] = green_home or dept_queue[dept]
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


# --- arrivals -------------------------------------------------------------------------------------


def generate_arrivals(scenario: Scenario, rng: random.Random) -> list[Arrival]:
    """All arrivals of a run, drawn up front so that two policies can see the same visitors."""
    out: list[Arrival] = []
    if scenario.replay is not None:
        for day, minute, code, prio, svc in scenario.replay:
            service = svc if svc is not None else scenario.service_for(code).sample(rng)
            out.append(Arrival(day * DAY + minute, code, prio, service))
        out.sort(key=lambda a: a.at)
        return _with_patience(out, scenario, rng)
    for d, spans in enumerate(scenario.days):
        for a, b in spans:
            for s in scenario.streams:
                points = sorted({a, b, *[x for x, _ in s.rates if a < x < b]})
                dist = scenario.service_for(s.item)
                for x, y in zip(points, points[1:]):
                    rate = s.rate_at(x) / 60.0
                    if rate <= 0:
                        continue
                    t = x + rng.expovariate(rate)
                    while t < y:
                        prio = (
                            PRIORITY_LABEL
                            if s.priority_share and rng.random() < s.priority_share
                            else ""
                        )
                        out.append(Arrival(d * DAY + t, s.item, prio, dist.sample(rng)))
                        t += rng.expovariate(rate)
    out.sort(key=lambda a: a.at)
    return _with_patience(out, scenario, rng)


def _with_patience(
    arrivals: list[Arrival], scenario: Scenario, rng: random.Random
) -> list[Arrival]:
    """Each visitor's patience, drawn after everything else (a scenario without abandonment keeps
    its random numbers, hence its results)."""
    if scenario.patience is None:
        return arrivals
    return [
        Arrival(a.at, a.item, a.priority, a.service, scenario.patience.sample(rng))
        for a in arrivals
    ]


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


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    k = (len(sorted_values) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


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


# --- loading (resolves catalog codes and opening hours) ----------------------------------------


def load_scenario(data: dict) -> Scenario:
    """A Scenario from a YAML dict; item codes from the catalog unless `items:` defines them,
    opening days from the outlet's hours and the work calendar when `days:` is given."""
    if not isinstance(data, dict):
        raise ScenarioError("场景文件应为一个 YAML 映射（键: 值）")
    items = _resolve_items(data)
    if data.get("replay_from") is not None:
        data = {**data, "replay": _recorded_replay(data["replay_from"])}
        if data.get("duration_minutes") is None and data.get("days") is None:
            # replay the recorded day within that outlet's opening hours
            data.update(
                outlet=data["replay_from"].get("outlet"),
                days=1,
                start_date=data["replay_from"].get("date"),
            )
    days, labels = _resolve_days(data)
    return build_scenario(data, items=items, days=days, day_labels=labels)


def _resolve_items(data: dict) -> dict[str, ItemSpec]:
    own = data.get("items")
    if own is not None:
        if not isinstance(own, dict):
            raise ScenarioError("items 应为 {事项编码: {department, name?}} 映射")
        return {
            str(code): ItemSpec(
                str(code),
                str((spec or {}).get("department") or "默认部门"),
                str((spec or {}).get("name") or code),
                bool((spec or {}).get("comprehensive", True)),
            )
            for code, spec in own.items()
        }
    from yimen.catalog.models import ServiceItem

    return {
        i.code: ItemSpec(
            i.code, i.department.code if i.department_id else "", i.name, i.comprehensive
        )
        for i in ServiceItem.objects.select_related("department")
    }


def _recorded_replay(spec) -> list[dict]:
    """`replay_from: {outlet: XN-CX, date: 2026-12-01}` → the recorded tickets of that day."""
    if not isinstance(spec, dict) or not spec.get("outlet") or not spec.get("date"):
        raise ScenarioError("replay_from 应写成 {outlet: 网点编码, date: YYYY-MM-DD}")
    try:
        day = date.fromisoformat(str(spec["date"]))
    except ValueError:
        raise ScenarioError(f"回放日期格式不正确：{spec['date']}（应为 YYYY-MM-DD）")
    from yimen.core.errors import NotFound

    from .selectors import recorded_history

    try:
        rows = recorded_history(str(spec["outlet"]), day)
    except NotFound as exc:
        raise ScenarioError(exc.message)
    if not rows:
        raise ScenarioError(f"{spec['outlet']} {day} 没有可回放的取号记录")
    return rows


def _resolve_days(data: dict) -> tuple[list[list[tuple[float, float]]], list[str]]:
    if data.get("days") is not None:
        from yimen.outlets.selectors import get_outlet, schedule_for

        n = _number(data["days"], "天数 days", minimum=1, integer=True)
        if n > 60:
            raise ScenarioError("天数 days 不能超过 60")
        code = data.get("outlet")
        if not code:
            raise ScenarioError("按天仿真需要网点编码 outlet（用于办公时间）")
        try:
            outlet = get_outlet(str(code))
        except Exception as exc:  # NotFound → a scenario error with the same message
            raise ScenarioError(str(getattr(exc, "message", exc)))
        schedule = schedule_for(outlet)
        try:
            day = date.fromisoformat(str(data.get("start_date") or "2026-11-30"))
        except ValueError:
            raise ScenarioError(f"开始日期格式不正确：{data.get('start_date')}（应为 YYYY-MM-DD）")
        days, labels = [], []
        guard = 0
        while len(days) < n and guard < 400:
            spans = schedule.spans_on(day)
            if spans:
                days.append(
                    [(a.hour * 60.0 + a.minute, b.hour * 60.0 + b.minute) for a, b in spans]
                )
                labels.append(day.isoformat())
            day += timedelta(days=1)
            guard += 1
        return days, labels
    if data.get("duration_minutes") is None:
        raise ScenarioError(
            "场景需要 duration_minutes（仿真时长）或 days + outlet（按网点办公时间）"
        )
    duration = _number(data["duration_minutes"], "仿真时长 duration_minutes", minimum=1)
    start = parse_clock(data.get("start", "09:00"), "开始时间 start")
    if duration > 366 * DAY:
        raise ScenarioError("仿真时长过长（最多一年）")
    # a long continuous run is one "day" that may extend beyond 24 h
    return [[(start, start + duration)]], [f"{fmt_clock(start)} 起 {duration:g} 分钟"]


def run(data: dict) -> dict:
    """Load and simulate a scenario dict (YAML) in one step."""
    return simulate(load_scenario(data))


def describe(result: dict) -> str:
    """A short Chinese summary of a result for the terminal."""

    def pct(x):
        return "—" if x is None else f"{x * 100:.1f}%"

    lines = [
        f"策略：{'一窗通办（综合窗口）' if result['policy'] == 'one-window' else '分部门专窗'}，窗口 {result['windows']} 个，"
        f"重复 {result['confidence']['replications']} 次（种子 {result['seed']} 起）",
        f"办理 {result['served']} 人；平均等候 {result['mean_wait_minutes']:.1f} 分钟，90% 分位 "
        f"{result['p90_wait_minutes']:.1f} 分钟，{result['sla_minutes']:g} 分钟内叫号 {pct(result['sla_15min'])}，"
        f"窗口利用率 {pct(result['utilisation'])}",
    ]
    ci = result["confidence"]["mean_wait_ci95"]
    if ci:
        lines.append(f"平均等候的 95% 置信区间：{ci[0]:.1f}–{ci[1]:.1f} 分钟")
    for key, label in (("ordinary", "普通"), ("priority", "优先对象")):
        part = result["per_priority"][key]
        if part["served"]:
            lines.append(
                f"  {label}：{part['served']} 人，平均 {part['mean_wait_minutes']:.1f} 分钟，"
                f"90% 分位 {part['p90_wait_minutes']:.1f} 分钟，达标 {pct(part['sla_15min'])}"
            )
    if result.get("dedicated_allocation"):
        lines.append(
            "  专窗分配："
            + "，".join(f"{d} {n} 个" for d, n in result["dedicated_allocation"].items())
        )
    if result["unserved"]:
        lines.append(f"  仿真结束时仍有 {result['unserved']} 人未办理")
    return "\n".join(lines)
