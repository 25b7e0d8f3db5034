"""The what-if page's logic: a base scenario from yimen/insight/scenarios/, changed by the form
(windows per group, arrivals and service time scaled, policy), run by the twin. Authorisation is
checked here, not in the view."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from yimen.core.errors import ValidationFailed
from yimen.staff.authz import authorize

from . import simulation

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"
BASES = ["xn-cx-2f-one-window", "xn-cx-2f-dedicated", "xn-cx-week"]
MAX_VISITORS = 40_000  # keeps one page request within a few seconds
MAX_REPLICATIONS = 10


def base_scenarios() -> list[dict]:
    out = []
    for key in BASES:
        data = load_base(key)
        out.append({"key": key, "name": data.get("name", key)})
    return out


def load_base(key: str) -> dict:
    if key not in BASES:
        raise ValidationFailed(f"没有这个基础场景：{key}")
    return yaml.safe_load((SCENARIO_DIR / f"{key}.yaml").read_text(encoding="utf-8"))


@dataclass
class WhatIf:
    base: str = BASES[0]
    policy: str = ""
    windows: list[int] = field(default_factory=list)
    arrivals_pct: int = 100
    service_pct: int = 100
    replications: int = 0
    seed: int | None = None
    compare: bool = False
    patience_minutes: int = (
        0  # 0: nobody gives up; else mean patience (exponential) of the visitors
    )


def _int(params, key, default, lo, hi, label):
    raw = params.get(key)
    if raw in (None, ""):
        return default
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ValidationFailed(f"{label}应为整数：{raw}")
    if not lo <= value <= hi:
        raise ValidationFailed(f"{label}应在 {lo} 到 {hi} 之间（现为 {value}）")
    return value


def parse(params) -> WhatIf:
    """Form values (a QueryDict or dict) → WhatIf, with Chinese messages for bad input."""
    base = params.get("base") or BASES[0]
    data = load_base(base)
    policy = params.get("policy") or data.get("policy", "one-window")
    if policy not in simulation.POLICIES:
        raise ValidationFailed(f"不支持的策略：{policy}")
    windows = []
    for i, w in enumerate(data.get("windows") or []):
        windows.append(
            _int(params, f"windows_{i}", int(w.get("count", 1)), 0, 40, f"{w.get('group')} 窗口数")
        )
    if not any(windows):
        raise ValidationFailed("至少需要开放 1 个窗口")
    return WhatIf(
        base=base,
        policy=policy,
        windows=windows,
        arrivals_pct=_int(params, "arrivals_pct", 100, 10, 400, "到达量（%）"),
        service_pct=_int(params, "service_pct", 100, 20, 300, "服务时长（%）"),
        replications=_int(
            params,
            "replications",
            min(int(data.get("replications", 1)), 5),
            1,
            MAX_REPLICATIONS,
            "重复次数",
        ),
        seed=_int(params, "seed", int(data.get("seed", 1)), 0, 2**31 - 1, "随机种子"),
        compare=str(params.get("compare", "")).lower() in {"1", "on", "true", "yes"},
        patience_minutes=_int(params, "patience_minutes", 0, 0, 240, "平均耐心时长（分钟）"),
    )


def scenario_data(w: WhatIf, policy: str | None = None) -> dict:
    data = copy.deepcopy(load_base(w.base))
    data["policy"] = policy or w.policy
    data["replications"] = w.replications
    data["seed"] = w.seed
    for raw, count in zip(data.get("windows") or [], w.windows):
        raw["count"] = count
    data["windows"] = [raw for raw in data.get("windows") or [] if raw.get("count")]
    # rota entries cannot open more windows than the group has
    counts = {raw["group"]: raw["count"] for raw in data["windows"]}
    rota = []
    for entry in data.get("rota") or []:
        open_ = {g: min(n, counts[g]) for g, n in entry["open"].items() if g in counts}
        if open_:
            rota.append({**entry, "open": open_})
    data["rota"] = rota
    scale = w.arrivals_pct / 100.0
    for arr in data.get("arrivals") or []:
        rate = arr["rate_per_hour"]
        arr["rate_per_hour"] = (
            {k: v * scale for k, v in rate.items()} if isinstance(rate, dict) else rate * scale
        )
    s = w.service_pct / 100.0
    for key, dist in (data.get("service_minutes") or {}).items():
        if isinstance(dist, dict):
            dist["mean"] = dist["mean"] * s
        else:
            data["service_minutes"][key] = dist * s
    if w.patience_minutes:
        # a visitor who has left is still called in turn: a recall and 过号 cost the window a minute
        data["abandonment"] = {
            "patience": {"dist": "exponential", "mean": w.patience_minutes},
            "no_show_minutes": 1,
        }
    return data


def run(actor, params) -> dict:
    """Authorise, parse, run (and the other policy too when asked). Returns the page context."""
    authorize(actor, "insight.whatif")
    w = parse(params)
    primary = simulation.load_scenario(scenario_data(w))
    estimate = _expected_visitors(primary) * w.replications * (2 if w.compare else 1)
    if estimate > MAX_VISITORS:
        raise ValidationFailed(
            f"本次仿真约有 {estimate:,.0f} 人次，超过页面上限 {MAX_VISITORS:,}："
            "请减少重复次数或到达量，或用命令行 yimen simulate 运行。"
        )
    results = [simulation.simulate(primary)]
    note = ""
    if w.compare:
        other = "dedicated" if w.policy == "one-window" else "one-window"
        try:
            results.append(simulation.simulate(simulation.load_scenario(scenario_data(w, other))))
        except simulation.ScenarioError as exc:  # e.g. fewer windows than departments
            note = f"对照方案无法仿真：{exc.message}"
    return {"whatif": w, "results": results, "compare_note": note}


def _expected_visitors(scenario: simulation.Scenario) -> float:
    if scenario.replay is not None:
        return float(len(scenario.replay))
    total = 0.0
    for spans in scenario.days:
        for a, b in spans:
            for s in scenario.streams:
                total += simulation._integrate_rate(s, a, b) / 60.0
    return total
