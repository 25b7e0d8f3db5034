"""Staffing by Erlang C per half hour, compared with planned windows / the A/B rota."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from yimen.insight import erlang, staffing
from yimen.insight.simulation import ScenarioError

SCENARIOS = Path(staffing.__file__).resolve().parent / "scenarios"


def test_half_hours_cover_the_opening_spans():
    assert staffing.half_hours([(540, 640)]) == [(540, 570), (570, 600), (600, 630), (630, 640)]
    assert staffing.half_hours([(540, 720), (810, 840)])[-1] == (810, 840)


def test_plan_finds_short_and_over_staffed_half_hours():
    demand = staffing.GroupDemand(
        "CX-ZH",
        rates=((540, 24), (600, 36), (720, 12)),
        mean_service=8,
        planned=((540, 5), (720, 5)),
    )
    result = staffing.plan([(540, 780)], [demand], wait_minutes=15, level=0.8)
    rows = {r["slot"]: r for r in result["groups"][0]["rows"]}
    # 36/h × 8 min = 4.8 Erlang: 5 windows give P(W ≤ 15) < 80 %, 6 are needed
    assert rows["10:00-10:30"]["needed"] == erlang.servers_needed(36 / 60, 8, 15, 0.8) == 6
    assert rows["10:00-10:30"]["status"] == "short"
    assert rows["10:00-10:30"]["planned_service_level"] < 0.8
    assert rows["09:00-09:30"]["status"] == "over"  # 3.2 Erlang: 4 suffice
    assert rows["12:00-12:30"]["needed"] == 3 and rows["12:00-12:30"]["status"] == "over"
    assert {"group": "CX-ZH", "slot": "10:00-10:30", "needed": 6, "planned": 5} in result["short"]
    assert result["method"] == "Erlang C（M/M/c）"
    # slack 1: a one-window surplus is tolerated
    relaxed = staffing.plan([(540, 780)], [demand], slack=1)
    assert (
        "12:00-12:30" in relaxed["groups"][0]["over"]
        and "09:00-09:30" not in relaxed["groups"][0]["over"]
    )


def test_allen_cunneen_needs_fewer_windows_for_steady_service():
    expo = staffing.GroupDemand("A", rates=((540, 40),), mean_service=9, service_cv=1.0)
    steady = staffing.GroupDemand("B", rates=((540, 40),), mean_service=9, service_cv=0.2)
    result = staffing.plan([(540, 570)], [expo, steady], wait_minutes=5, level=0.9)
    a, b = (g["rows"][0]["needed"] for g in result["groups"])
    assert b < a
    assert "Allen–Cunneen" in result["method"]
    assert result["groups"][1]["allen_cunneen_factor"] == pytest.approx((1 + 0.04) / 2)


def test_no_arrivals_need_no_windows():
    result = staffing.plan(
        [(540, 600)], [staffing.GroupDemand("G", ((540, 0),), 10, planned=((540, 1),))]
    )
    assert [r["needed"] for r in result["groups"][0]["rows"]] == [0, 0]
    assert result["groups"][0]["over"] == ["09:00-09:30", "09:30-10:00"]


@pytest.mark.django_db
def test_staffing_command_uses_profile_and_rota(demo, tmp_path):
    out = io.StringIO()
    call_command("staffing", str(SCENARIOS / "xn-cx-staffing.yaml"), "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["outlet"] == "XN-CX" and result["hours"] == ["09:00-16:40"]  # Tue 2026-12-01
    zh = next(g for g in result["groups"] if g["group"] == "CX-ZH")
    assert zh["planned_source"] == "profile"
    assert len(zh["rows"]) == 16 and zh["rows"][-1]["slot"] == "16:30-16:40"
    assert "10:00-10:30" in zh["short"]
    assert any(s["group"] == "CX-ZH" for s in result["short"])
    rs = next(g for g in result["groups"] if g["group"] == "CX-ZY-RS")
    assert rs["planned_source"] in {"rota", "none"}  # from the A/B rota when its staff exist


@pytest.mark.django_db
def test_staffing_from_the_ab_rota(demo):
    """Without `planned`, windows staffed per half hour come from yimen.staff's rota."""
    from yimen.outlets.models import Outlet, Window
    from yimen.staff.testing import make_staff

    outlet = Outlet.objects.get(code="XN-CX")
    windows = list(Window.objects.filter(outlet=outlet, group_code="CX-ZY-RS"))
    for w in windows:
        for group in "AB":
            staff = make_staff("clerk", outlet=outlet, shift_group=group)
            staff.home_window = w
            staff.save()
    result = staffing.load_profile(
        {
            "outlet": "XN-CX",
            "date": "2026-12-01",
            "groups": [
                {
                    "group": "CX-ZY-RS",
                    "arrivals_per_hour": 30,
                    "service_minutes": {"dist": "exponential", "mean": 6},
                }
            ],
        }
    )
    group = result["groups"][0]
    assert group["planned_source"] == "rota"
    assert group["rows"][0]["planned"] == len(windows) == 2
    assert group["rows"][0]["needed"] == erlang.servers_needed(0.5, 6, 15, 0.8) == 4
    assert group["short"]


@pytest.mark.django_db
def test_bad_profiles(demo, tmp_path):
    with pytest.raises(ScenarioError, match="不开放"):
        staffing.load_profile({"outlet": "XN-CX", "date": "2026-10-01", "groups": []})
    with pytest.raises(ScenarioError, match="找不到网点"):
        staffing.load_profile({"outlet": "XN-NOPE", "date": "2026-12-01", "groups": []})
    with pytest.raises(ScenarioError, match="level"):
        staffing.load_profile({"hours": ["09:00-12:00"], "target": {"level": 80}, "groups": []})
    with pytest.raises(ScenarioError, match="groups"):
        staffing.load_profile({"hours": ["09:00-12:00"], "groups": []})
    bad = tmp_path / "p.yaml"
    bad.write_text(
        "hours: ['09:00-12:00']\ngroups: [{group: X, arrivals_per_hour: 5}]\n", encoding="utf-8"
    )
    with pytest.raises(CommandError, match="service_minutes"):
        call_command("staffing", str(bad), "--json")
