"""The digital twin: validation against Erlang C, the pooling effect, the live dispatcher, rota,
opening days, the command line."""

import io
import json
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from yimen.insight import erlang, simulation
from yimen.insight.simulation import ItemSpec, ScenarioError, build_scenario, simulate

SCENARIOS = Path(erlang.__file__).resolve().parent / "scenarios"  # yimen/insight/scenarios


def mmc(
    c,
    rate_per_hour,
    mean,
    *,
    minutes,
    seed=1,
    replications=1,
    warmup=500,
    dist="exponential",
    **extra,
):
    data = {
        "seed": seed,
        "replications": replications,
        "warmup_minutes": warmup,
        "windows": [{"group": "Z", "kind": "综合窗口", "count": c}],
        "arrivals": [{"item": "T", "rate_per_hour": rate_per_hour}],
        "service_minutes": {"default": {"dist": dist, "mean": mean, "cv": extra.pop("cv", 1.0)}},
        **extra,
    }
    return build_scenario(data, items={"T": ItemSpec("T", "D")}, days=[[(0.0, float(minutes))]])


# --- validation against Erlang C (long runs; ≈ 25 s together) -------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("c, rate_per_hour", [(2, 6.0), (4, 12.0)])
def test_mmc_mean_wait_matches_erlang_c_within_5_percent(c, rate_per_hour):
    """M/M/c at ρ = 0.5, 8 independent replications of ≈ 40 000 visitors each (seeds 1–8)."""
    mean_service = 10.0
    exact = erlang.mean_wait(rate_per_hour / 60, mean_service, c)
    result = simulate(
        mmc(c, rate_per_hour, mean_service, minutes=400_000 / rate_per_hour * 6, replications=8)
    )
    assert result["served"] > 300_000
    assert result["mean_wait_minutes"] == pytest.approx(exact, rel=0.05)
    # the reported 95 % confidence interval covers the formula
    lo, hi = result["confidence"]["mean_wait_ci95"]
    assert lo <= exact <= hi
    # utilisation ≈ ρ, share served within 15 minutes ≈ Erlang C service level
    assert result["utilisation"] == pytest.approx(0.5, abs=0.01)
    assert result["sla_15min"] == pytest.approx(
        erlang.service_level(rate_per_hour / 60, mean_service, c, 15), abs=0.01
    )
    assert result["unserved"] == 0


def test_pooling_one_window_beats_dedicated_on_the_same_arrivals():
    """Two departments, 4 windows: pooled (一窗通办) versus 2 + 2 dedicated windows."""
    base = {
        "seed": 11,
        "replications": 4,
        "warmup_minutes": 300,
        "items": {"A-1": {"department": "DA"}, "B-1": {"department": "DB"}},
        "windows": [{"group": "ZH", "kind": "综合窗口", "count": 4}],
        "arrivals": [{"item": "A-1", "rate_per_hour": 8.4}, {"item": "B-1", "rate_per_hour": 8.4}],
        "service_minutes": {"default": {"dist": "exponential", "mean": 10}},
        "duration_minutes": 20_000,
    }
    pooled = simulation.run({**base, "policy": "one-window"})
    dedicated = simulation.run({**base, "policy": "dedicated"})
    assert pooled["arrivals"] == dedicated["arrivals"]  # the same visitors
    assert dedicated["dedicated_allocation"] == {"DA": 2, "DB": 2}
    assert pooled["mean_wait_minutes"] < 0.6 * dedicated["mean_wait_minutes"]
    assert pooled["p90_wait_minutes"] < dedicated["p90_wait_minutes"]
    assert pooled["sla_15min"] > dedicated["sla_15min"]
    # both are close to their Erlang C values (ρ = 0.7): M/M/4 vs two M/M/2
    assert pooled["mean_wait_minutes"] == pytest.approx(erlang.mean_wait(16.8 / 60, 10, 4), rel=0.2)
    assert dedicated["mean_wait_minutes"] == pytest.approx(
        erlang.mean_wait(8.4 / 60, 10, 2), rel=0.2
    )


def test_dedicated_allocation_follows_the_load():
    # A needs 3 to be stable; the 6th window cuts total waiting most at C (λ·Wq: 8.1 → 0.23)
    assert simulation.allocate_dedicated({"A": 2.5, "B": 0.4, "C": 0.9}, 6) == {
        "A": 3,
        "B": 1,
        "C": 2,
    }
    assert simulation.allocate_dedicated({"A": 2.5, "B": 0.4, "C": 0.9}, 5) == {
        "A": 3,
        "B": 1,
        "C": 1,
    }
    with pytest.raises(ScenarioError):
        simulation.allocate_dedicated({"A": 1, "B": 1, "C": 1}, 2)


def test_uses_the_live_dispatcher(monkeypatch):
    """The twin calls queueing.rules.choose_next: the call reasons come from the live module."""
    from yimen.queueing import rules

    calls = []
    real = rules.choose_next

    def spy(*args, **kwargs):
        choice = real(*args, **kwargs)
        if choice:
            calls.append(choice.reason)
        return choice

    monkeypatch.setattr(simulation.engine, "choose_next", spy)
    assert simulation.engine.choose_next is spy and real is rules.choose_next
    result = simulate(mmc(2, 10, 8, minutes=600, warmup=0, seed=3))
    assert len(calls) == result["served"] > 50
    assert set(calls) == {"先到先办"}


def test_priority_class_is_reported_and_called_ahead_by_the_ratio_rule():
    data = {
        "seed": 5,
        "replications": 2,
        "duration_minutes": 3000,
        "items": {"T": {"department": "D"}},
        "windows": [{"group": "ZH", "kind": "综合窗口", "count": 3}],
        "arrivals": [{"item": "T", "rate_per_hour": 19, "priority_share": 0.15}],
        "service_minutes": {"default": {"dist": "lognormal", "mean": 8, "cv": 0.6}},
    }
    r = simulation.run(data)
    pri, ordn = r["per_priority"]["priority"], r["per_priority"]["ordinary"]
    assert pri["served"] > 0 and ordn["served"] > 0
    assert pri["served"] + ordn["served"] == r["served"]
    assert pri["mean_wait_minutes"] < ordn["mean_wait_minutes"]
    for key in ("mean_wait_minutes", "p90_wait_minutes", "sla_15min", "utilisation", "served"):
        assert key in r and key in pri and key in ordn
    assert 0.5 < r["utilisation"] < 0.95
    # the classes' shares of window time add up to the total utilisation
    assert pri["utilisation"] + ordn["utilisation"] == pytest.approx(r["utilisation"], abs=0.01)


def test_green_channel_serves_priority_and_takes_ordinary_tickets_when_idle():
    data = {
        "seed": 5,
        "duration_minutes": 3000,
        "items": {
            "T": {"department": "D", "green_channel_eligible": True},
            "U": {"department": "D"},
        },
        "windows": [
            {"group": "ZH", "kind": "综合窗口", "count": 3},
            {"group": "G", "kind": "绿色通道", "count": 1, "items": ["T"]},
        ],
        "arrivals": [
            {"item": "T", "rate_per_hour": 10, "priority_share": 0.2},
            {"item": "U", "rate_per_hour": 12, "priority_share": 0.2},
        ],
        "service_minutes": {"default": {"dist": "lognormal", "mean": 8, "cv": 0.6}},
    }
    r = simulation.run(data)
    assert set(r["per_queue"]) == {"ZH", "G"}
    # G holds only priority tickets of items that may use the green channel (T, as the catalog's
    # 可走绿色通道 — the live routing rule); U's priority tickets stay in ZH
    assert r["per_queue"]["G"]["served"] < r["per_priority"]["priority"]["served"]
    # the idle green window also called ordinary tickets (fallback queue ZH, its items only)
    assert r["per_window"]["G#1"]["served"] > r["per_queue"]["G"]["served"]


def test_rota_closes_windows_and_hall_serves_tickets_issued_before_closing():
    data = {
        "seed": 2,
        "duration_minutes": 240,
        "start": "09:00",
        "items": {"T": {"department": "D"}},
        "windows": [{"group": "ZH", "kind": "综合窗口", "count": 3}],
        "rota": [{"span": "10:00-11:00", "open": {"ZH": 1}}],
        "arrivals": [{"item": "T", "rate_per_hour": 15}],
        "service_minutes": {"default": {"dist": "fixed", "mean": 10}},
    }
    r = simulation.run(data)
    slots = {row["slot"]: row for row in r["by_half_hour"]}
    assert slots["09:00"]["open_windows"] == 3 and slots["10:00"]["open_windows"] == 1
    assert slots["10:30"]["mean_wait_minutes"] > slots["09:00"]["mean_wait_minutes"]
    assert r["unserved"] == 0 and r["served"] == r["arrivals"]


def test_replay_of_recorded_history():
    data = {
        "duration_minutes": 120,
        "items": {"T": {"department": "D"}},
        "windows": [{"group": "ZH", "kind": "综合窗口", "count": 1}],
        "replay": [
            {"at": "09:00", "item": "T", "service_minutes": 10},
            {"at": "09:02", "item": "T", "service_minutes": 5},
            {"at": "09:03", "item": "T", "priority": "老年人", "service_minutes": 5},
        ],
        "service_minutes": {"default": 5},
    }
    r = simulation.run(data)
    # 09:00 served at once; at 09:10 the live ratio rule calls the older ordinary 09:02 ticket first
    # (only one ordinary served since the last priority one, and it is older), the priority one at 09:15
    assert r["served"] == 3
    assert r["per_priority"]["priority"]["mean_wait_minutes"] == pytest.approx(12)
    assert r["per_priority"]["ordinary"]["mean_wait_minutes"] == pytest.approx(4)  # (0 + 8) / 2


def test_same_seed_same_result_and_different_seed_differs():
    a = simulate(mmc(2, 9, 10, minutes=2000, seed=4))
    b = simulate(mmc(2, 9, 10, minutes=2000, seed=4))
    c = simulate(mmc(2, 9, 10, minutes=2000, seed=5))
    assert a == b and a["mean_wait_minutes"] != c["mean_wait_minutes"]


@pytest.mark.parametrize(
    "patch, message",
    [
        ({"policy": "random"}, "不支持的策略"),
        ({"windows": []}, "至少需要 1 个窗口"),
        ({"arrivals": [{"item": "NOPE", "rate_per_hour": 3}]}, "未知事项"),
        ({"service_minutes": {"default": {"dist": "weibull", "mean": 3}}}, "不支持"),
        ({"arrivals": [{"item": "T", "rate_per_hour": "many"}]}, "应为数字"),
        ({"rota": [{"span": "12-13", "open": {"ZH": 1}}]}, "格式不正确"),
        ({"duration_minutes": None}, "duration_minutes"),
    ],
)
def test_bad_scenarios_give_chinese_messages(patch, message):
    data = {
        "duration_minutes": 60,
        "items": {"T": {"department": "D"}},
        "windows": [{"group": "ZH", "kind": "综合窗口", "count": 1}],
        "arrivals": [{"item": "T", "rate_per_hour": 3}],
        "service_minutes": {"default": 5},
    }
    data.update(patch)
    with pytest.raises(ScenarioError) as exc:
        simulation.run(data)
    assert message in exc.value.message


# --- with the catalog and opening hours ----------------------------------------------------------


@pytest.mark.django_db
def test_xn_cx_example_scenarios_one_window_vs_dedicated(demo):
    one = simulation.run(yaml.safe_load((SCENARIOS / "xn-cx-2f-one-window.yaml").read_text()))
    ded = simulation.run(yaml.safe_load((SCENARIOS / "xn-cx-2f-dedicated.yaml").read_text()))
    assert one["arrivals"] == ded["arrivals"] and one["windows"] == ded["windows"] == 5
    assert one["mean_wait_minutes"] < ded["mean_wait_minutes"]
    assert set(ded["dedicated_allocation"]) == {"XN-CG", "XN-ZJ", "XN-WS", "XN-JY", "XN-WL"}


@pytest.mark.django_db
def test_days_of_an_outlet_follow_opening_hours_and_calendar(demo):
    data = yaml.safe_load((SCENARIOS / "xn-cx-week.yaml").read_text())
    data.update({"days": 3, "start_date": "2026-09-30", "replications": 1})  # 国庆: Oct 1–8 off
    scenario = simulation.load_scenario(data)
    assert scenario.day_labels[0] == "2026-09-30"
    assert "2026-10-01" not in scenario.day_labels
    saturday = simulation.load_scenario({**data, "start_date": "2026-12-05", "days": 1})
    assert saturday.days == [[(540.0, 720.0)]]  # Sat 09:00–12:00
    r = simulate(saturday)
    assert r["served"] > 0 and all(row["slot"] < "12:00" for row in r["by_half_hour"])


@pytest.mark.django_db
def test_simulate_command_prints_one_json_document(demo, tmp_path):
    out = io.StringIO()
    call_command(
        "simulate",
        str(SCENARIOS / "xn-cx-2f-one-window.yaml"),
        "--json",
        "--replications",
        "2",
        stdout=out,
    )
    result = json.loads(out.getvalue())
    assert result["policy"] == "one-window" and result["confidence"]["replications"] == 2
    for key in (
        "mean_wait_minutes",
        "p90_wait_minutes",
        "sla_15min",
        "utilisation",
        "served",
        "per_priority",
    ):
        assert key in result
    out = io.StringIO()
    call_command(
        "simulate",
        str(SCENARIOS / "xn-cx-2f-one-window.yaml"),
        "--policy",
        "dedicated",
        "--replications",
        "1",
        stdout=out,
    )
    assert "分部门专窗" in out.getvalue()
    bad = tmp_path / "bad.yaml"
    bad.write_text("policy: [unclosed", encoding="utf-8")
    with pytest.raises(CommandError, match="YAML"):
        call_command("simulate", str(bad), "--json")
    with pytest.raises(CommandError, match="找不到"):
        call_command("simulate", str(tmp_path / "missing.yaml"))


# --- abandonment (visitors who give up waiting) ---------------------------------------------------


def test_erlang_a_formula_reduces_to_known_cases():
    import math

    # patience = service time at one window: departures n/mean, the M/M/∞ chain: P = (a − 1 + e^−a) / a
    a = 2.0
    assert erlang.abandonment_probability(a / 10, 10, 1, 10) == pytest.approx(
        (a - 1 + math.exp(-a)) / a, rel=1e-9
    )
    # endless patience: nobody leaves; short patience at overload: at least the excess leaves
    assert erlang.abandonment_probability(0.05, 10, 2, 1e9) < 1e-6
    assert erlang.abandonment_probability(0.3, 10, 2, 15) > 1 - 0.2 / 0.3
    with pytest.raises(ValueError):
        erlang.abandonment_probability(0.1, 10, 2, 0)


@pytest.mark.parametrize("c, rate_per_hour, patience", [(1, 9.0, 20.0), (2, 18.0, 15.0)])
def test_abandonment_matches_erlang_a(c, rate_per_hour, patience):
    """M/M/c+M above and below capacity, 4 replications of ≈ 6 000 visitors: the share who leave
    matches the formula within 1.5 points; with no time lost on their tickets it is reneging."""
    exact = erlang.abandonment_probability(rate_per_hour / 60, 10.0, c, patience)
    result = simulate(
        mmc(
            c,
            rate_per_hour,
            10.0,
            minutes=6000 / rate_per_hour * 60,
            replications=4,
            warmup=300,
            abandonment={
                "patience": {"dist": "exponential", "mean": patience},
                "no_show_minutes": 0,
            },
        )
    )
    left = result["abandonment"]
    assert left["abandoned"] + result["served"] > 20_000
    assert left["rate"] == pytest.approx(exact, abs=0.015)


def test_without_impatience_results_are_unchanged_and_no_shows_cost_window_time():
    base = simulate(mmc(2, 10.0, 10.0, minutes=3000, warmup=0))
    patient = simulate(mmc(2, 10.0, 10.0, minutes=3000, warmup=0, abandonment={"patience": 1e9}))
    assert "abandonment" not in base
    assert patient["abandonment"]["abandoned"] == 0
    assert (patient["served"], patient["mean_wait_minutes"]) == (
        base["served"],
        base["mean_wait_minutes"],
    )
    # the same impatient visitors; calling the tickets of those who left costs 0 or 3 minutes
    free = simulate(
        mmc(
            2,
            14.0,
            10.0,
            minutes=3000,
            warmup=0,
            abandonment={"patience": 10, "no_show_minutes": 0},
        )
    )
    costly = simulate(
        mmc(
            2,
            14.0,
            10.0,
            minutes=3000,
            warmup=0,
            abandonment={"patience": 10, "no_show_minutes": 3},
        )
    )
    assert costly["abandonment"]["rate"] > free["abandonment"]["rate"] > 0
    assert costly["mean_wait_minutes"] > free["mean_wait_minutes"]


def test_abandonment_needs_a_patience():
    with pytest.raises(ScenarioError) as err:
        mmc(1, 6.0, 10.0, minutes=600, abandonment={"no_show_minutes": 1})
    assert "patience" in err.value.message
