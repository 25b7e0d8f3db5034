"""The normalised scenario the twin runs: constants, errors and the plain records."""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass, field

from yimen.core.errors import ValidationFailed
from yimen.queueing.rules import (
    DispatchPolicy,
)

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
    green_channel_eligible: bool = (
        False  # as the catalog's 可走绿色通道 (routing of priority people)
    )


@dataclass(frozen=True)
class WindowSpec:
    group: str
    kind: str
    count: int
    items: frozenset | None = None  # None = any item
    department: str | None = None  # dedicated: this department's queue
    prefix: str = ""  # as a live queue's number prefix: the tie-break between groups of one kind


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
