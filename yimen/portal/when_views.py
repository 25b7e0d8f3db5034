"""Citizen portal: “什么时候去、去哪儿” — the predicted wait per outlet by half hour for one item
(portal.selectors.when_to_go), with an open bank branch suggested for the bank items."""

from django.shortcuts import render

from yimen.core.errors import ValidationFailed
from yimen.core.inputs import form_date
from yimen.guide import selectors as guide_selectors

from . import selectors

WEEKDAYS = "一二三四五六日"


def day_label(d) -> str:
    """Dates a person could mistake carry the year and the weekday."""
    return f"{d.year}年{d.month}月{d.day}日 星期{WEEKDAYS[d.weekday()]}"


def when(request, code):
    it = guide_selectors.get_item(code)
    days = selectors.booking_days()
    error = None
    try:
        day = form_date(request.GET.get("day") or "", "日期")
    except ValidationFailed as exc:
        day, error = None, exc
    if day not in days:  # only the working days offered (a crafted date shows the first one)
        day = days[0] if days else None
    ctx = {
        "item": it,
        "day": day,
        "day_text": day_label(day) if day else "",
        "day_labels": [(d, day_label(d)) for d in days],
        **(selectors.when_to_go(it, day) if day else {"rows": []}),
        "error": error,
    }
    return render(request, "portal/when.html", ctx, status=error.status if error else 200)
