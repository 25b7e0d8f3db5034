"""A/B rota planning and coverage (pure: no database, no clock).

The centres stay open at noon (中午不断岗) and on Saturday mornings (周六不打烊) with AB岗:
every window that calls tickets has a *post* held by one member of group A and one of group B.
The groups rotate weekly; which group is on duty in odd ISO weeks is an outlet setting (demo: A).

For one window and one day with opening spans S:
- weekday (or 调休 working day) whose spans cross the noon relay slot R (default 12:00–13:00):
  the on-duty member serves S − R (and lunches in R), the other member relays R (接力) and
  lunches afterwards, while doing back-office work the rest of the day;
- Saturday / Sunday opening (周六不打烊): only the on-duty member serves, the whole of S;
- a day without spans (statutory off day, Sunday) has no assignments;
- leave: a substitute (顶岗) takes over the member's assignments; without one they stay
  uncovered and the coverage check lists the gap; a swap (换班) hands all of one person's
  assignments of a day to a colleague.

`coverage_gaps` lists every (window, date, time span) where a window that must be open has nobody;
`double_bookings` lists a person assigned to two windows at once; `staffed_windows_at` counts the
windows staffed at a moment (the staffing tool compares it with Erlang-C needs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

GROUPS = ("A", "B")
KIND_LABELS = {"regular": "值守", "relay": "午间接力", "weekend": "周末值班", "substitute": "顶岗"}

Span = tuple[time, time]


def _m(t: time) -> int:
    return t.hour * 60 + t.minute


def _t(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def other_group(group: str) -> str:
    return "B" if group == "A" else "A"


def duty_group(d: date, odd_weeks_group: str = "A") -> str:
    """The group on duty in d's ISO week: `odd_weeks_group` in odd weeks, the other in even ones."""
    odd = d.isocalendar().week % 2 == 1
    group = odd_weeks_group if odd_weeks_group in GROUPS else "A"
    return group if odd else other_group(group)


def subtract(spans: list[Span], cut: list[Span]) -> list[Span]:
    """spans − cut, as sorted, non-empty spans."""
    result: list[Span] = []
    for a, b in spans:
        pieces = [(_m(a), _m(b))]
        for c, d in cut:
            nxt = []
            for x, y in pieces:
                if _m(d) <= x or _m(c) >= y:
                    nxt.append((x, y))
                    continue
                if x < _m(c):
                    nxt.append((x, _m(c)))
                if _m(d) < y:
                    nxt.append((_m(d), y))
            pieces = nxt
        result.extend((_t(x), _t(y)) for x, y in pieces if y > x)
    return sorted(result)


def intersect(spans: list[Span], other: list[Span]) -> list[Span]:
    out = []
    for a, b in spans:
        for c, d in other:
            x, y = max(_m(a), _m(c)), min(_m(b), _m(d))
            if y > x:
                out.append((_t(x), _t(y)))
    return sorted(out)


def merge(spans: list[Span]) -> list[Span]:
    out: list[list[int]] = []
    for a, b in sorted((_m(a), _m(b)) for a, b in spans):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(_t(a), _t(b)) for a, b in out]


@dataclass(frozen=True)
class Post:
    """A window that must be staffed while the outlet is open, and its A/B members (usernames)."""

    window: str  # window code, e.g. CX-ZH-201
    label: str = ""  # e.g. "201 综合窗口"
    # {"A": "cx_zh_201", "B": …}
    members: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Assignment:
    date: date
    window: str
    staff: str
    start: time
    end: time
    kind: str = "regular"
    replaces: str = ""  # the member whose shift this is, when a substitute works it

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


@dataclass(frozen=True)
class Gap:
    window: str
    date: date
    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.window} {self.date:%Y-%m-%d} {self.start:%H:%M}-{self.end:%H:%M}"


@dataclass
class DayInput:
    date: date
    spans: list[Span]  # the outlet's opening spans that day ([] = closed)
    weekend: bool = False  # a Saturday/Sunday that is not a 调休 working day


@dataclass
class RotaPolicy:
    odd_weeks_group: str = "A"
    relay: Span | None = (time(12, 0), time(13, 0))  # noon relay slot (None: outlet closes at noon)


def plan(
    days: list[DayInput],
    posts: list[Post],
    policy: RotaPolicy,
    *,
    absent: dict[date, set[str]] | None = None,
    replacements: dict[date, dict[str, str]] | None = None,
) -> list[Assignment]:
    """All window assignments for these days.

    absent: date → usernames on leave; replacements: date → {member: stand-in} (a leave's
    substitute or a swap). A replaced member's assignments go to the stand-in (kind "substitute")."""
    absent = absent or {}
    replacements = replacements or {}
    out: list[Assignment] = []
    for day in days:
        if not day.spans:
            continue
        duty = duty_group(day.date, policy.odd_weeks_group)
        relay = intersect(day.spans, [policy.relay]) if (policy.relay and not day.weekend) else []
        for post in posts:
            on_duty, off_duty = post.members.get(duty), post.members.get(other_group(duty))
            if day.weekend:
                work = [(on_duty, day.spans, "weekend")]
            elif relay:
                work = [
                    (on_duty, subtract(day.spans, relay), "regular"),
                    (off_duty, relay, "relay"),
                ]
            else:
                work = [(on_duty, day.spans, "regular")]
            for member, spans, kind in work:
                person, replaces = _stand_in(member, day.date, absent, replacements)
                if person is None:
                    continue
                for a, b in spans:
                    out.append(
                        Assignment(
                            day.date,
                            post.window,
                            person,
                            a,
                            b,
                            "substitute" if replaces else kind,
                            replaces,
                        )
                    )
    out.sort(key=lambda a: (a.date, a.window, a.start))
    return out


def _stand_in(
    member: str | None,
    d: date,
    absent: dict[date, set[str]],
    replacements: dict[date, dict[str, str]],
) -> tuple[str | None, str]:
    if not member:
        return None, ""
    stand_in = replacements.get(d, {}).get(member)
    if stand_in:
        return stand_in, member
    if member in absent.get(d, set()):
        return None, ""
    return member, ""


def coverage_gaps(
    days: list[DayInput], posts: list[Post], assignments: list[Assignment]
) -> list[Gap]:
    """Every (window, date, span) inside opening hours with nobody at a window that must be open."""
    covered: dict[tuple[date, str], list[Span]] = {}
    for shift in assignments:
        covered.setdefault((shift.date, shift.window), []).append((shift.start, shift.end))
    gaps = []
    for day in days:
        for post in posts:
            for a, b in subtract(day.spans, merge(covered.get((day.date, post.window), []))):
                gaps.append(Gap(post.window, day.date, a, b))
    return gaps


def double_bookings(assignments: list[Assignment]) -> list[tuple[Assignment, Assignment]]:
    """Pairs of assignments that put one person at two windows at the same time."""
    by_person: dict[tuple[str, date], list[Assignment]] = {}
    for a in assignments:
        by_person.setdefault((a.staff, a.date), []).append(a)
    clashes = []
    for rows in by_person.values():
        rows.sort(key=lambda a: a.start)
        for i, first in enumerate(rows):
            for second in rows[i + 1 :]:
                if second.start >= first.end:
                    break
                if second.window != first.window:
                    clashes.append((first, second))
    return clashes


def staffed_windows_at(assignments: list[Assignment], at: datetime | tuple[date, time]) -> int:
    d, t = (at.date(), at.time()) if isinstance(at, datetime) else at
    return len({a.window for a in assignments if a.date == d and a.start <= t < a.end})


def half_hour_profile(
    assignments: list[Assignment], d: date, start: time = time(8, 0), end: time = time(18, 0)
) -> list[tuple[time, int]]:
    """[(time, staffed windows)] every 30 minutes of a day."""
    rows, t = [], _m(start)
    while t < _m(end):
        rows.append((_t(t), staffed_windows_at(assignments, (d, _t(t)))))
        t += 30
    return rows


def split_evenly(usernames: list[str]) -> dict[str, str]:
    """Alternate A/B (A gets the extra one): the demo's even split."""
    return {u: GROUPS[i % 2] for i, u in enumerate(usernames)}


def week_days(monday: date) -> list[date]:
    return [monday + timedelta(days=i) for i in range(7)]
