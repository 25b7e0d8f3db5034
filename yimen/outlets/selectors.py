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
    """就近办: outlets that handle the item, open ones first, each with open/next-opening."""
    at = at or clock.now()
    outlet_ids = set(item.outlets.values_list("pk", flat=True))
    outlet_ids |= set(Window.objects.filter(items=item).values_list("outlet_id", flat=True))
    if item.comprehensive:
        outlet_ids |= set(Window.objects.filter(scope="comprehensive").values_list("outlet_id", flat=True))
    rows = []
    for outlet in Outlet.objects.filter(pk__in=outlet_ids, active=True).prefetch_related("exceptions"):
        schedule = schedule_for(outlet)
        open_now = schedule.is_open(at)
        rows.append({
            "outlet": outlet,
            "open_now": open_now,
            "next_opening": None if open_now else schedule.next_opening(at),
            "closes_at": schedule.closes_at(at) if open_now else None,
            "window_kinds": sorted(set(
                Window.objects.filter(outlet=outlet, items=item).values_list("kind", flat=True))),
        })
    rows.sort(key=lambda r: (not r["open_now"], r["next_opening"] or at, r["outlet"].kind != "district_centre", r["outlet"].code))
    return rows
