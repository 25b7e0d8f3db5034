"""Outlet pages: the list (open now?) and one outlet (this week's hours with holidays and 调休,
windows by floor and kind, items)."""

from datetime import timedelta

from django.shortcuts import render

from yimen.core import clock
from yimen.core.inputs import form_date

from . import selectors


def outlet_list(request):
    return render(
        request,
        "outlets/outlet_list.html",
        {"rows": selectors.outlets_overview(clock.now()), "now": clock.now()},
    )


def outlet_detail(request, code):
    outlet = selectors.get_outlet(code)
    now = clock.now()
    today = clock.local(now).date()
    week = request.GET.get("week", "").strip()
    start = form_date(week, "周起始日期") or today  # inside the sane window, else 400
    monday = start - timedelta(days=start.weekday())
    days = selectors.outlet_week(outlet, monday)
    for d in days:
        d["today"] = d["date"] == today
    items = sorted(selectors.outlet_items(outlet), key=lambda i: (i.department.code, i.code))
    return render(
        request,
        "outlets/outlet_detail.html",
        {
            "outlet": outlet,
            "now": now,
            "status": selectors.outlet_status(outlet, now),
            "days": days,
            "monday": monday,
            "prev_week": monday - timedelta(days=7),
            "next_week": monday + timedelta(days=7),
            "this_week": monday <= today < monday + timedelta(days=7),
            "unverified": not all(d["verified"] for d in days),
            "floors": selectors.windows_by_floor(outlet),
            "items": items,
        },
    )
