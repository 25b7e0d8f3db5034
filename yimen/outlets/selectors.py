"""Reads about outlets, windows and hours."""

from datetime import datetime

from yimen.catalog.models import ServiceItem
from yimen.core import clock
from yimen.core.selectors import work_calendar

from .models import Outlet, Window
from .rules import OpeningSchedule


def schedule_for(outlet: Outlet) -> OpeningSchedule:
    return OpeningSchedule(
        weekly=outlet.weekly_hours,
        calendar=work_calendar(),
        exceptions={e.date: e.spans for e in outlet.exceptions.all()},
        holiday_rule=outlet.holiday_rule,
        makeup_workday_rule=outlet.makeup_workday_rule,
        tz=clock.SHANGHAI,
    )


def is_open(outlet: Outlet, at: datetime | None = None) -> bool:
    return schedule_for(outlet).is_open(at or clock.now())


def next_opening(outlet: Outlet, at: datetime | None = None) -> datetime | None:
    return schedule_for(outlet).next_opening(at or clock.now())


def get_outlet(code: str) -> Outlet:
    from yimen.core.errors import NotFound

    outlet = Outlet.objects.filter(code=code).first()
    if outlet is None:
        raise NotFound(f"找不到网点：{code}")
    return outlet


def window_items(window: Window):
    """The items a window accepts."""
    if window.scope == "comprehensive":
        return ServiceItem.objects.filter(comprehensive=True, active=True)
    if window.scope == "department" and window.department_id:
        return ServiceItem.objects.filter(department_id=window.department_id, active=True)
    return window.items.filter(active=True)


def window_accepts(window: Window, item: ServiceItem) -> bool:
    if window.scope == "comprehensive":
        return item.comprehensive
    if window.scope == "department":
        return item.department_id == window.department_id
    return window.items.filter(pk=item.pk).exists()


def outlets_for_item(item: ServiceItem, at: datetime | None = None) -> list[dict]:
    """就近办: outlets that handle the item, open ones first, each with open/next-opening and the
    kinds of window that accept it there."""
    from django.db.models import Q

    at = at or clock.now()
    accepting = Q(items=item) | Q(scope="department", department_id=item.department_id)
    if item.comprehensive:
        accepting |= Q(scope="comprehensive")
    kinds_by_outlet: dict[int, set] = {}
    for outlet_id, kind in (
        Window.objects.filter(accepting, active=True).values_list("outlet_id", "kind").distinct()
    ):
        kinds_by_outlet.setdefault(outlet_id, set()).add(kind)
    outlet_ids = set(item.outlets.values_list("pk", flat=True)) | set(kinds_by_outlet)
    rows = []
    for outlet in Outlet.objects.filter(pk__in=outlet_ids, active=True).prefetch_related(
        "exceptions"
    ):
        schedule = schedule_for(outlet)
        open_now = schedule.is_open(at)
        rows.append(
            {
                "outlet": outlet,
                "open_now": open_now,
                "next_opening": None if open_now else schedule.next_opening(at),
                "closes_at": schedule.closes_at(at) if open_now else None,
                "window_kinds": sorted(kinds_by_outlet.get(outlet.pk, set())),
            }
        )
    rows.sort(
        key=lambda r: (
            not r["open_now"],
            r["next_opening"] or at,
            r["outlet"].kind != "district_centre",
            r["outlet"].code,
        )
    )
    return rows


# --- outlet pages and API ----------------------------------------------------------------------

KIND_ORDER = {"city_centre": 0, "district_centre": 1, "bank": 2, "self_service": 3, "online": 4}


def outlet_status(outlet: Outlet, at: datetime | None = None) -> dict:
    at = at or clock.now()
    schedule = schedule_for(outlet)
    open_now = schedule.is_open(at)
    return {
        "open_now": open_now,
        "closes_at": schedule.closes_at(at) if open_now else None,
        "next_opening": None if open_now else schedule.next_opening(at),
    }


def outlets_overview(at: datetime | None = None) -> list[dict]:
    """Every active outlet with open-now / next opening and today's hours, centres first."""
    from .rules import format_spans

    at = at or clock.now()
    today = clock.local(at).date()
    rows = []
    for outlet in Outlet.objects.filter(active=True).prefetch_related("exceptions"):
        schedule = schedule_for(outlet)
        rows.append(
            {
                "outlet": outlet,
                **outlet_status(outlet, at),
                "today_hours": format_spans(schedule.spans_on(today)),
                "window_count": outlet.windows.filter(active=True).count(),
            }
        )
    rows.sort(key=lambda r: (KIND_ORDER.get(r["outlet"].kind, 9), r["outlet"].code))
    return rows


def outlet_week(outlet: Outlet, monday) -> list[dict]:
    """The seven days from `monday`: hours and why (holiday, 调休上班, exception)."""
    from datetime import timedelta

    from .rules import WEEKDAY_LABELS, format_spans

    schedule = schedule_for(outlet)
    cal = schedule.calendar
    days = []
    for i in range(7):
        d = monday + timedelta(days=i)
        spans = schedule.spans_on(d)
        notes = []
        if d in schedule.exceptions:
            exc = next((e for e in outlet.exceptions.all() if e.date == d), None)
            notes.append("特别安排" + (f"：{exc.note}" if exc and exc.note else ""))
        if cal.is_off_day(d):
            notes.append(f"{cal.holiday_name(d) or '法定节假日'}放假")
        elif cal.is_makeup_workday(d):
            notes.append(f"{cal.holiday_name(d) or ''}调休上班".strip())
        elif d.weekday() == 5 and spans:
            notes.append("周六不打烊")
        days.append(
            {
                "date": d,
                "weekday": WEEKDAY_LABELS[i],
                "spans": spans,
                "hours": format_spans(spans),
                "open": bool(spans),
                "off_day": cal.is_off_day(d),
                "makeup": cal.is_makeup_workday(d),
                "notes": "；".join(notes),
                "verified": cal.is_verified(d),
            }
        )
    return days


def outlet_windows(outlet: Outlet):
    return (
        outlet.windows.filter(active=True)
        .select_related("department")
        .order_by("floor", "kind", "number")
    )


def windows_by_floor(outlet: Outlet) -> list[dict]:
    """[{"floor": "2F", "label": floors note, "kinds": [{"kind": …, "windows": [...]}]}] in floor order."""
    floors: dict[str, dict[str, list]] = {}
    for w in outlet_windows(outlet):
        floors.setdefault(w.floor or "", {}).setdefault(w.kind, []).append(w)

    def floor_key(f: str):
        if f.startswith("B"):
            return (0, -int(f[1:]) if f[1:].isdigit() else 0)
        digits = "".join(ch for ch in f if ch.isdigit())
        return (1 if f else 2, int(digits) if digits else 0)

    notes = outlet.floors or {}
    return [
        {
            "floor": f or "未注明楼层",
            "label": notes.get(f, ""),
            "kinds": [{"kind": k, "windows": ws} for k, ws in kinds.items()],
        }
        for f, kinds in sorted(floors.items(), key=lambda kv: floor_key(kv[0]))
    ]


def outlet_items(outlet: Outlet):
    """Items an outlet handles: its own list plus those of its windows (all comprehensive items
    for comprehensive-scope windows, a department's items for department-scope windows)."""
    ids = set(outlet.items.filter(active=True).values_list("pk", flat=True))
    windows = outlet.windows.filter(active=True)
    ids |= set(
        ServiceItem.objects.filter(windows__in=windows, active=True).values_list("pk", flat=True)
    )
    if windows.filter(scope="comprehensive").exists():
        ids |= set(
            ServiceItem.objects.filter(comprehensive=True, active=True).values_list("pk", flat=True)
        )
    dept_ids = [
        d for d in windows.filter(scope="department").values_list("department_id", flat=True) if d
    ]
    if dept_ids:
        ids |= set(
            ServiceItem.objects.filter(department_id__in=dept_ids, active=True).values_list(
                "pk", flat=True
            )
        )
    return ServiceItem.objects.filter(pk__in=ids).select_related("department").order_by("code")
