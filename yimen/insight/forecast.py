"""When to go: an outlet's predicted wait by half hour on a given day.

History gives the demand: the tickets of the same weekday in the last `WEEKS` weeks (arrivals per
item and half hour, the share of priority people, service times). The twin (`simulation`) plays
that demand on the outlet's windows as they are configured (`live_windows`), with the live routing
and dispatch rules, and reports the mean wait of each half hour. Without history there is no
prediction (the page says so rather than guess). Results are cached per outlet and day.

The windows open per half hour follow the day's A/B rota (`planned_windows_by_group`); a group
the rota does not staff keeps its configured windows. The mean wait of a half hour is over
everyone arriving in it, whatever their item (docs/insight.md).
"""

from __future__ import annotations

import statistics
from datetime import date, timedelta

from django.core.cache import cache

WEEKS = 4
SLOT = 30
REPLICATIONS = 8
CACHE_SECONDS = 600
DEFAULT_SERVICE = 8.0  # minutes, when an item's history has too few finished tickets
CV = 0.6


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def demand(outlet, day: date, weeks: int = WEEKS) -> dict:
    """The twin's arrivals and service times from the tickets of the same weekday in the `weeks`
    weeks before `day`: {"days", "tickets", "arrivals": [...], "service_minutes": {...}}."""
    from yimen.core import clock
    from yimen.queueing.models import Ticket

    past = [day - timedelta(days=7 * k) for k in range(1, weeks + 1)]
    counts: dict[str, dict[int, int]] = {}
    priority: dict[str, int] = {}
    services: dict[str, list[float]] = {}
    dates = set()
    tickets = (
        Ticket.objects.filter(outlet=outlet, service_date__in=past)
        .exclude(status=Ticket.CANCELLED)
        .prefetch_related("items", "handled_items")
    )
    n = 0
    for t in tickets:
        items = [i.code for i in t.handled_items.all()] or [i.code for i in t.items.all()]
        if not items:
            continue
        n += 1
        dates.add(t.service_date)
        local = clock.local(t.issued_at)
        slot = (local.hour * 60 + local.minute) // SLOT * SLOT
        code = items[0]
        counts.setdefault(code, {}).setdefault(slot, 0)
        counts[code][slot] += 1
        if t.priority:
            priority[code] = priority.get(code, 0) + 1
        begin = t.started_at or t.called_at
        if t.finished_at and begin:
            services.setdefault(code, []).append(
                max(0.1, (t.finished_at - begin).total_seconds() / 60.0)
            )
    days = max(1, len(dates))
    arrivals = []
    for code in sorted(counts):
        by_slot = counts[code]
        total = sum(by_slot.values())
        rates: dict[str, float] = {}
        for minute in range(min(by_slot), max(by_slot) + 2 * SLOT, SLOT):
            # per hour = per half hour × 2, averaged over the days seen
            rates[_clock(minute)] = round(by_slot.get(minute, 0) / days * 60 / SLOT, 4)
        arrivals.append(
            {
                "item": code,
                "rate_per_hour": rates,
                "priority_share": round(priority.get(code, 0) / total, 4),
            }
        )
    every = [m for samples in services.values() for m in samples]
    default = statistics.fmean(every) if every else DEFAULT_SERVICE
    service = {"default": {"dist": "lognormal", "mean": round(default, 2), "cv": CV}}
    for code, samples in services.items():
        if len(samples) >= 3:
            service[code] = {
                "dist": "lognormal",
                "mean": round(statistics.fmean(samples), 2),
                "cv": CV,
            }
    return {"days": len(dates), "tickets": n, "arrivals": arrivals, "service_minutes": service}


def predicted_waits(outlet, day: date) -> dict:
    """{"open", "history_days", "slots": [{slot, wait, arrivals}], "best": slot | None} for the
    outlet's opening hours on `day` (cached)."""
    key = f"yimen:forecast:{outlet.pk}:{day.isoformat()}"
    hit = cache.get(key)
    if hit is not None:
        return hit
    result = _predict(outlet, day)
    cache.set(key, result, CACHE_SECONDS)
    return result


def scenario_for(outlet, day: date) -> tuple[dict | None, dict]:
    """The twin's scenario for `outlet` on `day` (None without opening hours, windows or history)
    and what the page says about it: {"open", "history_days"}."""
    from yimen.outlets.selectors import schedule_for

    from .simulation import live_windows

    spans = schedule_for(outlet).spans_on(day)
    info = {"open": bool(spans), "history_days": 0}
    if not spans:
        return None, info
    windows = [w for w in live_windows(outlet.code) if w["count"]]
    served = {code for w in windows for code in w["items"]}
    wanted = demand(outlet, day)
    arrivals = [a for a in wanted["arrivals"] if a["item"] in served]
    info["history_days"] = wanted["days"]
    if not arrivals or not windows:
        return None, info
    opening = [(a.hour * 60 + a.minute, b.hour * 60 + b.minute) for a, b in spans]
    scenario = {
        "name": f"{outlet.code} {day} 等候预测",
        "seed": 1,
        "replications": REPLICATIONS,
        "outlet": outlet.code,
        "days": 1,
        "start_date": day.isoformat(),
        "windows": windows,
        "arrivals": arrivals,
        "service_minutes": wanted["service_minutes"],
    }
    rota = _rota(outlet, day, windows, opening)
    if rota:
        scenario["rota"] = rota
    return scenario, info


def _rota(outlet, day: date, windows: list[dict], opening: list[tuple[int, int]]) -> list[dict]:
    """The A/B rota of the day as the twin's `rota:` (windows staffed per half hour and group);
    a group the rota does not staff that day keeps its configured windows (unknown, not closed)."""
    from yimen.queueing.models import Queue

    from .selectors import planned_windows_by_group

    planned = {g: dict(rows) for g, rows in planned_windows_by_group(outlet, day).items()}
    if not planned:
        return []
    group_of = {q.code: q.window_group or q.code for q in Queue.objects.filter(outlet=outlet)}
    out = []
    for a, b in opening:
        t = a
        while t < b:
            end = min(b, (t // SLOT + 1) * SLOT)
            open_ = {}
            for w in windows:
                rows = planned.get(group_of.get(w["group"], w["group"]))
                if rows is not None:
                    staffed = int(rows.get(float(t // SLOT * SLOT), 0))
                    open_[w["group"]] = min(w["count"], staffed)
            if open_:
                out.append({"span": f"{_clock(t)}-{_clock(end)}", "open": open_})
            t = end
    return out


def _predict(outlet, day: date) -> dict:
    from yimen.core.errors import DomainError
    from yimen.outlets.selectors import schedule_for

    from .simulation import run

    scenario, info = scenario_for(outlet, day)
    out = {**info, "slots": [], "best": None}
    if scenario is None:
        return out
    try:
        result = run(scenario)
    except DomainError:  # e.g. an item no window takes any more: no prediction, not a 500
        return out
    spans = schedule_for(outlet).spans_on(day)
    opening = [(a.hour * 60 + a.minute, b.hour * 60 + b.minute) for a, b in spans]
    by_slot = {r["slot"]: r for r in result["by_half_hour"]}
    for a, b in opening:
        for minute in range(a // SLOT * SLOT, b, SLOT):
            row = by_slot.get(_clock(minute))
            out["slots"].append(
                {
                    "slot": _clock(minute),
                    "wait": round(row["mean_wait_minutes"]) if row else 0,
                    "arrivals": row["arrivals"] if row else 0.0,
                }
            )
    if out["slots"]:
        out["best"] = min(out["slots"], key=lambda s: (s["wait"], s["slot"]))["slot"]
    return out
