"""Arrivals: the stream of people the twin generates (or replays)."""

from __future__ import annotations

import random

from .scenario import DAY, PRIORITY_LABEL, Arrival, Scenario

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
