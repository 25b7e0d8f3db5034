"""Reads of the core tables. `work_calendar()` is what every app uses for working days.

The calendar is cached per process on the change bus (core.changes, topic "calendar"): a holiday
import or an admin edit in any process (`yimen holidays import`, another server) bumps the topic,
and every running process drops its copy when the NOTIFY arrives (PostgreSQL) or, without a
listener, after `changes.MAX_AGE["calendar"]`."""

from . import changes
from .calendar import WorkCalendar

CALENDAR = "calendar"  # the change-bus topic
_calendar = changes.VersionedCache(maxsize=1)


def _package_calendar() -> WorkCalendar:
    """Holidays and 调休 workdays from chinesecalendar, for the years it covers."""
    from chinese_calendar import constants

    special = {}
    names = {}
    for d, holiday in constants.holidays.items():
        special[d] = True
        names[d] = str(getattr(holiday, "value", holiday)).split(",")[-1]
    for d, holiday in constants.workdays.items():
        special[d] = False
        names[d] = str(getattr(holiday, "value", holiday)).split(",")[-1] + "调休"
    years = {d.year for d in special}
    return WorkCalendar(special=special, names=names, verified_years=years)


def work_calendar() -> WorkCalendar:
    """The effective calendar: package data, overridden year by year by our own table."""
    return _calendar.get(CALENDAR, "calendar", _load_calendar)


def _load_calendar() -> WorkCalendar:
    from .models import CalendarYear, HolidayDay

    cal = _package_calendar()
    own_years = {y.year: y.published for y in CalendarYear.objects.all()}
    # A year in our own table replaces the package's data for that year entirely.
    for year, published in own_years.items():
        for d in [d for d in cal.special if d.year == year]:
            del cal.special[d]
            cal.names.pop(d, None)
        if published:
            cal.verified_years.add(year)
        else:
            cal.verified_years.discard(year)
    for day in HolidayDay.objects.all():
        cal.special[day.date] = day.is_off_day
        cal.names[day.date] = day.name
    return cal


def invalidate_calendar_cache(**_kwargs: object) -> None:
    """The calendar changed (call inside the writing transaction): every process reloads it."""
    changes.bump(CALENDAR)
