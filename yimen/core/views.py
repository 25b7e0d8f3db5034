from django.shortcuts import render

from yimen.catalog.models import ServiceItem
from yimen.outlets.models import Outlet
from yimen.outlets.selectors import schedule_for

from . import clock
from .selectors import work_calendar


def home(request):
    now = clock.now()
    rows = []
    kind_order = {"city_centre": 0, "district_centre": 1, "bank": 2, "self_service": 3, "online": 4}
    outlets = sorted(
        Outlet.objects.filter(active=True).prefetch_related("exceptions"),
        key=lambda o: (kind_order.get(o.kind, 9), o.code),
    )
    for outlet in outlets:
        schedule = schedule_for(outlet)
        open_now = schedule.is_open(now)
        rows.append(
            {
                "outlet": outlet,
                "open_now": open_now,
                "next_opening": None if open_now else schedule.next_opening(now),
            }
        )
    today = clock.today()
    return render(
        request,
        "core/home.html",
        {
            "outlets": rows,
            "outlet_count": len(rows),
            "item_count": ServiceItem.objects.filter(active=True).count(),
            "today": today,
            "today_verified": work_calendar().is_verified(today),
        },
    )
