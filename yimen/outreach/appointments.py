"""Appointment messages: the confirmation (at booking), the reminders the day before and an hour
before (the periodic chore `remind_appointments`), the cancellation notice, and the handling of
a day the outlet no longer opens (`handle_closures`).

The closure rule: a booking still 已预约 whose slot now falls outside the outlet's opening hours
(an opening-hours exception that closes the day or shortens it, a statutory holiday, new weekly
hours) is cancelled — never moved, since a moved slot could be one the person cannot make — and
its holder is told once, with the outlet's next opening day and another outlet that handles the
item and is open at that time. `outlets.services.set_exception` calls it for the outlet in the
same transaction; the chore sweeps every outlet (changes made in the admin, holidays)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from yimen.core import audit, clock
from yimen.core.jobs import JobRun
from yimen.outlets import selectors as outlet_selectors
from yimen.outlets.models import Outlet
from yimen.queueing.models import Appointment

from . import rules
from .sending import queue_message

CLOSURE_HORIZON_DAYS = 60  # the sweep looks this far ahead
CLOSED_REASON = "网点当日不开放，预约自动取消"


def _when(dt: datetime) -> str:
    local = clock.local(dt)
    return f"{local.month}月{local.day}日{local:%H:%M}"


def _params(appt: Appointment) -> dict[str, str]:
    return {
        "when": _when(appt.slot_start),
        "time": f"{clock.local(appt.slot_start):%H:%M}",
        "outlet": rules.clip(appt.outlet.name, 12),
        "item": rules.clip(appt.item.name, 10),
        "code": appt.public_id[:6].upper(),
    }


def booked(appt: Appointment) -> None:
    """Confirmation; called by queueing.services.book_appointment inside its transaction."""
    queue_message(
        to=appt.phone,
        template=rules.BOOKED,
        params=_params(appt),
        dedupe_key=rules.appointment_key(rules.BOOKED, appt.pk),
        appointment=appt,
    )


def cancelled(appt: Appointment) -> None:
    """Cancellation notice (staff or the holder cancelled it: either way the phone on the booking
    is told, so a cancellation nobody asked for is noticed); called by
    queueing.services.cancel_appointment inside its transaction."""
    params = _params(appt)
    params["reason"] = rules.clip(appt.cancel_reason, 12)
    queue_message(
        to=appt.phone,
        template=rules.CANCELLED,
        params=params,
        dedupe_key=rules.appointment_key(rules.CANCELLED, appt.pk),
        appointment=appt,
    )


# --- reminders (the chore) -----------------------------------------------------------------------


def remind_appointments(now: datetime | None = None, run: JobRun | None = None) -> JobRun:
    """The day-before and hour-before reminders that are due (rules.reminders_due), each booking
    in its own transaction; a second run sends nothing new (dedupe keys)."""
    now = now or clock.now()
    run = run or JobRun("outreach.remind_appointments")
    start, end = now, now + timedelta(days=2)
    keys = list(
        Appointment.objects.filter(
            status=Appointment.BOOKED, slot_start__gt=start, slot_start__lt=end
        )
        .order_by("slot_start", "pk")
        .values_list("pk", flat=True)
    )

    def one(pk):
        appt = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("outlet", "item")
            .get(pk=pk)
        )
        sent = []
        for kind in rules.reminders_due(
            clock.local(appt.slot_start),
            appt.created_at,
            now,
            cancelled=appt.status != Appointment.BOOKED,
        ):
            if queue_message(
                to=appt.phone,
                template=kind,
                params=_params(appt),
                dedupe_key=rules.appointment_key(kind, appt.pk),
                appointment=appt,
            ):
                sent.append(f"{kind}:{appt.pk}")
        return sent or None

    for sent in run.each(keys, one, label=lambda pk: f"appointment {pk}"):
        run.done.extend(sent)
    return run


# --- closures --------------------------------------------------------------------------------------


def handle_closures(
    outlet: Outlet, *, days: list | None = None, now: datetime | None = None, run=None
) -> list[Appointment]:
    """Cancel the outlet's future bookings whose slot it no longer opens for, and tell each
    holder. Runs inside the caller's transaction (set_exception) or one per outlet (the chore).
    Returns the bookings cancelled."""
    now = now or clock.now()
    schedule = outlet_selectors.schedule_for(
        Outlet.objects.prefetch_related("exceptions").get(pk=outlet.pk)
    )
    qs = Appointment.objects.filter(
        outlet_id=outlet.pk, status=Appointment.BOOKED, slot_start__gt=now
    )
    if days is not None:
        qs = qs.filter(service_date__in=days)
    else:
        qs = qs.filter(slot_start__lt=now + timedelta(days=CLOSURE_HORIZON_DAYS))
    done = []
    for appt in qs.select_for_update(of=("self",)).select_related("outlet", "item").order_by("pk"):
        if schedule.is_open(appt.slot_start):
            continue
        appt.status, appt.cancelled_at, appt.cancel_reason = (
            Appointment.CANCELLED,
            now,
            CLOSED_REASON,
        )
        appt.save(update_fields=["status", "cancelled_at", "cancel_reason"])
        audit.record(
            "system",
            "appointment.cancel",
            appt,
            before={"status": Appointment.BOOKED},
            after={"status": appt.status},
            reason=CLOSED_REASON,
        )
        params = _params(appt)
        params["date"] = f"{appt.service_date.month}月{appt.service_date.day}日"
        params["change"] = "调整办公时间" if schedule.spans_on(appt.service_date) else "暂停办公"
        params.update(_alternatives(appt, schedule))
        queue_message(
            to=appt.phone,
            template=rules.CLOSED,
            params=params,
            dedupe_key=rules.appointment_key(rules.CLOSED, appt.pk),
            appointment=appt,
        )
        done.append(appt)
    return done


def _alternatives(appt: Appointment, schedule) -> dict[str, str]:
    """The outlet's next opening after the closed slot, and another outlet open at that time."""
    nxt = schedule.next_opening(clock.local(appt.slot_start))
    others = [
        row["outlet"].name
        for row in outlet_selectors.outlets_for_item(appt.item, appt.slot_start)
        if row["open_now"] and row["outlet"].pk != appt.outlet_id
    ]
    return {
        "next": f"{nxt.month}月{nxt.day}日" if nxt else "其他日期",
        "alt": rules.clip(others[0], 12) if others else "其他网点",
    }


def sweep_closures(now: datetime | None = None, run: JobRun | None = None) -> JobRun:
    """The chore: every active outlet's bookings checked against its current hours."""
    now = now or clock.now()
    run = run or JobRun("outreach.closures")
    outlets = list(Outlet.objects.filter(active=True).order_by("pk"))

    def one(outlet):
        cancelled_now = handle_closures(outlet, now=now)
        return [f"{outlet.code}:{a.pk}" for a in cancelled_now] or None

    for done in run.each(outlets, one, label=lambda o: o.code):
        run.done.extend(done)
    return run


def on_exception_saved(outlet: Outlet, day) -> list[Appointment]:
    """Hook of outlets.services.set_exception (inside its transaction)."""
    with transaction.atomic():
        return handle_closures(outlet, days=[day])
