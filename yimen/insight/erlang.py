"""Queueing formulas (pure: no database, no clock, no dependencies).

Notation, all rates in the same time unit (we use minutes):
    lam  arrival rate (tickets per minute)
    mean_service  mean service time (minutes)      → a = lam * mean_service offered load (Erlang)
    c    number of servers (open windows)          → rho = a / c utilisation

M/M/c (Erlang C):
    P(wait > 0)          C(c, a)  (computed through the numerically stable Erlang B recursion)
    mean wait in queue   Wq = C(c, a) * mean_service / (c - a)
    service level        P(W <= t) = 1 - C(c, a) * exp(-(c - a) * t / mean_service)

G/G/c (Allen–Cunneen): the M/M/c mean wait times (ca² + cs²) / 2, where ca, cs are the
coefficients of variation of inter-arrival and service times. For the service level we keep the
Erlang C probability of waiting and stretch the conditional wait by the same factor:
    P(W > t) ≈ C(c, a) * exp(-(c - a) * t / (mean_service * (ca² + cs²) / 2))
which reduces to the exact M/M/c formula when ca = cs = 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


class UnstableQueue(ValueError):
    """Offered load ≥ servers: the queue grows without bound."""


def _check(lam: float, mean_service: float, c: int):
    if lam < 0 or mean_service <= 0:
        raise ValueError("到达率不能为负，平均服务时长必须大于 0")
    if c < 1 or int(c) != c:
        raise ValueError("窗口数必须是正整数")


def erlang_b(c: int, a: float) -> float:
    """Blocking probability of M/M/c/c (Erlang B), by the recursion B(k) = a B(k-1) / (k + a B(k-1))."""
    if a < 0 or c < 0:
        raise ValueError("负的负载或服务台数")
    b = 1.0
    for k in range(1, int(c) + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival has to wait in M/M/c with offered load a (Erlang)."""
    if a <= 0:
        return 0.0
    if a >= c:
        return 1.0
    b = erlang_b(c, a)
    return c * b / (c - a * (1.0 - b))


@dataclass(frozen=True)
class QueueFigures:
    servers: int
    offered_load: float  # a = λ·E[S]  (Erlang)
    utilisation: float  # ρ = a / c
    p_wait: float  # P(W > 0)
    mean_wait: float  # E[Wq]  (same unit as mean_service)
    service_level: float  # P(W <= target_wait)
    target_wait: float
    factor: float  # Allen–Cunneen factor (ca² + cs²) / 2; 1 for M/M/c

    def as_dict(self):
        return {
            "servers": self.servers,
            "offered_load": round(self.offered_load, 4),
            "utilisation": round(self.utilisation, 4),
            "p_wait": round(self.p_wait, 4),
            "mean_wait": round(self.mean_wait, 3),
            "service_level": round(self.service_level, 4),
            "target_wait": self.target_wait,
            "factor": round(self.factor, 4),
        }


def allen_cunneen_factor(ca: float = 1.0, cs: float = 1.0) -> float:
    if ca < 0 or cs < 0:
        raise ValueError("变异系数不能为负")
    return (ca * ca + cs * cs) / 2.0


def mean_wait(
    lam: float, mean_service: float, c: int, *, ca: float = 1.0, cs: float = 1.0
) -> float:
    """Mean wait in queue; Erlang C for M/M/c, Allen–Cunneen for other cv's. Raises UnstableQueue."""
    _check(lam, mean_service, c)
    a = lam * mean_service
    if a >= c:
        raise UnstableQueue(f"负载 {a:.2f} Erl ≥ 窗口数 {c}：队伍会无限增长")
    return erlang_c(c, a) * mean_service / (c - a) * allen_cunneen_factor(ca, cs)


def service_level(
    lam: float, mean_service: float, c: int, t: float, *, ca: float = 1.0, cs: float = 1.0
) -> float:
    """P(wait <= t). 0 for an unstable queue."""
    _check(lam, mean_service, c)
    a = lam * mean_service
    if a >= c:
        return 0.0
    if a == 0:
        return 1.0
    factor = allen_cunneen_factor(ca, cs)
    if factor == 0:  # deterministic arrivals and service below capacity: nobody waits
        return 1.0
    return 1.0 - erlang_c(c, a) * math.exp(-(c - a) * t / (mean_service * factor))


def figures(
    lam: float, mean_service: float, c: int, target_wait: float, *, ca: float = 1.0, cs: float = 1.0
) -> QueueFigures:
    _check(lam, mean_service, c)
    a = lam * mean_service
    factor = allen_cunneen_factor(ca, cs)
    if a >= c:
        return QueueFigures(c, a, a / c, 1.0, math.inf, 0.0, target_wait, factor)
    return QueueFigures(
        c,
        a,
        a / c,
        erlang_c(c, a),
        mean_wait(lam, mean_service, c, ca=ca, cs=cs),
        service_level(lam, mean_service, c, target_wait, ca=ca, cs=cs),
        target_wait,
        factor,
    )


def servers_needed(
    lam: float,
    mean_service: float,
    target_wait: float,
    target_level: float,
    *,
    ca: float = 1.0,
    cs: float = 1.0,
    max_utilisation: float = 1.0,
    max_servers: int = 1000,
) -> int:
    """The smallest c with P(W <= target_wait) >= target_level (and ρ ≤ max_utilisation).
    0 when nobody arrives."""
    if not 0 < target_level < 1:
        raise ValueError("目标服务水平应在 0 与 1 之间（不含）")
    if target_wait < 0:
        raise ValueError("目标等候时间不能为负")
    if lam < 0 or mean_service <= 0:
        raise ValueError("到达率不能为负，平均服务时长必须大于 0")
    if lam == 0:
        return 0
    a = lam * mean_service
    c = max(1, math.floor(a) + 1)
    while c <= max_servers:
        if (
            a / c <= max_utilisation
            and service_level(lam, mean_service, c, target_wait, ca=ca, cs=cs) >= target_level
        ):
            return c
        c += 1
    raise ValueError(f"超过 {max_servers} 个窗口仍达不到目标服务水平")


def abandonment_probability(lam: float, mean_service: float, c: int, mean_patience: float) -> float:
    """M/M/c+M ("Erlang A"): the share of visitors who give up before being called, when each
    waits an exponential time with mean `mean_patience` (defined at any load, also above c).

    Birth-death chain on the number in the hall n: arrivals lam, departures min(n, c) / mean_service
    + max(n - c, 0) / mean_patience; P(abandon) = E[max(N - c, 0)] / (mean_patience * lam). The
    chain is summed until its terms no longer count (a few hundred states at most in practice)."""
    if lam <= 0 or mean_service <= 0 or mean_patience <= 0 or c < 1:
        raise ValueError("到达率、平均服务时长和平均耐心时长必须大于 0，窗口数至少为 1")
    mu, theta = 1.0 / mean_service, 1.0 / mean_patience
    weight, total, waiting = 1.0, 1.0, 0.0  # π_n up to a constant, Σ π_n, Σ max(n - c, 0) π_n
    n = 0
    while True:
        n += 1
        weight *= lam / (min(n, c) * mu + max(n - c, 0) * theta)
        total += weight
        waiting += max(n - c, 0) * weight
        if n > c and weight < 1e-15 * total:
            break
    return waiting / total * theta / lam
