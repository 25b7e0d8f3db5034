"""Appointments: slots, booking rules, capacity, cancel, check-in → called at the slot."""

from datetime import date

import pytest

from yimen.core import clock as project_clock
from yimen.core.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from yimen.core.validators import make_resident_id
from yimen.queueing import selectors, services
from yimen.queueing.models import Appointment, Queue, Ticket

pytestmark = pytest.mark.django_db

PERSON = make_resident_id("630104", date(1985, 4, 1), 41)
OTHER = make_resident_id("630104", date(1990, 7, 9), 43)
THIRD = make_resident_id("630104", date(1979, 2, 3), 45)


def test_slots_on_working_days_only_inside_hours(demo, clock):
    clock.freeze(project_clock.at(2022, 3, 15, 8, 0))
    slots = selectors.available_slots("XN-CX", "XN-CG-001", date(2022, 3, 16))
    assert slots[0]["start"] == project_clock.at(2022, 3, 16, 9, 0)
    assert slots[-1]["end"] <= project_clock.at(2022, 3, 16, 16, 40)
    assert len(slots) == 15 and all(s["available"] == 2 and s["queue"] == "CX-ZH" for s in slots)
    assert (
        selectors.available_slots("XN-CX", "XN-CG-001", date(2022, 3, 19)) == []
    )  # Saturday: walk-ins
    assert selectors.available_slots("XN-CX", "XN-CG-001", date(2022, 4, 4)) == []  # 清明
    # beyond the booking horizon (10 working days): nothing, whatever the day
    assert selectors.available_slots("XN-CX", "XN-CG-001", date(2022, 3, 30)) == []
    clock.freeze(project_clock.at(2022, 3, 28, 8, 0))
    makeup = selectors.available_slots("XN-CX", "XN-CG-001", date(2022, 4, 2))  # 调休 Saturday
    assert makeup and makeup[-1]["end"] == project_clock.at(2022, 4, 2, 16, 30)
    clock.freeze(project_clock.at(2022, 3, 16, 10, 10))
    assert selectors.available_slots("XN-CX", "XN-CG-001", date(2022, 3, 16))[0][
        "start"
    ] == project_clock.at(2022, 3, 16, 10, 30)  # past slots gone


def test_booking_rules_capacity_and_no_double_booking(demo, clock):
    clock.freeze(project_clock.at(2022, 3, 15, 8, 0))
    slot = project_clock.at(2022, 3, 16, 9, 30)
    appt = services.book_appointment("XN-CX", "XN-CG-001", slot, "张三", PERSON, "13800001111")
    assert appt.status == Appointment.BOOKED and appt.queue.code == "CX-ZH"
    with pytest.raises(Conflict) as err:
        services.book_appointment(
            "XN-CX",
            "XN-CG-001",
            project_clock.at(2022, 3, 16, 11, 0),
            "张三",
            PERSON,
            "13800001111",
        )
    assert err.value.code == "duplicate_booking"
    services.book_appointment(
        "XN-CX", "XN-WS-001", project_clock.at(2022, 3, 16, 11, 0), "张三", PERSON, "13800001111"
    )  # another item the same day is fine
    services.book_appointment("XN-CX", "XN-CG-002", slot, "李四", OTHER, "13800002222")
    with pytest.raises(Conflict) as full:
        services.book_appointment("XN-CX", "XN-CG-003", slot, "王五", THIRD, "13800003333")
    assert full.value.code == "slot_full"
    left = {
        s["start"]: s["available"]
        for s in selectors.available_slots("XN-CX", "XN-CG-001", date(2022, 3, 16))
    }
    assert left[slot] == 0
    for bad, code in [
        ({"id_number": "123"}, "bad_id_number"),
        ({"phone": "999"}, "bad_phone"),
        ({"name": " "}, "name_required"),
        ({"slot": project_clock.at(2022, 3, 16, 9, 10)}, "bad_slot"),
    ]:
        args = {"slot": slot, "name": "赵六", "id_number": THIRD, "phone": "13800004444", **bad}
        with pytest.raises(ValidationFailed) as err:
            services.book_appointment(
                "XN-CX", "XN-CG-001", args["slot"], args["name"], args["id_number"], args["phone"]
            )
        assert err.value.code == code


def test_zero_capacity_queue_offers_no_slots(demo, clock):
    clock.freeze(project_clock.at(2022, 3, 15, 8, 0))
    Queue.objects.filter(outlet__code="XN-CX", code="CX-ZH").update(appointment_capacity=0)
    assert selectors.available_slots("XN-CX", "XN-CG-001", date(2022, 3, 16)) == []


def test_cancel_by_holder_or_staff(demo, clock):
    from yimen.staff.testing import make_staff

    clock.freeze(project_clock.at(2022, 3, 15, 8, 0))
    appt = services.book_appointment(
        "XN-CX", "XN-CG-001", project_clock.at(2022, 3, 16, 9, 30), "张三", PERSON, "13800001111"
    )
    with pytest.raises(Forbidden):
        services.cancel_appointment(appt, id_number=OTHER)
    assert (
        services.cancel_appointment(appt, id_number=PERSON.lower()).status == Appointment.CANCELLED
    )
    with pytest.raises(InvalidTransition):
        services.cancel_appointment(appt, make_staff("guide", outlet="XN-CX", password=None))
    # the slot is free again and the person may book again
    again = services.book_appointment(
        "XN-CX", "XN-CG-001", project_clock.at(2022, 3, 16, 9, 30), "张三", PERSON, "13800001111"
    )
    assert services.cancel_appointment(
        again, make_staff("guide", outlet="XN-CX", password=None), "群众来电取消"
    )


def book_tomorrow_10am(clock):
    """Booked on Tue 2022-03-15 08:00 for the Wed 10:00 slot."""
    clock.freeze(project_clock.at(2022, 3, 15, 8, 0))
    return services.book_appointment(
        "XN-CX", "XN-CG-001", project_clock.at(2022, 3, 16, 10, 0), "张三", PERSON, "13800001111"
    )


def test_check_in_gives_a_ticket_called_at_its_slot(demo, clock, clerk_at):
    appt = book_tomorrow_10am(clock)
    clock.freeze(project_clock.at(2022, 3, 16, 9, 0))
    with pytest.raises(ValidationFailed) as early:
        services.check_in(appt, present_at=appt.outlet_id)
    assert early.value.code == "too_early"
    walk_ins = [services.issue_ticket("XN-CX", ["XN-CG-002"]) for _ in range(3)]
    clock.freeze(project_clock.at(2022, 3, 16, 9, 40))
    ticket = services.check_in(appt, present_at=appt.outlet_id)
    assert ticket.channel == "appointment" and ticket.appointment_at == appt.slot_start
    assert services.check_in(appt, present_at=appt.outlet_id).pk == ticket.pk  # idempotent
    staff, window = clerk_at("CX-ZH-201")
    first = services.call_next(window, staff)
    assert first.pk == walk_ins[0].pk  # 09:40: the 10:00 slot is not due yet (10 min early)
    services.start(first, staff), services.finish(first, staff)
    clock.freeze(project_clock.at(2022, 3, 16, 9, 52))
    assert services.call_next(window, staff).pk == ticket.pk  # due: before the earlier walk-ins


def test_late_check_in_is_a_missed_appointment(demo, clock):
    appt = book_tomorrow_10am(clock)
    clock.freeze(project_clock.at(2022, 3, 16, 10, 20))
    with pytest.raises(Conflict) as err:
        services.check_in(appt, present_at=appt.outlet_id)
    assert err.value.code == "appointment_missed"
    appt.refresh_from_db()
    assert appt.status == Appointment.MISSED and not Ticket.objects.exists()


def test_slots_api(client, demo, clock):
    clock.freeze(project_clock.at(2022, 3, 15, 8, 0))
    response = client.get(
        "/api/outlets/XN-CX/appointment-slots", {"item_code": "XN-CG-001", "day": "2022-03-16"}
    )
    assert response.status_code == 200 and len(response.json()) == 15
    assert (
        client.get(
            "/api/outlets/XN-CX/appointment-slots", {"item_code": "XN-NOPE", "day": "2022-03-16"}
        ).status_code
        == 400
    )
