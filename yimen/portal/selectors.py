"""Reads for the citizen portal (一网通办): composed from the other apps' selectors."""

from __future__ import annotations

from datetime import date, timedelta

from yimen.core import clock
from yimen.core.errors import DomainError
from yimen.core.selectors import work_calendar
from yimen.outlets import selectors as outlet_selectors
from yimen.outlets.models import Outlet
from yimen.queueing import selectors as queue_selectors

BOOKING_DAYS = 10  # working days ahead that can be booked


def outlets_now(at=None) -> list[dict]:
    """Every active outlet with whether it is open now, when it closes or opens next; open first."""
    at = at or clock.now()
    rows = []
    for o in Outlet.objects.filter(active=True).prefetch_related("exceptions").order_by("code"):
        schedule = outlet_selectors.schedule_for(o)
        open_now = schedule.is_open(at)
        rows.append(
            {
                "outlet": o,
                "open_now": open_now,
                "closes_at": schedule.closes_at(at) if open_now else None,
                "next_opening": None if open_now else schedule.next_opening(at),
                "hours_today": "、".join(
                    f"{a:%H:%M}–{b:%H:%M}" for a, b in schedule.spans_on(clock.local(at).date())
                ),
                "waiting": _waiting(o) if open_now else None,
            }
        )
    rows.sort(
        key=lambda r: (not r["open_now"], r["outlet"].kind != "district_centre", r["outlet"].code)
    )
    return rows


def _waiting(outlet) -> int | None:
    """People waiting at the outlet now (the hall board's cached count); None without queues."""
    try:
        board = queue_selectors.board(outlet)
    except DomainError:
        return None
    return board["waiting_total"] if board["queues"] else None


def booking_days(start: date | None = None, n: int = BOOKING_DAYS) -> list[date]:
    """The next `n` working days (today included) from the work calendar."""
    cal = work_calendar()
    day = start or clock.today()
    days = []
    for _ in range(60):
        if cal.is_workday(day):
            days.append(day)
            if len(days) >= n:
                break
        day += timedelta(days=1)
    return days


def bookable_outlets(item) -> list[dict]:
    """Outlets handling `item` that take appointments for it (a queue with slot capacity)."""
    rows = []
    for r in outlet_selectors.outlets_for_item(item):
        o = r["outlet"]
        try:
            q = queue_selectors.route(o, [item])
        except DomainError:
            continue
        if q.appointment_capacity > 0:
            rows.append({**r, "queue": q})
    return rows


def slots(outlet, item, day) -> list[dict]:
    try:
        return queue_selectors.available_slots(outlet, item, day)
    except DomainError:
        return []


def remote_outlets(item, at=None) -> list[dict]:
    """Outlets open now whose queues take `item` (远程取号 only while open)."""
    rows = []
    for r in outlet_selectors.outlets_for_item(item, at):
        if not r["open_now"]:
            continue
        try:
            q = queue_selectors.route(r["outlet"], [item])
        except DomainError:
            continue
        rows.append(
            {
                **r,
                "queue": q,
                "check_in_minutes": r["outlet"].options.remote_check_in_minutes,
            }
        )
    return rows


def when_to_go(item, day: date) -> dict:
    """“什么时候去、去哪儿”: the outlets handling `item`, each with its predicted wait by half hour
    on `day` (insight.forecast: history played on the twin), its live queue when open now, and —
    for an item the bank branches also handle — the bank branch to suggest (open now, shortest
    queue; else the one opening first)."""
    from yimen.insight import forecast

    now = clock.now()
    today = clock.local(now).date()
    rows = []
    for r in outlet_selectors.outlets_for_item(item, now):
        o = r["outlet"]
        prediction = forecast.predicted_waits(o, day)
        slots = prediction["slots"]
        current = _clock_slot(now) if day == today else None
        ahead = [s for s in slots if current is None or s["slot"] >= current]  # today: not the past
        best = min(ahead, key=lambda s: (s["wait"], s["slot"])) if ahead else None
        rows.append(
            {
                **r,
                "prediction": prediction,
                "peak": max((s["wait"] for s in slots), default=0),
                "waiting": _waiting(o) if r["open_now"] else None,
                "wait_now": next((s["wait"] for s in slots if s["slot"] == current), None),
                "best": best,
            }
        )
    rows.sort(key=lambda x: (not x["prediction"]["open"], x["outlet"].kind == "bank"))
    banks = [x for x in rows if x["outlet"].kind == "bank"]
    suggestion = None
    open_banks = [x for x in banks if x["open_now"]]
    if open_banks:
        suggestion = min(
            open_banks,
            # the shortest queue now; then a known short predicted wait before an unknown one
            key=lambda x: (
                x["waiting"] or 0,
                x["wait_now"] is None,
                x["wait_now"] or 0,
                x["outlet"].code,
            ),
        )
    elif banks:
        suggestion = min(banks, key=lambda x: (x["next_opening"] is None, x["next_opening"] or now))
    return {"rows": rows, "bank_item": bool(banks), "bank_suggestion": suggestion}


def _clock_slot(at) -> str:
    local = clock.local(at)
    minute = (local.hour * 60 + local.minute) // 30 * 30
    return f"{minute // 60:02d}:{minute % 60:02d}"
