"""Parsing helpers (pure): clock times, distributions, rates and the scenario builder."""

from __future__ import annotations

import math

from yimen.queueing.rules import (
    DispatchPolicy,
)

from .scenario import (
    DAY,
    DISTS,
    POLICIES,
    SLA_MINUTES,
    ItemSpec,
    Scenario,
    ScenarioError,
    ServiceDist,
    Stream,
    WindowSpec,
)

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
                prefix=str(raw.get("prefix") or f"{i:03d}"),  # default: the order listed
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
