"""Loading a scenario from data: resolves catalog codes, opening hours and recorded replays."""

from __future__ import annotations

from datetime import date, timedelta

from .engine import simulate
from .parsing import _number, build_scenario, fmt_clock, parse_clock
from .scenario import DAY, ItemSpec, Scenario, ScenarioError

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
                bool((spec or {}).get("green_channel_eligible", False)),
            )
            for code, spec in own.items()
        }
    from yimen.catalog.models import ServiceItem

    return {
        i.code: ItemSpec(
            i.code,
            i.department.code if i.department_id else "",
            i.name,
            i.comprehensive,
            i.green_channel_eligible,
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

    from ..selectors import recorded_history

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


def live_windows(outlet) -> list[dict]:
    """An outlet's window groups as scenario `windows:` entries — the queues the live system
    routes over (queueing.selectors.queue_infos), each with the items its windows take and its
    number prefix — so a scenario can start from the network as it is configured."""
    from yimen.queueing.selectors import get_outlet, queue_infos

    return [
        {
            "group": info.queue.code,
            "kind": info.kind,
            "count": len(info.windows),
            "items": sorted(info.item_codes),
            "prefix": info.queue.prefix,
        }
        for info in queue_infos(get_outlet(outlet))
    ]
