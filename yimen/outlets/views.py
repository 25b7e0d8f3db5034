"""Outlet pages: the list (open now?) and one outlet (this week's hours with holidays and 调休,
windows by floor and kind, items)."""
from datetime import date, timedelta

from django.shortcuts import render

from yimen.core import clock
from yimen.core.errors import ValidationFailed

from . import selectors


def outlet_list(request):
    return render(request, "outlets/outlet_list.html", {"rows": selectors.outlets_overview(clock.now()),
                                                        "now": clock.now()})


def outlet_detail(request, code):
    outlet = selectors.get_outlet(code)
    now = clock.now()
    today = clock.local(now).date()
    week = request.GET.get("week", "").strip()
    if week:
        try:
            start = date.fromisoformat(week)
        except ValueError:
            raise ValidationFailed(f"日期格式不正确：{week}（应为 YYYY-MM-DD）")
    else:
        start = today
    monday = start - timedelta(days=start.weekday())
    days = selectors.outlet_week(outlet, monday)
    for d in days:
        d["today"] = d["date"] == today
    items = sorted(selectors.outlet_items(outlet), key=lambda i: (i.department.code, i.code))
    return render(request, "outlets/outlet_detail.html", {
        "outlet": outlet, "now": now, "status": selectors.outlet_status(outlet, now), "days": days,
        "monday": monday, "prev_week": monday - timedelta(days=7), "next_week": monday + timedelta(days=7),
        "this_week": monday <= today < monday + timedelta(days=7),
        "unverified": not all(d["verified"] for d in days),
        "floors": selectors.windows_by_floor(outlet), "items": items,
    })
