"""Working-day arithmetic (pure: no database, no clock).

A day is a working day when the calendar lists it as a 调休 workday (isOffDay=false), or when it
is Monday–Friday and not listed as an off day. `WorkCalendar` holds the listed days; which years
are *verified* (backed by an official table) is tracked so that answers for years without data
say so instead of pretending (the Monday–Friday fallback).

Counting convention (as in 受理 practice): `add_workdays(d, n)` is the n-th working day *after*
d, so a case accepted on Thu 2022-03-31 with 3 working days is due Wed 2022-04-06.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

WORKDAY = "workday"  # ordinary Monday–Friday
WEEKEND = "weekend"  # Saturday/Sunday, not listed
HOLIDAY = "holiday"  # listed off day (statutory holiday or its bridged days)
MAKEUP = "makeup"  # listed working day on a weekend (调休上班)


@dataclass(frozen=True)
class WorkdayAnswer:
    date: date
    verified: bool

    def as_dict(self) -> dict[str, str | bool]:
        return {"date": self.date.isoformat(), "verified": self.verified}


@dataclass
class WorkCalendar:
    # date -> is_off_day (True: holiday off day, False: make-up working day)
    special: dict[date, bool] = field(default_factory=dict)
    names: dict[date, str] = field(default_factory=dict)
    verified_years: set[int] = field(default_factory=set)

    def day_kind(self, d: date) -> str:
        listed = self.special.get(d)
        if listed is True:
            return HOLIDAY
        if listed is False:
            return MAKEUP if d.weekday() >= 5 else WORKDAY
        return WEEKEND if d.weekday() >= 5 else WORKDAY

    def is_workday(self, d: date) -> bool:
        return self.day_kind(d) in (WORKDAY, MAKEUP)

    def is_off_day(self, d: date) -> bool:
        """Listed statutory off day (closed even if an outlet normally opens that weekday)."""
        return self.special.get(d) is True

    def is_makeup_workday(self, d: date) -> bool:
        return self.day_kind(d) == MAKEUP

    def is_verified(self, d: date) -> bool:
        return d.year in self.verified_years

    def holiday_name(self, d: date) -> str:
        return self.names.get(d, "")

    def add_workdays(self, start: date, n: int) -> WorkdayAnswer:
        """The n-th working day after `start` (n=0: start itself). Negative n goes back."""
        if n == 0:
            return WorkdayAnswer(start, self.is_verified(start))
        step = 1 if n > 0 else -1
        remaining = abs(n)
        d = start
        verified = self.is_verified(start)
        while remaining:
            d += timedelta(days=step)
            verified = verified and self.is_verified(d)
            if self.is_workday(d):
                remaining -= 1
        return WorkdayAnswer(d, verified)

    def workdays_between(self, a: date, b: date) -> int:
        """Working days in (a, b]; negative when b < a. add_workdays(a, n) == b ⇒ result is n."""
        if b == a:
            return 0
        if b < a:
            return -self.workdays_between(b, a)
        count = 0
        d = a
        while d < b:
            d += timedelta(days=1)
            if self.is_workday(d):
                count += 1
        return count

    def next_workday(self, d: date, include_today: bool = False) -> date:
        if include_today and self.is_workday(d):
            return d
        return self.add_workdays(d, 1).date


def parse_holiday_cn(document: dict[str, Any]) -> tuple[int, list[tuple[date, str, bool]]]:
    """Rows of a holiday-cn JSON document: (date, name, is_off_day)."""
    year = int(document["year"])
    rows = []
    for day in document.get("days", []):
        rows.append((date.fromisoformat(day["date"]), day.get("name", ""), bool(day["isOffDay"])))
    return year, rows
