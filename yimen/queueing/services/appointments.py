"""Appointments: booking, cancelling, checking in at the slot."""

from __future__ import annotations

from datetime import timedelta

from yimen.core import audit, clock
from yimen.core.errors import (
    Conflict,
    Forbidden,
    InvalidTransition,
    ValidationFailed,
)
from yimen.core.masking import mask_id_number, mask_name, mask_phone
from yimen.core.validators import check_resident_id, normalize_id_number
from yimen.outlets import selectors as outlet_selectors
from yimen.outreach import appointments as outreach
from yimen.staff.authz import authorize

from .. import selectors
from ..models import Appointment, Queue, Ticket
from .common import (
    _check_phone,
    _closed_error,
    _priority_for,
    _require_presence,
    _retrying,
    _staff,
)
from .issuing import _create_ticket

# --- appointments -----------------------------------------------------------------------------


def book_appointment(
    outlet, item, slot_start, name, id_number, phone, *, actor=None, request=None
) -> Appointment:
    """Book a slot (预约). One active booking per person per item and day and per slot; the
    queue's capacity per slot is enforced under concurrency (queue row lock / IMMEDIATE)."""
    outlet = selectors.get_outlet(outlet)
    item = selectors.resolve_items([item])[0]
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("请填写姓名。", code="name_required")
    check = check_resident_id(id_number, clock.today())
    if not check.ok:
        raise ValidationFailed(check.message, code="bad_id_number")
    phone = _check_phone(phone)
    if not phone:
        raise ValidationFailed("请填写手机号码，用于预约提醒。", code="phone_required")
    slot_start = clock.local(slot_start)
    day = slot_start.date()
    from yimen.core.fields import protected_lookup_hash

    id_hash = protected_lookup_hash(normalize_id_number(id_number))

    if not selectors.within_booking_horizon(outlet, day):
        raise ValidationFailed(
            f"只能预约今天起 {outlet.options.booking_horizon_workdays} 个工作日内的时段"
            f"（{selectors.format_when(slot_start)[:-6]}不可预约）。",
            code="beyond_horizon",
        )

    def attempt():
        slots = selectors.available_slots(outlet, item, day)
        slot = next((s for s in slots if s["start"] == slot_start), None)
        if slot is None:
            raise ValidationFailed(
                f"{selectors.format_when(slot_start)} 不是可预约的时段。", code="bad_slot"
            )
        queue = Queue.objects.select_for_update().get(code=slot["queue"], outlet=outlet)
        active = Appointment.objects.filter(
            id_number_hash=id_hash, status__in=Appointment.ACTIVE_STATES
        )
        if (
            active.filter(item=item, service_date=day).exists()
            or active.filter(slot_start=slot_start).exists()
        ):
            raise Conflict(
                "您在该日已预约过此事项或该时段已有预约，请勿重复预约。", code="duplicate_booking"
            )
        used = Appointment.objects.filter(
            queue=queue, slot_start=slot_start, status__in=Appointment.ACTIVE_STATES
        ).count()
        if used >= queue.appointment_capacity:
            raise Conflict("该时段已约满，请选择其他时段。", code="slot_full")
        appt = Appointment.objects.create(
            outlet=outlet,
            queue=queue,
            item=item,
            service_date=day,
            slot_start=slot_start,
            slot_end=slot["end"],
            name=name,
            id_number=normalize_id_number(id_number),
            phone=phone,
            created_at=clock.now(),
        )
        audit.record(
            _staff(actor) or "public",
            "appointment.book",
            appt,
            request=request,
            after={
                "slot": slot_start.isoformat(),
                "item": item.code,
                "name": mask_name(name),
                "id_number": mask_id_number(id_number),
                "phone": mask_phone(phone),
            },
        )
        outreach.booked(appt)  # the confirmation SMS, queued in this transaction
        return appt

    try:
        return _retrying(attempt)
    except Conflict as exc:
        if exc.code == "busy":
            raise Conflict(
                "您在该日已预约过此事项或该时段已有预约，请勿重复预约。", code="duplicate_booking"
            )
        raise


def _holder_or_staff(appt: Appointment, actor, id_number, action):
    if id_number is not None:
        from yimen.core.fields import protected_lookup_hash

        if protected_lookup_hash(normalize_id_number(id_number)) != appt.id_number_hash:
            raise Forbidden("证件号码与预约人不符。", code="not_holder")
        return None
    return authorize(_staff(actor), action, outlet=appt.outlet_id)


def cancel_appointment(
    appointment, actor=None, reason="", *, id_number=None, request=None
) -> Appointment:
    """Cancel a booking: staff, or the person (who proves it with the booking's ID number)."""

    def attempt():
        appt = Appointment.objects.select_for_update().get(
            pk=selectors.get_appointment(appointment).pk
        )
        staff = _holder_or_staff(appt, actor, id_number, "appointment.manage")
        if appt.status != Appointment.BOOKED:
            raise InvalidTransition("预约", appt.status_label, "取消")
        appt.status, appt.cancelled_at, appt.cancel_reason = (
            Appointment.CANCELLED,
            clock.now(),
            (reason or "")[:200],
        )
        appt.save(update_fields=["status", "cancelled_at", "cancel_reason"])
        audit.record(
            staff or "holder",
            "appointment.cancel",
            appt,
            before={"status": Appointment.BOOKED},
            after={"status": appt.status},
            reason=reason,
            request=request,
        )
        outreach.cancelled(appt)  # the cancellation SMS, queued in this transaction
        return appt

    return _retrying(attempt)


def check_in(appointment, actor=None, *, present_at=None, request=None) -> Ticket:
    """The person arrives: a ticket (channel 预约签到) that the dispatch calls at its slot.
    Check-in opens `appointment_check_in_early_minutes` (default 30) before the slot and closes
    `appointment_grace_minutes` (default 15) after its start; later the booking is 爽约."""

    def attempt():
        appt = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("outlet", "queue", "item")
            .get(pk=selectors.get_appointment(appointment).pk)
        )
        _require_presence(appt.outlet_id, actor, present_at)
        if appt.status == Appointment.CHECKED_IN and appt.ticket_id:
            return appt.ticket
        if appt.status != Appointment.BOOKED:
            raise InvalidTransition("预约", appt.status_label, "签到")
        now = clock.now()
        early = timedelta(minutes=appt.outlet.options.appointment_check_in_early_minutes)
        grace = timedelta(minutes=appt.outlet.options.appointment_grace_minutes)
        if now < appt.slot_start - early:
            raise ValidationFailed(
                f"签到时间未到：请于 {clock.local(appt.slot_start - early):%H:%M} 之后签到。",
                code="too_early",
            )
        if now > appt.slot_start + grace:
            appt.status = Appointment.MISSED
            appt.save(update_fields=["status"])
            audit.record("system", "appointment.missed", appt, after={"status": appt.status})
            return None
        outlet = appt.outlet
        if not outlet_selectors.schedule_for(outlet).is_open(now):
            raise _closed_error(outlet, [appt.item], now)
        prio, idn = _priority_for(outlet, "", appt.id_number, selectors.local_date(now))
        ticket = _create_ticket(
            outlet,
            [appt.item],
            queue=appt.queue,
            priority=prio,
            channel="appointment",
            actor=actor,
            applicant_name=appt.name,
            id_number=idn,
            phone=appt.phone,
            appointment_at=appt.slot_start,
            request=request,
        )
        appt.status, appt.checked_in_at, appt.ticket = Appointment.CHECKED_IN, now, ticket
        appt.save(update_fields=["status", "checked_in_at", "ticket"])
        audit.record(
            _staff(actor) or "public", "appointment.check_in", appt, after={"ticket": ticket.number}
        )
        return ticket

    ticket = _retrying(attempt)
    if ticket is None:
        raise Conflict(
            "已超过预约时段的签到时间，预约已记为爽约，请现场取号。", code="appointment_missed"
        )
    return ticket
