from datetime import date

import pytest

from yimen.core.calendar import WorkCalendar


@pytest.fixture
def cal(db):
    from yimen.core.selectors import work_calendar

    return work_calendar()


def test_national_day_2025_with_makeup_saturday(cal):
    answer = cal.add_workdays(date(2025, 9, 30), 5)
    assert answer.date == date(2025, 10, 14)
    assert answer.verified


def test_s11_due_dates_count_the_makeup_saturday(cal):
    assert cal.add_workdays(date(2022, 3, 28), 3).date == date(2022, 3, 31)
    assert cal.add_workdays(date(2022, 3, 28), 5).date == date(2022, 4, 2)


def test_s12_qingming(cal):
    assert cal.add_workdays(date(2022, 3, 31), 3).date == date(2022, 4, 6)
    assert cal.is_makeup_workday(date(2022, 4, 2))
    assert cal.is_off_day(date(2022, 4, 4))


def test_2027_falls_back_to_monday_to_friday_unverified(cal):
    answer = cal.add_workdays(date(2027, 3, 5), 1)
    assert answer.date == date(2027, 3, 8)
    assert answer.verified is False


def test_workdays_between_is_inverse_of_add():
    cal = WorkCalendar(special={date(2024, 10, 1): True}, verified_years={2024})
    start = date(2024, 9, 27)
    for n in range(0, 15):
        assert cal.workdays_between(start, cal.add_workdays(start, n).date) == n
