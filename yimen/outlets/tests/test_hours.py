"""Opening hours: validation rules, the services that change them, and scenario S12."""

from datetime import date, time

import pytest

from yimen.core.errors import Forbidden, ValidationFailed
from yimen.core.models import AuditEntry
from yimen.core.selectors import work_calendar
from yimen.outlets import services
from yimen.outlets.rules import validate_spans, validate_weekly
from yimen.outlets.selectors import get_outlet, is_open, next_opening, outlet_week, schedule_for
from yimen.staff.testing import make_staff


def test_validate_spans_and_weekly():
    assert validate_spans(["13:00-17:00", "09:00-12:00"]) == ["09:00-12:00", "13:00-17:00"]
    assert validate_spans("09:00-12:00，13:30-17:00") == ["09:00-12:00", "13:30-17:00"]
    with pytest.raises(ValueError, match="时间段重叠"):
        validate_spans(["09:00-12:00", "11:00-13:00"])
    with pytest.raises(ValueError, match="结束时间应晚于开始时间"):
        validate_spans(["12:00-09:00"])
    with pytest.raises(ValueError, match="格式不正确"):
        validate_spans(["9点到12点"])
    assert validate_weekly({"mon": ["09:00-16:40"]})["sun"] == []
    with pytest.raises(ValueError, match="未知的星期"):
        validate_weekly({"monday": ["09:00-16:40"]})
    with pytest.raises(ValueError, match="周六"):
        validate_weekly({"sat": ["25:00-26:00"]})


# --- S12 (scenarios.md): 调休 Saturday, holiday, Saturday half day, due date -------------------


def test_s12_makeup_saturday_opens_with_weekday_hours(db, demo, clock):
    schedule = schedule_for(get_outlet("XN-CX"))
    assert schedule.spans_on(date(2022, 4, 2)) == [(time(9, 0), time(16, 40))]
    assert schedule.is_open(
        clock.at(2022, 4, 2, 15, 0)
    )  # after 12:00: weekday hours, not Saturday's


def test_s12_holiday_closed_and_next_opening(db, demo, clock):
    cx = get_outlet("XN-CX")
    at = clock.at(2022, 4, 4, 9, 0)
    assert not is_open(cx, at)
    assert next_opening(cx, at) == clock.at(2022, 4, 6, 9, 0)


def test_s12_ordinary_saturday_is_half_day(db, demo, clock):
    schedule = schedule_for(get_outlet("XN-CX"))
    assert schedule.spans_on(date(2022, 3, 19)) == [(time(9, 0), time(12, 0))]
    assert schedule.is_open(clock.at(2022, 3, 19, 11, 59))
    assert not schedule.is_open(clock.at(2022, 3, 19, 12, 0))
    assert schedule.next_opening(clock.at(2022, 3, 19, 12, 0)) == clock.at(2022, 3, 21, 9, 0)


def test_s12_due_date_counts_the_makeup_saturday(db, demo):
    cal = work_calendar()
    assert cal.add_workdays(date(2022, 3, 31), 3).date == date(2022, 4, 6)
    assert [
        d for d in (date(2022, 4, 1), date(2022, 4, 2), date(2022, 4, 6)) if cal.is_workday(d)
    ] == [date(2022, 4, 1), date(2022, 4, 2), date(2022, 4, 6)]


def test_s12_week_view_explains_the_days(db, demo):
    days = outlet_week(get_outlet("XN-CX"), date(2022, 3, 28))
    by_date = {d["date"]: d for d in days}
    assert (
        by_date[date(2022, 4, 2)]["makeup"] and by_date[date(2022, 4, 2)]["hours"] == "09:00-16:40"
    )
    assert "调休上班" in by_date[date(2022, 4, 2)]["notes"]
    assert by_date[date(2022, 4, 3)]["off_day"] and by_date[date(2022, 4, 3)]["hours"] == "休息"
    assert "清明节" in by_date[date(2022, 4, 3)]["notes"]


def test_bank_branch_hours_follow_the_same_calendar(db, demo, clock):
    from yimen.outlets.models import Outlet

    bank = Outlet.objects.filter(kind="bank").first()
    assert not is_open(bank, clock.at(2022, 4, 4, 10, 0))  # statutory holiday


# --- services ----------------------------------------------------------------------------------


def test_set_weekly_hours_validates_and_audits(db, demo):
    cx = get_outlet("XN-CX")
    with pytest.raises(ValidationFailed, match="周二：时间段重叠"):
        services.set_weekly_hours(cx, {"tue": ["09:00-12:00", "11:00-16:00"]})
    weekly = dict(cx.weekly_hours, sat=["09:00-12:30"])
    services.set_weekly_hours(cx, weekly, reason="冬季周六延长半小时")
    cx.refresh_from_db()
    assert cx.weekly_hours["sat"] == ["09:00-12:30"]
    entry = AuditEntry.objects.filter(action="outlet.hours", object_id=str(cx.pk)).last()
    assert entry.reason == "冬季周六延长半小时"
    assert entry.summary["before"]["weekly_hours"]["sat"] == ["09:00-12:00"]


def test_exception_closes_a_day_and_moves_next_opening(db, demo, clock):
    cx = get_outlet("XN-CX")
    services.set_exception(cx, date(2022, 3, 16), [], note="停电检修")
    cx = get_outlet("XN-CX")
    assert not is_open(cx, clock.at(2022, 3, 16, 10, 0))
    assert next_opening(cx, clock.at(2022, 3, 16, 10, 0)) == clock.at(2022, 3, 17, 9, 0)
    services.set_exception(cx, "2022-03-16", ["13:00-16:40"], note="下午恢复")
    cx = get_outlet("XN-CX")
    assert is_open(cx, clock.at(2022, 3, 16, 14, 0)) and not is_open(
        cx, clock.at(2022, 3, 16, 10, 0)
    )
    assert AuditEntry.objects.filter(action="outlet.exception", object_id=str(cx.pk)).count() == 2
    assert services.remove_exception(cx, date(2022, 3, 16))
    assert is_open(get_outlet("XN-CX"), clock.at(2022, 3, 16, 10, 0))
    with pytest.raises(ValidationFailed, match="日期格式不正确"):
        services.set_exception(cx, "16/03/2022", [])
    with pytest.raises(ValidationFailed, match="格式不正确"):
        services.set_exception(cx, date(2022, 3, 16), ["全天"])


def test_only_the_outlets_director_or_an_admin_may_change_hours(db, demo):
    cx = get_outlet("XN-CX")
    weekly = cx.weekly_hours
    with pytest.raises(Forbidden):
        services.set_weekly_hours(cx, weekly, actor=make_staff("clerk", outlet="XN-CX"))
    with pytest.raises(Forbidden):
        services.set_weekly_hours(cx, weekly, actor=make_staff("director", outlet="XN-CD"))
    services.set_exception(cx, date(2022, 5, 5), [], actor=make_staff("director", outlet="XN-CX"))
    services.set_exception(cx, date(2022, 5, 6), [], actor=make_staff("admin"))
