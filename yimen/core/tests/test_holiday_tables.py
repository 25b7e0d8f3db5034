"""The working-day calendar against the official holiday tables (yimen/data/holidays/*.json,
holiday-cn format) for every year 2020–2026: Spring Festival, National Day and every 调休
working day; hand-checked due dates per year; the 2027 fallback; the CLI; and the rule that the
project's own table wins over the chinesecalendar package."""

import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from yimen.core.models import CalendarYear, HolidayDay
from yimen.core.selectors import _package_calendar, invalidate_calendar_cache, work_calendar

YEARS = range(2020, 2027)


def table(year):
    return json.loads((settings.DATA_DIR / "holidays" / f"{year}.json").read_text(encoding="utf-8"))


@pytest.fixture
def cal(db):
    invalidate_calendar_cache()
    yield work_calendar()
    invalidate_calendar_cache()  # tests that edit the table must not leak a cached calendar


@pytest.mark.parametrize("year", YEARS)
def test_every_listed_day_of_the_year_matches_the_table(cal, year):
    days = table(year)["days"]
    assert days, f"{year}.json has no days"
    for day in days:
        d = date.fromisoformat(day["date"])
        if day["isOffDay"]:
            assert not cal.is_workday(d), d
            assert cal.is_off_day(d), d
        else:
            assert cal.is_workday(d), d
            assert cal.is_makeup_workday(d) == (d.weekday() >= 5), d
    assert cal.is_verified(date(year, 6, 1))


@pytest.mark.parametrize("year", YEARS)
def test_unlisted_days_are_monday_to_friday(cal, year):
    listed = {date.fromisoformat(d["date"]) for d in table(year)["days"]}
    d = date(year, 1, 1)
    while d.year == year:
        if d not in listed:
            assert cal.is_workday(d) == (d.weekday() < 5), d
        d += timedelta(days=1)


@pytest.mark.parametrize("year", YEARS)
def test_spring_festival_and_national_day(cal, year):
    days = table(year)["days"]
    for festival in ("春节", "国庆"):
        group = [d for d in days if festival in d["name"]]
        off = sorted(date.fromisoformat(d["date"]) for d in group if d["isOffDay"])
        assert len(off) >= 7, (year, festival)
        # the whole break is off, and the first working day after it is the next day that is
        first_after = cal.next_workday(off[-1])
        assert first_after > off[-1] and all(not cal.is_workday(d) for d in off)
        assert cal.add_workdays(off[0] - timedelta(days=1), 0).date == off[0] - timedelta(days=1)
        # counting across the break skips every off day
        before = off[0] - timedelta(days=1)
        while not cal.is_workday(before):
            before -= timedelta(days=1)
        assert cal.add_workdays(before, 1).date not in off


# Hand-checked against the State Council notices (and the JSON files): (start, n, due)
HAND_CHECKED = [
    # 2020: 春节 1-24..2-2 off (extended), 1-19 Sun work; 国庆+中秋 10-1..10-8 off, 9-27 Sun & 10-10 Sat work
    (date(2020, 1, 17), 1, date(2020, 1, 19)),
    (date(2020, 1, 23), 1, date(2020, 2, 3)),
    (date(2020, 9, 30), 1, date(2020, 10, 9)),
    (date(2020, 9, 30), 2, date(2020, 10, 10)),
    # 2021: 春节 2-11..2-17 off, 2-7 Sun & 2-20 Sat work; 国庆 10-1..10-7 off, 9-26 Sun & 10-9 Sat work
    (date(2021, 2, 10), 1, date(2021, 2, 18)),
    (date(2021, 2, 19), 1, date(2021, 2, 20)),
    (date(2021, 9, 30), 1, date(2021, 10, 8)),
    (date(2021, 9, 30), 2, date(2021, 10, 9)),
    # 2022: 春节 1-31..2-6 off, 1-29 Sat & 1-30 Sun work; 清明 4-3..4-5 off, 4-2 Sat work; 国庆 10-8/10-9 work
    (date(2022, 1, 28), 1, date(2022, 1, 29)),
    (date(2022, 1, 30), 1, date(2022, 2, 7)),
    (date(2022, 3, 31), 3, date(2022, 4, 6)),
    (date(2022, 9, 30), 3, date(2022, 10, 10)),
    # 2023: 春节 1-21..1-27 off, 1-28 Sat & 1-29 Sun work; 中秋国庆 9-29..10-6 off, 10-7 Sat & 10-8 Sun work
    (date(2023, 1, 20), 1, date(2023, 1, 28)),
    (date(2023, 9, 28), 1, date(2023, 10, 7)),
    (date(2023, 9, 28), 3, date(2023, 10, 9)),
    # 2024: 春节 2-10..2-17 off, 2-4 Sun & 2-18 Sun work; 国庆 10-1..10-7 off, 9-29 Sun & 10-12 Sat work
    (date(2024, 2, 9), 1, date(2024, 2, 18)),
    (date(2024, 9, 30), 1, date(2024, 10, 8)),
    (date(2024, 10, 11), 1, date(2024, 10, 12)),
    # 2025: 春节 1-28..2-4 off, 1-26 Sun & 2-8 Sat work; 国庆中秋 10-1..10-8 off, 9-28 Sun & 10-11 Sat work
    (date(2025, 1, 24), 1, date(2025, 1, 26)),
    (date(2025, 1, 27), 1, date(2025, 2, 5)),
    (date(2025, 9, 30), 5, date(2025, 10, 14)),
    # 2026: 春节 2-15..2-23 off, 2-14 Sat & 2-28 Sat work; 国庆 10-1..10-7 off, 9-20 Sun & 10-10 Sat work
    (date(2026, 2, 13), 1, date(2026, 2, 14)),
    (date(2026, 2, 14), 1, date(2026, 2, 24)),
    (date(2026, 9, 30), 1, date(2026, 10, 8)),
    (date(2026, 10, 9), 1, date(2026, 10, 10)),
]


@pytest.mark.parametrize(
    "start, n, due", HAND_CHECKED, ids=[f"{s}+{n}" for s, n, _ in HAND_CHECKED]
)
def test_hand_checked_due_dates(cal, start, n, due):
    answer = cal.add_workdays(start, n)
    assert answer.date == due
    assert answer.verified
    assert cal.workdays_between(start, due) == n


def test_package_and_table_agree_where_both_cover(cal):
    package = _package_calendar()
    for year in YEARS:
        for day in table(year)["days"]:
            d = date.fromisoformat(day["date"])
            assert package.is_workday(d) == cal.is_workday(d), d


# --- 2027: no official data yet --------------------------------------------------------------


def test_2027_falls_back_to_monday_to_friday_unverified(cal):
    assert CalendarYear.objects.get(year=2027).published is False
    assert not cal.is_verified(date(2027, 2, 10))
    answer = cal.add_workdays(date(2027, 1, 29), 1)  # Fri → Mon
    assert (answer.date, answer.verified) == (date(2027, 2, 1), False)
    assert cal.add_workdays(date(2026, 12, 30), 2).verified is False  # crosses into 2027
    assert cal.is_workday(date(2027, 10, 1))  # no data: a Friday counts, flagged unverified
    assert cal.workdays_between(date(2027, 1, 1), date(2027, 12, 31)) == 260
    assert cal.add_workdays(date(2027, 3, 1), -1).date == date(2027, 2, 26)


def test_2027_outlet_hours_do_not_crash(cal, demo, clock):
    from yimen.outlets.selectors import get_outlet, next_opening

    assert next_opening(get_outlet("XN-CX"), clock.at(2027, 1, 1, 18, 0)) == clock.at(
        2027, 1, 2, 9, 0
    )


# --- the CLI ---------------------------------------------------------------------------------


def test_workdays_command_plain_and_json(cal):
    out = StringIO()
    call_command("workdays", "add", "2025-09-30", "5", stdout=out)
    assert out.getvalue().strip() == "2025-10-14"
    out = StringIO()
    call_command("workdays", "add", "2025-09-30", "5", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"date": "2025-10-14", "verified": True}
    out = StringIO()
    call_command("workdays", "add", "2027-03-05", "1", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"date": "2027-03-08", "verified": False}
    out = StringIO()
    call_command("workdays", "add", "2027-03-05", "1", stdout=out)
    assert out.getvalue().startswith("2027-03-08") and "未核实" in out.getvalue()


# --- our table wins over the package --------------------------------------------------------


def test_project_table_wins_over_chinesecalendar(cal):
    d = date(2025, 10, 11)  # 调休 Saturday in both the package and the table
    assert _package_calendar().is_workday(d)
    assert cal.is_workday(d)
    day = HolidayDay.objects.get(date=d)
    day.is_off_day = True
    day.save()  # the signal drops the cached calendar
    edited = work_calendar()
    assert not edited.is_workday(d)
    assert edited.add_workdays(date(2025, 9, 30), 5).date == date(2025, 10, 15)
    assert _package_calendar().is_workday(d)  # the package still says so; ours wins
    HolidayDay.objects.create(date=date(2025, 12, 1), name="演示临时放假", is_off_day=True)
    assert not work_calendar().is_workday(date(2025, 12, 1))


def test_a_year_missing_from_our_table_uses_the_package(cal):
    HolidayDay.objects.filter(date__year=2021).delete()
    CalendarYear.objects.filter(year=2021).delete()
    fallback = work_calendar()
    assert fallback.is_verified(date(2021, 5, 1))
    assert not fallback.is_workday(date(2021, 10, 1)) and fallback.is_workday(date(2021, 10, 9))
