"""Reads of the core tables. `work_calendar()` is what every app uses for working days."""

import threading

from .calendar import WorkCalendar

_cache_lock = threading.Lock()
_cached: WorkCalendar | None = None


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
    global _cached
    cal = _cached
    if cal is not None:
        return cal
    from .models import CalendarYear, HolidayDay

    with _cache_lock:
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
        _cached = cal
        return cal


def invalidate_calendar_cache(**_kwargs):
    global _cached
    _cached = None
