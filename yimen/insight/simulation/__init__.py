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


A package by concern: scenario (the normalised scenario), parsing (YAML/dict -> Scenario),
routing (queues and window profiles), arrivals, engine (the SimPy run and its statistics),
loading (resolves catalog codes and opening hours). Every public name is re-exported here.
"""

from .arrivals import (
    _with_patience as _with_patience,
    generate_arrivals as generate_arrivals,
)
from .engine import (
    _T975 as _T975,
    _by_half_hour as _by_half_hour,
    _histogram as _histogram,
    _percentile as _percentile,
    _Run as _Run,
    _Served as _Served,
    _slot_days as _slot_days,
    _summary as _summary,
    _t975 as _t975,
    _window_intervals as _window_intervals,
    simulate as simulate,
)
from .loading import (
    _recorded_replay as _recorded_replay,
    _resolve_days as _resolve_days,
    _resolve_items as _resolve_items,
    describe as describe,
    live_windows as live_windows,
    load_scenario as load_scenario,
    run as run,
)
from .parsing import (
    _number as _number,
    build_scenario as build_scenario,
    fmt_clock as fmt_clock,
    parse_clock as parse_clock,
    parse_dist as parse_dist,
    parse_rates as parse_rates,
    parse_span as parse_span,
)
from .routing import (
    _department_loads as _department_loads,
    _integrate_rate as _integrate_rate,
    _Layout as _Layout,
    allocate_dedicated as allocate_dedicated,
    layout as layout,
)
from .scenario import (
    DAY as DAY,
    DISTS as DISTS,
    POLICIES as POLICIES,
    PRIORITY_LABEL as PRIORITY_LABEL,
    SLA_MINUTES as SLA_MINUTES,
    WAIT_BINS as WAIT_BINS,
    Arrival as Arrival,
    ItemSpec as ItemSpec,
    Scenario as Scenario,
    ScenarioError as ScenarioError,
    ServiceDist as ServiceDist,
    Stream as Stream,
    WindowSpec as WindowSpec,
)
