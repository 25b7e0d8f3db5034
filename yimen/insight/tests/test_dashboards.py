"""Live hall, city overview and reports on history made through the other apps' services."""

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from yimen.core.errors import Forbidden
from yimen.insight import reports, selectors
from yimen.staff.testing import make_staff

from . import history

pytestmark = pytest.mark.django_db


@pytest.fixture
def hist(demo, clock):
    return history.seed()


def test_hall_shows_queues_windows_waits_and_served(hist):
    h = selectors.hall(hist.outlet)
    assert h["open"] is True
    assert h["issued_today"] == 7 and h["served_today"] == 5 and h["no_show_today"] == 1
    assert h["waiting"] == 1 and h["longest_wait_minutes"] == 10.0
    assert h["mean_wait_minutes"] == 9.0
    assert h["sla_15min"] == pytest.approx(5 / 6, abs=1e-4)
    zh = next(q for q in h["queues"] if q["code"] == "CX-ZH")
    assert zh["waiting"] == 1 and zh["longest_wait_minutes"] == 10.0
    windows = {w["number"]: w for w in h["windows"]}
    assert windows["201"]["state"] == "idle" and windows["201"]["served_today"] == 3
    assert windows["202"]["state"] == "paused" and windows["202"]["pause_reason"] == "午餐接力"
    assert windows["203"]["state"] == "closed"
    assert h["windows_open"] == 2


def test_hall_shows_a_serving_window(hist, clock):
    from yimen.queueing import services as q

    called = q.call_next(hist.w201, hist.clerk1)  # t7, issued 09:50, called 10:00
    clock.travel(minutes=2)
    h = selectors.hall(hist.outlet)
    windows = {w["number"]: w for w in h["windows"]}
    assert windows["201"]["state"] == "serving" and windows["201"]["ticket"] == called.number
    assert windows["201"]["ticket_minutes"] == 2.0
    assert h["mean_wait_minutes"] == round((54 + 10) / 7, 1) and h["waiting"] == 0
    # a recall does not restart the wait: it is measured to the first call
    q.recall(called, hist.clerk1)
    assert selectors.hall(hist.outlet)["mean_wait_minutes"] == round((54 + 10) / 7, 1)


def test_hall_access_by_role_and_scope(hist, client):
    director = make_staff("director", outlet="XN-CX")
    client.force_login(director.user)
    page = client.get("/insight/hall/XN-CX/")
    assert page.status_code == 200 and "午餐接力" in page.content.decode()
    assert client.get("/insight/hall/XN-CX/panel/").status_code == 200
    other = make_staff("director", outlet="XN-NSH-01")
    client.force_login(other.user)
    assert client.get("/insight/hall/XN-CX/").status_code == 403
    client.force_login(hist.clerk1.user)
    assert client.get("/insight/hall/XN-CX/").status_code == 403
    leader = make_staff("leader", region_code="630104")
    client.force_login(leader.user)
    assert client.get("/insight/hall/XN-CX/").status_code == 200
    assert client.get("/insight/hall/XN-NOPE/").status_code == 404


def test_city_overview_for_a_district_leader(hist, client):
    leader = make_staff("leader", region_code="630104")
    outlets = selectors.visible_outlets(leader)
    assert hist.outlet in outlets and all(o.region_code.startswith("630104") for o in outlets)
    data = selectors.city_overview(outlets)
    assert data["waiting"] == 1 and data["served_today"] == 5
    client.force_login(leader.user)
    page = client.get("/insight/")
    assert page.status_code == 200 and "城西区市民服务中心" in page.content.decode()
    director = make_staff("director", outlet="XN-CX")
    assert selectors.visible_outlets(director) == [hist.outlet]
    with pytest.raises(Forbidden):
        selectors.visible_outlets(hist.clerk1)


def test_report_by_window_for_the_day(hist):
    director = make_staff("director", outlet="XN-CX")
    data = reports.report(director, {"period": "day", "date": "2026-12-01", "by": "window"})
    t = data["total"]
    assert (t["issued"], t["served"], t["no_show"]) == (7, 5, 1)
    assert t["mean_wait"] == 9.0 and t["sla_15min"] == pytest.approx(5 / 6, abs=1e-4)
    assert (
        t["ratings"] == 2
        and t["mean_score"] == 3.5
        and t["bad_ratings"] == 1
        and t["grievances"] == 1
    )
    rows = {r["name"]: r for r in data["rows"]}
    w201 = next(r for n, r in rows.items() if " 201 " in n)
    w202 = next(r for n, r in rows.items() if " 202 " in n)
    assert (w201["issued"], w201["served"], w201["no_show"]) == (4, 3, 1)
    assert (w202["issued"], w202["served"], w202["grievances"]) == (2, 2, 1)
    assert w202["mean_wait"] == 10.5  # (1 + 20) / 2
    assert w201["mean_service"] == pytest.approx((10 + 10 + 19) / 3, abs=0.1)
    assert data["series"] and data["wait_hist"]["counts"][0] == 2  # waits 0 and 1 are under 5'


def test_report_by_item_department_staff(hist):
    director = make_staff("director", outlet="XN-CX")
    by_item = {
        r["name"].split()[0]: r
        for r in reports.report(director, {"period": "day", "date": "2026-12-01", "by": "item"})[
            "rows"
        ]
    }
    assert by_item["XN-CG-001"]["issued"] == 4 and by_item["XN-WS-001"]["issued"] == 3
    by_dept = {
        r["name"]: r
        for r in reports.report(
            director, {"period": "day", "date": "2026-12-01", "by": "department"}
        )["rows"]
    }
    assert by_dept["城西区卫生健康局"]["grievances"] == 1
    by_staff = {
        r["name"]: r
        for r in reports.report(director, {"period": "day", "date": "2026-12-01", "by": "staff"})[
            "rows"
        ]
    }
    assert (
        by_staff["王窗口（窗口人员）"]["served"] == 3
        and by_staff["李窗口（窗口人员）"]["served"] == 2
    )


def test_month_report_trips_and_on_time_rate(hist):
    history.finish_ws_case_late(hist)
    director = make_staff("director", outlet="XN-CX")
    t = reports.report(director, {"period": "month", "date": "2026-12-15", "by": "outlet"})["total"]
    assert t["cases"] == 2
    assert (
        t["trips_per_case"] == 1.5 and t["one_trip_share"] == 0.5
    )  # pickup at the window = 2nd trip
    assert (
        t["closed_with_limit"] == 2 and t["on_time_rate"] == 0.5
    )  # 即办件 on time, 卫健 4 days late
    week = reports.report(director, {"period": "week", "date": "2026-12-08", "by": "outlet"})
    assert week["total"]["issued"] == 0 and week["total"]["on_time_rate"] == 0.0
    assert len(week["series"]) == 7


def test_excel_export(hist, client):
    director = make_staff("director", outlet="XN-CX")
    client.force_login(director.user)
    response = client.get(
        "/insight/reports/export.xlsx", {"period": "day", "date": "2026-12-01", "by": "window"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["汇总", "按时段", "分布", "口径说明"]
    ws = wb["汇总"]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values.index(
        [
            "名称",
            "取号",
            "办结",
            "过号",
            "过号率",
            "平均等候(分)",
            "90%等候(分)",
            "15分钟内叫号率",
            "平均办理(分)",
            "办件",
            "每件跑动次数",
            "最多跑一次率",
            "有时限办结数",
            "按时办结率",
            "评价数",
            "平均评分",
            "差评",
            "办不成事反映",
            "网办率",  # 网上申报 (yimen/online)
            "全程网办率",
            "零跑动占比",
        ]
    )
    total = values[-1]
    assert total[0] == "合计" and total[1:4] == [7, 5, 1]


def test_report_bad_parameters_are_clear(hist, client):
    director = make_staff("director", outlet="XN-CX")
    client.force_login(director.user)
    for params, message in [
        ({"period": "year"}, "统计周期不正确"),
        ({"by": "colour"}, "统计维度不正确"),
        ({"date": "2026-13-01"}, "日期格式不正确"),
    ]:
        response = client.get("/insight/reports/", params)
        assert response.status_code == 400 and message in response.content.decode()
    assert client.get("/insight/reports/export.xlsx", {"period": "year"}).status_code == 400
    assert client.get("/insight/reports/", {"outlet": "XN-NSH-01"}).status_code == 403


def test_period_ranges():
    assert reports.period_range("week", date(2026, 12, 3))[:2] == (
        date(2026, 11, 30),
        date(2026, 12, 7),
    )
    assert reports.period_range("month", date(2026, 2, 10))[:2] == (
        date(2026, 2, 1),
        date(2026, 3, 1),
    )
    assert reports.period_range("day", date(2026, 12, 1))[1] == date(2026, 12, 2)


def test_twin_replays_a_recorded_day(hist):
    """`replay_from` takes the day's real tickets (arrival times, items, service times) into the twin."""
    from yimen.insight import simulation

    rows = selectors.recorded_history("XN-CX", history.DAY)
    assert len(rows) == 6  # 7 issued, the no-show left out
    assert (
        rows[0]["at"] == 540 and rows[0]["item"] == "XN-CG-001" and rows[0]["service_minutes"] == 10
    )
    base = {
        "replay_from": {"outlet": "XN-CX", "date": "2026-12-01"},
        "service_minutes": {"default": {"dist": "fixed", "mean": 8}},
    }
    two = simulation.run({**base, "windows": [{"group": "CX-ZH", "kind": "综合窗口", "count": 2}]})
    one = simulation.run({**base, "windows": [{"group": "CX-ZH", "kind": "综合窗口", "count": 1}]})
    assert two["served"] == one["served"] == 6 and two["days"] == ["2026-12-01"]
    assert one["mean_wait_minutes"] > two["mean_wait_minutes"]
    with pytest.raises(simulation.ScenarioError, match="没有可回放"):
        simulation.run(
            {
                **base,
                "replay_from": {"outlet": "XN-CX", "date": "2026-12-02"},
                "windows": [{"group": "Z", "kind": "综合窗口", "count": 1}],
            }
        )


def test_staffing_from_recorded_demand(hist):
    """`demand: history`: arrivals per half hour and service times from the day's real tickets."""
    from yimen.insight import erlang, staffing

    demand = {
        d["group"]: d for d in selectors.demand_from_history(hist.outlet, history.DAY, weeks=1)
    }
    zh = demand["CX-ZH"]
    assert zh["rates"] == {"09:00": 12.0, "09:30": 2.0}  # 6 tickets 09:00–09:10, 1 at 09:50
    assert zh["samples"] == 5 and zh["mean_service"] == pytest.approx(
        (10 + 27 + 10 + 19 + 15) / 5, abs=0.01
    )
    result = staffing.load_profile(
        {
            "outlet": "XN-CX",
            "date": "2026-12-01",
            "demand": "history",
            "weeks": 1,
            "groups": [{"group": "CX-ZH", "planned": 2}],
        }
    )
    rows = {r["slot"]: r for r in result["groups"][0]["rows"]}
    cv = zh["service_cv"]
    assert rows["09:00-09:30"]["needed"] == erlang.servers_needed(
        12 / 60, zh["mean_service"], 15, 0.8, cs=cv
    )
    assert rows["10:00-10:30"]["arrivals_per_hour"] == 0 and rows["10:00-10:30"]["needed"] == 0
    assert rows["10:00-10:30"]["status"] == "over"
