"""Reads about staff, window sessions and the A/B rota."""

from dataclasses import dataclass, field
from datetime import date, time, timedelta

from yimen.core import clock
from yimen.core.selectors import work_calendar

from . import rules
from .models import CLERK, HandOverOffer, Leave, ShiftSwap, Staff, WindowSession


def current_session(window):
    """The open session at a window, or None (window closed)."""
    return (
        WindowSession.objects.select_related("staff")
        .filter(window=window, ended_at__isnull=True)
        .first()
    )


def session_of(staff):
    return (
        WindowSession.objects.select_related("window")
        .filter(staff=staff, ended_at__isnull=True)
        .first()
    )


def window_state(window) -> str:
    """'serving' / 'paused' / 'closed' — what the queue sees."""
    session = current_session(window)
    return session.state if session else "closed"


def window_states(outlet) -> dict[int, str]:
    """{window id: state} for every window of an outlet, in one query."""
    from yimen.outlets.models import Window

    states = {
        w: "closed" for w in Window.objects.filter(outlet=outlet).values_list("pk", flat=True)
    }
    for window_id, state in WindowSession.objects.filter(
        window__outlet=outlet, ended_at__isnull=True
    ).values_list("window_id", "state"):
        states[window_id] = state
    return states


def hand_over_candidates(staff):
    """Clerks of the same outlet who are not signed in anywhere (possible relay partners)."""
    busy = WindowSession.objects.filter(ended_at__isnull=True).values_list("staff_id", flat=True)
    return (
        Staff.objects.filter(
            outlet_id=staff.outlet_id, role=CLERK, active=True, user__is_active=True
        )
        .exclude(pk=staff.pk)
        .exclude(pk__in=busy)
        .order_by("shift_group", "name")
    )


def offer_made(session):
    """My pending hand-over offer (None when there is none or it has lapsed)."""
    if session is None:
        return None
    return (
        HandOverOffer.objects.filter(
            session=session, state=HandOverOffer.PENDING, expires_at__gt=clock.now()
        )
        .select_related("to_staff")
        .first()
    )


def offers_for(staff):
    """Hand-over offers waiting for my confirmation (pending, not lapsed, the window still held by
    the colleague who offered it), newest first."""
    return list(
        HandOverOffer.objects.filter(
            to_staff=staff,
            state=HandOverOffer.PENDING,
            expires_at__gt=clock.now(),
            session__ended_at__isnull=True,
        )
        .select_related("window", "from_staff")
        .order_by("-created_at")
    )


def get_staff(username: str, *, viewer=None) -> Staff:
    """A member of staff by username; with `viewer`, only one that viewer may see (authz)."""
    from yimen.core.errors import NotFound

    qs = Staff.objects.select_related("user", "outlet", "department")
    if viewer is not None:
        qs = visible_staff(viewer)
    staff = qs.filter(user__username=username).first()
    if staff is None:
        raise NotFound(f"找不到工作人员：{username}")
    return staff


def visible_staff(viewer):
    """Staff `viewer` may see (staff.authz): own outlet, approvers their department, leaders the
    outlets of their district, admins all."""
    from .authz import visible_to

    return visible_to(
        viewer,
        Staff.objects.select_related("user", "outlet", "department").order_by(
            "outlet__code", "role", "name"
        ),
    )


# --- A/B rota ---------------------------------------------------------------------------------------


def rota_policy(outlet) -> rules.RotaPolicy:
    relay = None
    if not outlet.lunch_break:
        start = time.fromisoformat(outlet.options.noon_relay_start)
        minutes = outlet.options.lunch_minutes
        end_m = start.hour * 60 + start.minute + minutes
        relay = (start, time(end_m // 60, end_m % 60))
    return rules.RotaPolicy(odd_weeks_group=outlet.options.duty_group_odd_weeks, relay=relay)


def duty_group_on(outlet, d: date) -> str:
    return rules.duty_group(d, outlet.options.duty_group_odd_weeks)


def rota_posts(outlet) -> list[rules.Post]:
    """Windows that must be staffed (ticket-calling, active) with their A/B members."""
    from yimen.outlets.models import QUEUE_WINDOW_KINDS, Window

    windows = sorted(
        Window.objects.filter(outlet=outlet, active=True, kind__in=QUEUE_WINDOW_KINDS),
        key=lambda w: (not w.number[:1].isdigit(), w.number),
    )  # 101, 102, 201 … 311, B101
    members: dict[int, dict[str, str]] = {}
    for window_id, group, username in (
        Staff.objects.filter(home_window__in=windows, active=True)
        .exclude(shift_group="")
        .order_by("pk")
        .values_list("home_window_id", "shift_group", "user__username")
    ):
        members.setdefault(window_id, {}).setdefault(group, username)
    return [
        rules.Post(w.code, f"{w.number} {w.label or w.kind}", members.get(w.pk, {}))
        for w in windows
    ]


@dataclass
class Rota:
    outlet: object
    start: date
    end: date
    days: list = field(default_factory=list)  # rules.DayInput
    posts: list = field(default_factory=list)  # rules.Post
    assignments: list = field(default_factory=list)  # rules.Assignment
    gaps: list = field(default_factory=list)  # rules.Gap
    clashes: list = field(default_factory=list)
    names: dict = field(default_factory=dict)  # username → name
    groups: dict = field(default_factory=dict)  # username → A/B

    def duty_group(self, d: date) -> str:
        return duty_group_on(self.outlet, d)


def rota(outlet, start: date, end: date) -> Rota:
    """The A/B rota of an outlet for start..end (inclusive): opening hours × calendar × posts ×
    leave × swaps, planned by rules.plan and checked by rules.coverage_gaps."""
    from yimen.outlets.selectors import schedule_for

    schedule = schedule_for(outlet)
    cal = work_calendar()
    days = []
    d = start
    while d <= end:
        weekend = d.weekday() >= 5 and not cal.is_makeup_workday(d)
        days.append(rules.DayInput(d, schedule.spans_on(d), weekend))
        d += timedelta(days=1)
    posts = rota_posts(outlet)
    absent: dict[date, set[str]] = {}
    replacements: dict[date, dict[str, str]] = {}
    for leave in Leave.objects.filter(
        staff__outlet=outlet, cancelled_at__isnull=True, start__lte=end, end__gte=start
    ).select_related("staff__user", "substitute__user"):
        d = max(leave.start, start)
        while d <= min(leave.end, end):
            absent.setdefault(d, set()).add(leave.staff.user.username)
            if leave.substitute_id:
                replacements.setdefault(d, {})[leave.staff.user.username] = (
                    leave.substitute.user.username
                )
            d += timedelta(days=1)
    for swap in ShiftSwap.objects.filter(
        outlet=outlet, cancelled_at__isnull=True, date__range=(start, end)
    ).select_related("from_staff__user", "to_staff__user"):
        replacements.setdefault(swap.date, {})[swap.from_staff.user.username] = (
            swap.to_staff.user.username
        )
    assignments = rules.plan(
        days, posts, rota_policy(outlet), absent=absent, replacements=replacements
    )
    people = Staff.objects.filter(outlet=outlet).values_list(
        "user__username", "name", "shift_group"
    )
    return Rota(
        outlet,
        start,
        end,
        days,
        posts,
        assignments,
        rules.coverage_gaps(days, posts, assignments),
        rules.double_bookings(assignments),
        {u: n for u, n, _g in people},
        {u: g for u, _n, g in people},
    )


def coverage_gaps(outlet, start: date, end: date) -> list:
    return rota(outlet, start, end).gaps


def staffed_windows(outlet, d: date, at: time) -> int:
    """How many windows the rota staffs at `at` on `d` (0 when closed)."""
    return rules.staffed_windows_at(rota(outlet, d, d).assignments, (d, at))


def staffing_profile(outlet, d: date) -> list[tuple[time, int]]:
    """[(time, staffed windows)] every half hour of a day, for the staffing tool (Erlang C)."""
    return rules.half_hour_profile(rota(outlet, d, d).assignments, d)


# parse_iso_week / iso_week_label live in core.validators (one parser of week parameters)


# --- pages: the window desk and the rota ---------------------------------------------------------


def window_holders(outlet) -> dict:
    """window id → the staff member signed in there (open sessions of the outlet)."""
    return {
        s.window_id: s.staff
        for s in WindowSession.objects.filter(
            window__outlet=outlet, ended_at__isnull=True
        ).select_related("staff")
    }


def queue_windows(outlet) -> list:
    """The outlet's active windows that call tickets, in group and number order."""
    from yimen.outlets.models import QUEUE_WINDOW_KINDS, Window

    return list(
        Window.objects.filter(outlet=outlet, active=True, kind__in=QUEUE_WINDOW_KINDS).order_by(
            "group_code", "number"
        )
    )


def rota_people(outlet) -> list:
    return list(Staff.objects.filter(outlet=outlet, active=True).order_by("shift_group", "name"))


def leaves_in(outlet, monday: date, sunday: date):
    return Leave.objects.filter(
        staff__outlet=outlet, cancelled_at__isnull=True, start__lte=sunday, end__gte=monday
    ).select_related("staff", "substitute")


def swaps_in(outlet, monday: date, sunday: date):
    return ShiftSwap.objects.filter(
        outlet=outlet, cancelled_at__isnull=True, date__range=(monday, sunday)
    ).select_related("from_staff", "to_staff")
