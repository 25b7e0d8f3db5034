"""Appointment slots."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count

from yimen.core import clock
from yimen.core.errors import NotFound
from yimen.core.selectors import work_calendar
from yimen.core.validators import parse_id
from yimen.outlets import selectors as outlet_selectors
from yimen.outlets.models import Outlet

from ..models import Appointment, Queue
from .config import get_outlet, resolve_items
from .dispatch import route

# --- appointments -----------------------------------------------------------------------------


def slot_minutes(outlet: Outlet) -> int:
    return outlet.options.appointment_slot_minutes


def within_booking_horizon(outlet, day) -> bool:
    """Whether `day` is among the outlet's next `booking_horizon_workdays` working days (today
    included): a crafted far-off date books nothing."""
    cal = work_calendar()
    today = clock.today()
    if day < today:
        return False
    horizon = get_outlet(outlet).options.booking_horizon_workdays
    count, current = 0, today
    while current <= day:
        if cal.is_workday(current):
            count += 1
            if count > horizon:
                return False
        current += timedelta(days=1)
    return True


def available_slots(outlet, item, day) -> list[dict]:
    """Bookable slots of `item` at `outlet` on `day`: inside opening hours, on working days only
    (Saturday opening hours are for walk-ins; a 调休 Saturday is a working day and has slots),
    starting in the future, with the remaining capacity of the queue that handles the item."""
    outlet = get_outlet(outlet)
    item = resolve_items([item])[0]
    cal = work_calendar()
    if not cal.is_workday(day) or not within_booking_horizon(outlet, day):
        return []
    queue = Queue.objects.get(pk=route(outlet, [item]).pk)  # fresh: the routing table is cached
    if queue.appointment_capacity <= 0:
        return []
    schedule = outlet_selectors.schedule_for(outlet)
    length = timedelta(minutes=slot_minutes(outlet))
    now = clock.now()
    booked = dict(
        Appointment.objects.filter(
            queue=queue, service_date=day, status__in=Appointment.ACTIVE_STATES
        )
        .values("slot_start")
        .annotate(n=Count("pk"))
        .values_list("slot_start", "n")
    )
    slots = []
    for start_t, end_t in schedule.spans_on(day):
        start = datetime.combine(day, start_t, tzinfo=clock.SHANGHAI)
        end = datetime.combine(day, end_t, tzinfo=clock.SHANGHAI)
        while start + length <= end:
            if start > now:
                used = booked.get(start, 0)
                slots.append(
                    {
                        "start": start,
                        "end": start + length,
                        "capacity": queue.appointment_capacity,
                        "booked": used,
                        "available": max(queue.appointment_capacity - used, 0),
                        "queue": queue.code,
                    }
                )
            start += length
    return slots


def get_appointment(appointment) -> Appointment:
    if isinstance(appointment, Appointment):
        return appointment
    text = str(appointment)
    qs = Appointment.objects.select_related("outlet", "queue", "item")
    pk = parse_id(text)
    found = qs.filter(pk=pk).first() if pk is not None else qs.filter(public_id=text).first()
    if found is None:
        raise NotFound("找不到该预约。")
    return found
