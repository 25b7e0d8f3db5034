"""The A/B rota of a real outlet: December 2026 for 城西区市民服务中心 has no gaps; a leave without a
stand-in makes one that the coverage check lists; swaps and substitutes close it; page + Excel."""

import io
from datetime import date, time

import pytest
from openpyxl import load_workbook

from yimen.core.errors import Conflict, Forbidden, ValidationFailed
from yimen.outlets.models import Outlet
from yimen.staff import selectors, services
from yimen.staff.models import Staff


@pytest.fixture
def cx(demo):
    return Outlet.objects.get(code="XN-CX")


def who(username):
    return Staff.objects.get(user__username=username)


def test_december_2026_xn_cx_has_no_gaps(cx):
    r = selectors.rota(cx, date(2026, 12, 1), date(2026, 12, 31))
    assert len(r.posts) == 19  # 101, 102, 201–205, B101, 301–311
    assert all(set(p.members) == {"A", "B"} for p in r.posts)
    assert r.gaps == [] and r.clashes == []
    # every window open on 2026-12-05 (Saturday, ISO week 49, odd → A on duty) is run by group A
    saturday = [a for a in r.assignments if a.date == date(2026, 12, 5)]
    assert len(saturday) == 19 and {r.groups[a.staff] for a in saturday} == {"A"}
    assert {r.groups[a.staff] for a in r.assignments if a.date == date(2026, 12, 12)} == {
        "B"
    }  # week 50
    assert {(a.start, a.end) for a in saturday} == {(time(9), time(12))}
    # Sundays closed, weekdays relayed at noon by the off-duty group
    assert not [a for a in r.assignments if a.date == date(2026, 12, 6)]
    relay = [a for a in r.assignments if a.date == date(2026, 12, 1) and a.kind == "relay"]
    assert len(relay) == 19 and {r.groups[a.staff] for a in relay} == {
        "B"
    }  # week 49: A on duty, B relays


def test_holidays_and_makeup_days_follow_the_calendar(cx):
    # 2026-10-01..07 national day (off), 2026-10-10 Saturday 调休 working day → weekday hours
    r = selectors.rota(cx, date(2026, 9, 28), date(2026, 10, 11))
    by_day = {}
    for a in r.assignments:
        by_day.setdefault(a.date, []).append(a)
    assert date(2026, 10, 1) not in by_day and date(2026, 10, 5) not in by_day
    makeup = by_day[date(2026, 10, 10)]
    assert max(a.end for a in makeup) == time(16, 40) and {a.kind for a in makeup} >= {"relay"}
    assert r.gaps == []


def test_leave_without_stand_in_is_a_gap_then_swap_closes_it(cx):
    chief = who("cx_chief_zh")
    day = date(2026, 12, 2)  # Wednesday, week 49: A on duty, B relays at noon
    a201, b201 = who("cx_zh_201"), who("cx_zh_201_b")
    leave = services.record_leave(chief, b201, day, day, kind="病假")
    gaps = selectors.coverage_gaps(cx, day, day)
    assert [str(g) for g in gaps] == ["CX-ZH-201 2026-12-02 12:00-13:00"]
    assert selectors.staffed_windows(cx, day, time(12, 30)) == 18
    page_gap = selectors.rota(cx, day, day).gaps[0]
    assert (page_gap.window, page_gap.start, page_gap.end) == ("CX-ZH-201", time(12), time(13))
    services.cancel_leave(chief, leave)
    assert selectors.coverage_gaps(cx, day, day) == []
    # the on-duty member away all day: without a stand-in the window is uncovered morning and afternoon
    leave = services.record_leave(chief, a201, day, day)
    assert [str(g) for g in selectors.coverage_gaps(cx, day, day)] == [
        "CX-ZH-201 2026-12-02 09:00-12:00",
        "CX-ZH-201 2026-12-02 13:00-16:40",
    ]
    services.cancel_leave(chief, leave)
    services.record_leave(chief, a201, day, day, substitute=who("cx_guide_b"))
    assert selectors.coverage_gaps(cx, day, day) == []
    services.record_swap(chief, cx, day, a201, who("cx_chief_dc"), reason="培训")
    r = selectors.rota(cx, day, day)
    assert r.gaps == [] and any(
        a.staff == "cx_chief_dc" and a.kind == "substitute" for a in r.assignments
    )


def test_rota_changes_are_checked(cx):
    chief = who("cx_chief_zh")
    a201 = who("cx_zh_201")
    with pytest.raises(Forbidden):
        services.record_leave(who("cx_zh_202"), a201, date(2026, 12, 2), date(2026, 12, 2))
    with pytest.raises(ValidationFailed):
        services.record_leave(chief, a201, date(2026, 12, 3), date(2026, 12, 2))
    with pytest.raises(ValidationFailed):
        services.record_leave(
            chief, a201, date(2026, 12, 2), date(2026, 12, 2), substitute=who("nsh01_clerk")
        )
    services.record_leave(chief, a201, date(2026, 12, 2), date(2026, 12, 4))
    with pytest.raises(Conflict):
        services.record_leave(chief, a201, date(2026, 12, 4), date(2026, 12, 5))
    with pytest.raises(ValidationFailed):
        services.record_swap(chief, cx, date(2026, 12, 2), a201, a201)


def test_staffing_profile_for_the_staffing_tool(cx):
    profile = dict(selectors.staffing_profile(cx, date(2026, 12, 1)))
    assert profile[time(8, 30)] == 0 and profile[time(9)] == 19 and profile[time(12)] == 19
    assert profile[time(16, 30)] == 19 and profile[time(17)] == 0
    assert selectors.staffed_windows(cx, date(2026, 12, 6), time(10)) == 0  # Sunday


def test_rota_page_and_excel(client, cx):
    client.force_login(who("cx_chief_zh").user)
    page = client.get("/staff/rota/XN-CX/?week=2026-W49").content.decode()
    assert "0 处缺岗" in page and "午间接力" in page and "A组值班" in page and "2026-11-30" in page
    r = client.get("/staff/rota/XN-CX/export.xlsx?week=2026-W49&weeks=5")
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["2026-W49", "2026-W50", "2026-W51", "2026-W52", "2026-W53", "覆盖检查"]
    assert wb["覆盖检查"]["A2"].value == "无缺岗"
    assert client.get("/staff/rota/XN-CX/?week=2026-W99").status_code == 400
    assert client.get("/staff/rota/XN-NOPE/").status_code == 404


def test_rota_page_forms_record_leave_and_show_gap(client, cx):
    client.force_login(who("cx_director").user)
    a = who("cx_zh_203")
    r = client.post(
        "/staff/rota/XN-CX/change/",
        {
            "op": "leave",
            "staff": a.pk,
            "start": "2026-12-08",
            "end": "2026-12-08",
            "kind": "事假",
            "week": "2026-W50",
        },
        follow=True,
    )
    text = r.content.decode()
    assert "1 处缺岗" in text and "CX-ZH-203 2026-12-08" in text
    r = client.post(
        "/staff/rota/XN-CX/change/",
        {"op": "leave", "staff": a.pk, "start": "bad", "end": "x"},
        follow=True,
    )
    assert "格式不正确" in r.content.decode()


def test_rota_scope(client, cx):
    client.force_login(who("cx_zh_201").user)
    assert client.get("/staff/rota/XN-CD/").status_code == 403
    assert client.post("/staff/rota/XN-CX/change/", {"op": "swap"}, follow=True).status_code == 200
    client.force_login(who("cx_leader").user)
    assert client.get("/staff/rota/XN-CX/?week=2026-W49").status_code == 200
    assert client.get("/staff/rota/XN-CD/").status_code == 403
