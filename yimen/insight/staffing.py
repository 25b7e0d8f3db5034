"""Staffing by Erlang C (pure: no database, no clock).

For every half hour of the opening hours and every window group: the offered load
a = λ·E[S], the fewest windows c that meet the target service level P(W ≤ t) ≥ target by
Erlang C — with the Allen–Cunneen correction when arrivals or service are not exponential —
and, against the planned windows (the A/B rota), whether the half hour is short or over-staffed.

Assumptions (see docs/insight.md): each half hour is treated as a steady state (stationary
independent period approximation); windows of one group are identical and pooled (one queue);
visitors do not leave the queue.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from . import erlang

SLOT = 30


@dataclass(frozen=True)
class GroupDemand:
    group: str
    rates: tuple  # ((from_minute_of_day, arrivals_per_hour), …) sorted
    mean_service: float  # minutes
    service_cv: float = 1.0
    arrival_cv: float = 1.0
    planned: tuple | None = None  # ((from_minute_of_day, windows), …) sorted; None = unknown

    def rate_at(self, minute: float) -> float:
        return _step(self.rates, minute, 0.0)

    def planned_at(self, minute: float) -> int | None:
        return None if self.planned is None else int(_step(self.planned, minute, 0))


def _step(points: tuple, minute: float, default):
    starts = [s for s, _ in points]
    i = bisect.bisect_right(starts, minute) - 1
    return points[i][1] if i >= 0 else default


def half_hours(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Half-hour slots covering the opening spans ([09:00, 09:30), …, [16:30, 16:40))."""
    out = []
    for a, b in spans:
        t = a
        while t < b:
            end = min(b, (t // SLOT + 1) * SLOT)
            out.append((t, end))
            t = end
    return out


def _clock(minute: float) -> str:
    m = int(round(minute))
    return f"{m // 60:02d}:{m % 60:02d}"


def plan(
    spans: list[tuple[float, float]],
    demands: list[GroupDemand],
    *,
    wait_minutes: float = 15.0,
    level: float = 0.8,
    max_utilisation: float = 1.0,
    slack: int = 0,
) -> dict:
    """Rows per group and half hour, plus the short and over-staffed half hours."""
    groups = []
    all_short, all_over = [], []
    for dem in demands:
        rows = []
        slots = half_hours(spans)
        for start, end in slots:
            lam_h = dem.rate_at(start)
            lam = lam_h / 60.0
            needed = erlang.servers_needed(
                lam,
                dem.mean_service,
                wait_minutes,
                level,
                ca=dem.arrival_cv,
                cs=dem.service_cv,
                max_utilisation=max_utilisation,
            )
            planned = dem.planned_at(start)
            row = {
                "slot": f"{_clock(start)}-{_clock(end)}",
                "arrivals_per_hour": round(lam_h, 2),
                "offered_load": round(lam * dem.mean_service, 3),
                "needed": needed,
                "planned": planned,
                "status": "unknown",
            }
            if planned is not None:
                if planned < needed:
                    row["status"] = "short"
                elif planned > needed + slack:
                    row["status"] = "over"
                else:
                    row["status"] = "ok"
                if lam > 0 and planned > 0:
                    fig = erlang.figures(
                        lam,
                        dem.mean_service,
                        planned,
                        wait_minutes,
                        ca=dem.arrival_cv,
                        cs=dem.service_cv,
                    )
                    row["planned_service_level"] = round(fig.service_level, 4)
                    row["planned_mean_wait"] = (
                        None if fig.mean_wait == float("inf") else round(fig.mean_wait, 2)
                    )
                    row["planned_utilisation"] = round(fig.utilisation, 4)
                elif lam > 0:
                    row["planned_service_level"] = 0.0
                    row["planned_mean_wait"] = None
                    row["planned_utilisation"] = None
            rows.append(row)
        short = [r["slot"] for r in rows if r["status"] == "short"]
        over = [r["slot"] for r in rows if r["status"] == "over"]
        all_short += [
            {"group": dem.group, "slot": r["slot"], "needed": r["needed"], "planned": r["planned"]}
            for r in rows
            if r["status"] == "short"
        ]
        all_over += [
            {"group": dem.group, "slot": r["slot"], "needed": r["needed"], "planned": r["planned"]}
            for r in rows
            if r["status"] == "over"
        ]
        slot_hours = [(end - start) / 60.0 for start, end in slots]
        groups.append(
            {
                "group": dem.group,
                "mean_service_minutes": dem.mean_service,
                "service_cv": dem.service_cv,
                "arrival_cv": dem.arrival_cv,
                "allen_cunneen_factor": round(
                    erlang.allen_cunneen_factor(dem.arrival_cv, dem.service_cv), 4
                ),
                "rows": rows,
                "short": short,
                "over": over,
                "needed_window_hours": round(
                    sum(r["needed"] * h for r, h in zip(rows, slot_hours)), 2
                ),
                "planned_window_hours": None
                if dem.planned is None
                else round(sum((r["planned"] or 0) * h for r, h in zip(rows, slot_hours)), 2),
            }
        )
    return {
        "target": {
            "wait_minutes": wait_minutes,
            "level": level,
            "max_utilisation": max_utilisation,
            "slack": slack,
        },
        "method": (
            "Erlang C（M/M/c）；Allen–Cunneen 修正（G/G/c）"
            if any(d.arrival_cv != 1 or d.service_cv != 1 for d in demands)
            else "Erlang C（M/M/c）"
        ),
        "groups": groups,
        "short": all_short,
        "over": all_over,
    }


# --- profiles (YAML) ------------------------------------------------------------------------------


def load_profile(data: dict) -> dict:
    """Run the staffing check for a profile dict (YAML). Opening hours come from `outlet` + `date`
    (or `hours:`); planned windows from each group's `planned:` or, when absent, from the A/B rota
    (yimen.staff selectors) of that outlet and date."""
    from datetime import date as date_cls

    from .simulation import ScenarioError, _number, parse_clock, parse_dist, parse_rates, parse_span

    if not isinstance(data, dict):
        raise ScenarioError("配置文件应为一个 YAML 映射（键: 值）")
    target = data.get("target") or {}
    wait = _number(target.get("wait_minutes", 15), "目标等候时间 wait_minutes")
    level = _number(target.get("level", 0.8), "目标服务水平 level")
    if not 0 < level < 1:
        raise ScenarioError("目标服务水平 level 应在 0 与 1 之间（如 0.8 表示 80%）")
    max_util = _number(data.get("max_utilisation", 1.0), "最高利用率 max_utilisation")
    if not 0 < max_util <= 1:
        raise ScenarioError("最高利用率 max_utilisation 应在 0 与 1 之间")
    slack = _number(data.get("slack", 0), "富余窗口数 slack", integer=True)

    outlet = None
    day = None
    if data.get("date"):
        try:
            day = date_cls.fromisoformat(str(data["date"]))
        except ValueError:
            raise ScenarioError(f"日期格式不正确：{data['date']}（应为 YYYY-MM-DD）")
    if data.get("hours"):
        spans = sorted(parse_span(s) for s in data["hours"])
    elif data.get("outlet") and day:
        from yimen.core.errors import NotFound
        from yimen.outlets.selectors import get_outlet, schedule_for

        try:
            outlet = get_outlet(str(data["outlet"]))
        except NotFound as exc:
            raise ScenarioError(exc.message)
        spans = [
            (a.hour * 60.0 + a.minute, b.hour * 60.0 + b.minute)
            for a, b in schedule_for(outlet).spans_on(day)
        ]
        if not spans:
            raise ScenarioError(f"{outlet.name} {day} 不开放（节假日或休息日），无需排班")
    else:
        raise ScenarioError('需要 outlet + date（按网点办公时间），或 hours: ["09:00-16:40"]')
    if data.get("outlet") and outlet is None:
        from yimen.outlets.models import Outlet

        outlet = Outlet.objects.filter(code=str(data["outlet"])).first()

    raw_groups = data.get("groups")
    if data.get("demand") == "history":
        raw_groups = _groups_from_history(outlet, day, data, raw_groups, spans)
    if not isinstance(raw_groups, list) or not raw_groups:
        raise ScenarioError(
            "groups 应列出至少一个窗口组（group, arrivals_per_hour, service_minutes）"
        )
    rota_planned = None
    demands, sources = [], {}
    for i, raw in enumerate(raw_groups):
        if (
            not isinstance(raw, dict)
            or "arrivals_per_hour" not in raw
            or "service_minutes" not in raw
        ):
            raise ScenarioError(
                f"第 {i + 1} 个窗口组应写成 {{group, arrivals_per_hour, service_minutes, planned?}}"
            )
        group = str(raw.get("group") or f"组{i + 1}")
        dist = parse_dist(raw["service_minutes"], f"{group} 的服务时长")
        cv = dist.effective_cv
        arrival_cv = _number(raw.get("arrival_cv", 1.0), f"{group} 的到达变异系数 arrival_cv")
        planned = None
        if raw.get("planned") is not None:
            p = raw["planned"]
            if isinstance(p, dict):
                planned = tuple(
                    sorted(
                        (
                            parse_clock(k, f"{group} 计划窗口的时间点"),
                            _number(v, f"{group} 计划窗口数", integer=True),
                        )
                        for k, v in p.items()
                    )
                )
            else:
                planned = ((0.0, _number(p, f"{group} 计划窗口数", integer=True)),)
            sources[group] = "profile"
        elif outlet is not None and day is not None:
            if rota_planned is None:
                from .selectors import planned_windows_by_group

                rota_planned = planned_windows_by_group(outlet, day)
            if rota_planned.get(group):
                planned = rota_planned[group]
                sources[group] = "rota"
        demands.append(
            GroupDemand(
                group,
                parse_rates(raw["arrivals_per_hour"], f"{group} 的到达"),
                dist.mean,
                cv,
                arrival_cv,
                planned,
            )
        )
    result = plan(
        spans, demands, wait_minutes=wait, level=level, max_utilisation=max_util, slack=slack
    )
    for g in result["groups"]:
        g["planned_source"] = sources.get(g["group"], "none")
    result["outlet"] = outlet.code if outlet is not None else data.get("outlet")
    result["date"] = day.isoformat() if day else None
    result["hours"] = [f"{_clock(a)}-{_clock(b)}" for a, b in spans]
    return result


DEFAULT_SERVICE = {"dist": "exponential", "mean": 10}


def _groups_from_history(outlet, day, data, raw_groups, spans) -> list[dict]:
    """`demand: history` — arrivals per half hour and service times from the recorded tickets of
    the same weekday in the last `weeks` weeks (default 4); `groups:` may still set a group's
    `planned` or `service_minutes` explicitly."""
    from .selectors import demand_from_history
    from .simulation import ScenarioError, _number

    if outlet is None or day is None:
        raise ScenarioError("demand: history 需要 outlet 和 date")
    weeks = _number(data.get("weeks", 4), "周数 weeks", minimum=1, integer=True)
    if weeks > 52:
        raise ScenarioError("周数 weeks 不能超过 52")
    overrides = {str(g.get("group")): g for g in raw_groups or [] if isinstance(g, dict)}
    groups = []
    for d in demand_from_history(outlet, day, weeks):
        # every half hour of the opening hours gets a rate (0 when nobody came then)
        rates = {_clock(a): d["rates"].get(_clock(a), 0.0) for a, _b in half_hours(spans)}
        raw = {"group": d["group"], "arrivals_per_hour": rates or 0}
        if d["mean_service"]:
            cv = d["service_cv"]
            raw["service_minutes"] = (
                {"dist": "exponential", "mean": d["mean_service"]}
                if cv is None
                else {"dist": "lognormal", "mean": d["mean_service"], "cv": cv}
            )
        else:
            raw["service_minutes"] = DEFAULT_SERVICE
        raw.update(
            {
                k: v
                for k, v in overrides.get(d["group"], {}).items()
                if k in ("planned", "service_minutes", "arrival_cv")
            }
        )
        groups.append(raw)
    if not groups:
        raise ScenarioError(f"{outlet.name} 在 {day} 及之前 {weeks} 周的同一星期几没有取号记录")
    return groups


def describe(result: dict) -> str:
    lines = [
        f"目标：{result['target']['level'] * 100:g}% 的人在 {result['target']['wait_minutes']:g} 分钟内被叫号；"
        f"方法：{result['method']}"
    ]
    for g in result["groups"]:
        lines.append(
            f"【{g['group']}】 平均服务 {g['mean_service_minutes']:g} 分钟，计划来源："
            f"{ {'profile': '配置文件', 'rota': 'A/B 排班', 'none': '无'}[g['planned_source']] }"
        )
        for r in g["rows"]:
            mark = {"short": "  ← 不足", "over": "  ← 富余", "ok": "", "unknown": ""}[r["status"]]
            planned = "—" if r["planned"] is None else r["planned"]
            lines.append(
                f"  {r['slot']}  到达 {r['arrivals_per_hour']:>5g}/时  负载 {r['offered_load']:>6.2f}  "
                f"需要 {r['needed']:>2}  计划 {planned:>2}{mark}"
            )
    lines.append(f"不足时段 {len(result['short'])} 个，富余时段 {len(result['over'])} 个")
    return "\n".join(lines)
