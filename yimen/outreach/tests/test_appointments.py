"""Appointment messages through the services: confirmation, the reminder chore, cancellation,
and an outlet closing for a day with bookings."""

from datetime import date

import pytest

from yimen.core import clock as project_clock
from yimen.core.validators import make_resident_id
from yimen.outlets import services as outlet_services
from yimen.outlets.models import Outlet
from yimen.outreach import appointments, rules, selectors
from yimen.queueing import services
from yimen.queueing.models import Appointment
from yimen.staff.testing import make_staff

pytestmark = pytest.mark.django_db

PERSON = make_resident_id("630104", date(1985, 4, 1), 41)
OTHER = make_resident_id("630104", date(1990, 7, 9), 43)


def book(slot, id_number=PERSON, phone="13900000001"):
    return services.book_appointment("XN-CX", "XN-CG-001", slot, "张三", id_number, phone)


def test_booking_confirmation_once(demo, clock, outbox):
    clock.freeze(project_clock.at(2022, 3, 14, 9, 0))
    appt = book(project_clock.at(2022, 3, 16, 9, 30))
    (msg,) = outbox("appt.booked")
    assert msg.dedupe_key == rules.appointment_key(rules.BOOKED, appt.pk)
    assert msg.params["when"] == "3月16日09:30" and msg.params["item"]
    assert [s["kind"] for s in selectors.sent_for(appointment=appt)] == ["appt.booked"]


def test_day_before_and_hour_before_reminders_by_the_chore(demo, clock, outbox):
    clock.freeze(project_clock.at(2022, 3, 14, 9, 0))
    appt = book(project_clock.at(2022, 3, 16, 9, 30))
    late = book(project_clock.at(2022, 3, 16, 10, 0), id_number=OTHER, phone="13900000002")
    clock.freeze(project_clock.at(2022, 3, 15, 9, 59))
    assert appointments.remind_appointments().done == []  # not yet: from 10:00 the day before
    clock.freeze(project_clock.at(2022, 3, 15, 10, 0))
    run = appointments.remind_appointments()
    assert sorted(run.done) == sorted([f"appt.day_before:{appt.pk}", f"appt.day_before:{late.pk}"])
    assert appointments.remind_appointments().done == []  # a second run: nothing new
    services.cancel_appointment(late, id_number=OTHER)
    clock.freeze(project_clock.at(2022, 3, 16, 8, 31))
    run = appointments.remind_appointments()
    assert run.done == [f"appt.hour_before:{appt.pk}"]  # the cancelled one is not reminded
    assert len(outbox("appt.day_before")) == 2 and len(outbox("appt.hour_before")) == 1
    (cancel,) = outbox("appt.cancelled")
    assert cancel.params["when"] == "3月16日10:00"


def test_booked_after_the_reminder_time_gets_no_day_before_reminder(demo, clock, outbox):
    clock.freeze(project_clock.at(2022, 3, 15, 15, 0))
    book(project_clock.at(2022, 3, 16, 14, 0))
    appointments.remind_appointments()
    assert outbox("appt.day_before") == []


def test_closing_a_day_cancels_its_bookings_and_tells_each_holder_once(demo, clock, outbox):
    clock.freeze(project_clock.at(2022, 3, 14, 9, 0))
    outlet = Outlet.objects.get(code="XN-CX")
    first = book(project_clock.at(2022, 3, 16, 9, 30))
    second = book(project_clock.at(2022, 3, 16, 15, 0), id_number=OTHER, phone="13900000002")
    other_day = book(project_clock.at(2022, 3, 17, 9, 30), id_number=OTHER, phone="13900000002")
    admin = make_staff("admin", password=None)
    # the afternoon closes first: only the 15:00 booking goes
    outlet_services.set_exception(outlet, date(2022, 3, 16), ["09:00-12:00"], actor=admin)
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.status == Appointment.CANCELLED and first.status == Appointment.BOOKED
    # then the whole day
    outlet_services.set_exception(outlet, date(2022, 3, 16), [], note="停电检修", actor=admin)
    first.refresh_from_db()
    other_day.refresh_from_db()
    assert first.status == Appointment.CANCELLED and other_day.status == Appointment.BOOKED
    assert first.cancel_reason == appointments.CLOSED_REASON
    closed = outbox("appt.closed")
    assert sorted(m.dedupe_key for m in closed) == sorted(
        rules.appointment_key(rules.CLOSED, a.pk) for a in (first, second)
    )
    msg = next(m for m in closed if m.dedupe_key.endswith(f":{first.pk}"))
    assert msg.params["date"] == "3月16日" and msg.params["next"] == "3月17日"
    assert msg.params["change"] == "暂停办公"
    first_msg = next(m for m in closed if m.dedupe_key.endswith(f":{second.pk}"))
    assert first_msg.params["change"] == "调整办公时间"  # the afternoon closed first
    # the sweep (admin edits, holidays) finds nothing more to do: each holder told once
    assert appointments.sweep_closures().done == []
    assert len(outbox("appt.closed")) == 2


def test_the_sweep_catches_a_closure_made_outside_the_service(demo, clock, outbox):
    from yimen.outlets.models import OpeningException

    clock.freeze(project_clock.at(2022, 3, 14, 9, 0))
    appt = book(project_clock.at(2022, 3, 16, 9, 30))
    outlet = Outlet.objects.get(code="XN-CX")
    OpeningException.objects.create(outlet=outlet, date=date(2022, 3, 16), spans=[])
    run = appointments.sweep_closures()
    assert run.done == [f"XN-CX:{appt.pk}"] and len(outbox("appt.closed")) == 1


def test_outreach_run_command_runs_every_chore_once(demo, clock, outbox):
    import json
    from io import StringIO

    from django.core.management import call_command

    clock.freeze(project_clock.at(2022, 3, 14, 9, 0))
    book(project_clock.at(2022, 3, 16, 9, 30))
    clock.freeze(project_clock.at(2022, 3, 15, 10, 5))
    out = StringIO()
    call_command("outreach", "run", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert len(result["outreach.remind_appointments"]["done"]) == 1
    assert set(result) == {
        "outreach.remind_appointments",
        "outreach.closures",
        "outreach.yearly_reminders",
        "outreach.warn_escalations",
    }
    call_command("outreach", "run", "--json", stdout=StringIO())
    assert len(outbox("appt.day_before")) == 1


def test_appointment_page_lists_messages_masked(demo, clock, client):
    clock.freeze(project_clock.at(2022, 3, 14, 9, 0))
    appt = book(project_clock.at(2022, 3, 16, 9, 30))
    page = client.get(f"/portal/appointment/{appt.public_id}/").content.decode()
    assert "预约确认" in page and "139****0001" in page and "13900000001" not in page


def test_new_weekly_hours_cancel_bookings_they_no_longer_cover(demo, clock, outbox):
    clock.freeze(project_clock.at(2022, 3, 14, 9, 0))
    outlet = Outlet.objects.get(code="XN-CX")
    morning = book(project_clock.at(2022, 3, 16, 9, 30))
    afternoon = book(project_clock.at(2022, 3, 16, 15, 0), id_number=OTHER, phone="13900000002")
    weekly = {**outlet.weekly_hours, "wed": ["09:00-12:00"]}
    outlet_services.set_weekly_hours(outlet, weekly, actor=make_staff("admin", password=None))
    morning.refresh_from_db()
    afternoon.refresh_from_db()
    assert morning.status == Appointment.BOOKED and afternoon.status == Appointment.CANCELLED
    assert [m.dedupe_key for m in outbox("appt.closed")] == [f"appt.closed:{afternoon.pk}"]
