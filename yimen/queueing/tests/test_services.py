"""Tickets, calling and scenarios S01, S02, S04, S05 through the services."""

from datetime import date

import pytest

from yimen.core import clock as project_clock
from yimen.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidTransition,
    OutsideOpeningHours,
    ValidationFailed,
)
from yimen.core.models import AuditEntry
from yimen.core.validators import make_resident_id
from yimen.outlets.models import Outlet
from yimen.queueing import selectors, services
from yimen.queueing.models import Ticket, TicketEvent
from yimen.staff.testing import make_staff

pytestmark = pytest.mark.django_db


def elderly_id(age=74, seq=11, on=date(2022, 3, 15)):
    return make_resident_id("630104", date(on.year - age, 1, 2), seq)


def test_s01_green_channel_ticket_called_first_at_window_101(at_cx, clerk_at):
    ordinary = [services.issue_ticket(at_cx, ["XN-RS-004"]) for _ in range(2)]
    assert ordinary[0].queue.code == "CX-ZY-RS"
    project_clock.travel(minutes=3)
    couple = services.issue_ticket(
        at_cx,
        ["XN-MZ-003", "XN-RS-002"],
        id_number=elderly_id(74),
        channel="guide",
        actor=make_staff("guide", outlet="XN-CX", password=None),
    )
    assert couple.priority == "老年人"
    assert couple.queue.code == "CX-GREEN" and couple.number.startswith("G")
    assert sorted(couple.items.values_list("code", flat=True)) == ["XN-MZ-003", "XN-RS-002"]
    assert selectors.ticket_status(couple)["people_ahead"] == 0  # next served at the green channel
    staff, green = clerk_at("CX-GREEN")
    called = services.call_next(green, staff)
    assert called.pk == couple.pk and called.window.number == "101"
    # when idle, the green window also takes ordinary tickets whose items it handles
    services.start(called, staff)
    services.finish(called, staff)
    assert services.call_next(green, staff).pk == ordinary[0].pk


def test_s02_construction_waste_permit_any_comprehensive_window(at_cx, clerk_at):
    from yimen.outlets.models import Window

    numbers = set()
    for n in ["201", "202", "203", "204", "205"]:
        ticket = services.issue_ticket(at_cx, ["XN-CG-001"])
        assert ticket.queue.code == "CX-ZH" and ticket.number.startswith("A")
        staff, window = clerk_at(f"CX-ZH-{n}")
        called = services.call_next(window, staff)
        assert called.pk == ticket.pk
        numbers.add(called.window.number)
        services.start(called, staff)
        project_clock.travel(minutes=2)
        done = services.finish(called, staff)
        assert list(done.handled_items.values_list("code", flat=True)) == ["XN-CG-001"]
        assert 110 <= (done.finished_at - done.called_at).total_seconds() <= 180
    assert numbers == {"201", "202", "203", "204", "205"}
    assert not Window.objects.filter(group_code="CX-ZY-CG", tickets__isnull=False).exists()


def test_s11_several_items_one_ticket(at_cx):
    ticket = services.issue_ticket(at_cx, ["XN-WS-001", "XN-CG-002", "XN-ZJ-004"])
    assert ticket.queue.code == "CX-ZH" and ticket.items.count() == 3


def test_s04_weekday_1205_is_open_and_issues_normally(demo, clock):
    clock.freeze(project_clock.at(2022, 3, 16, 12, 5))
    outlet = Outlet.objects.get(code="XN-CX")
    bangban = services.issue_ticket(outlet, ["XN-ZW-001"])
    permit = services.issue_ticket(outlet, ["XN-WS-001"])
    assert bangban.queue.code == "CX-BANGBAN" and permit.queue.code == "CX-ZH"
    assert permit.issued_at == project_clock.at(2022, 3, 16, 12, 5)
    assert selectors.board(outlet)["open_now"] is True


def test_s05_saturday_1150_served_after_noon_and_1201_refused_with_next_opening(
    demo, clock, clerk_at
):
    clock.freeze(project_clock.at(2022, 3, 19, 11, 50))
    outlet = Outlet.objects.get(code="XN-CX")
    ticket = services.issue_ticket(outlet, ["XN-RS-004"])
    assert ticket.queue.code == "CX-ZY-RS"
    clock.freeze(project_clock.at(2022, 3, 19, 11, 58))
    staff, window = clerk_at("CX-ZY-RS-304")
    called = services.call_next(window, staff)
    assert called.pk == ticket.pk
    services.start(called, staff)
    clock.freeze(project_clock.at(2022, 3, 19, 12, 6))  # service continues past closing
    assert services.finish(called, staff).status == Ticket.DONE

    clock.freeze(project_clock.at(2022, 3, 19, 12, 1))
    with pytest.raises(OutsideOpeningHours) as err:
        services.issue_ticket(outlet, ["XN-RS-004"])
    details = err.value.details
    assert details["next_opening"] == project_clock.at(2022, 3, 21, 9, 0).isoformat()
    assert "2022年3月21日（周一）09:00" in err.value.message
    codes = [a["code"] for a in details["alternatives"]]
    assert "XN-NSH-01" in codes
    assert "西宁农商银行西关大街支行" in err.value.message
    assert "午休" not in err.value.message
    assert Ticket.objects.filter(outlet=outlet, service_date=date(2022, 3, 19)).count() == 1


def test_numbers_per_queue_reset_daily(at_cx, clock):
    a1 = services.issue_ticket(at_cx, ["XN-CG-001"])
    a2 = services.issue_ticket(at_cx, ["XN-WS-001"])
    d1 = services.issue_ticket(at_cx, ["XN-RS-004"])
    assert (a1.number, a2.number, d1.number) == ("A001", "A002", "D001")
    clock.freeze(project_clock.at(2022, 3, 16, 9, 30))
    assert services.issue_ticket(at_cx, ["XN-CG-001"]).number == "A001"


def test_idempotency_key_returns_same_ticket(at_cx):
    first = services.issue_ticket(at_cx, ["XN-CG-001"], idempotency_key="kiosk-7-0001")
    again = services.issue_ticket(at_cx, ["XN-CG-001"], idempotency_key="kiosk-7-0001")
    assert again.pk == first.pk and again.replayed and not first.replayed
    assert Ticket.objects.filter(idempotency_key="kiosk-7-0001").count() == 1


def test_priority_from_id_number_uses_outlet_age_threshold(at_cx):
    sixty = make_resident_id("630104", date(1960, 6, 1), 21)  # 61 on 2022-03-15
    assert services.issue_ticket(at_cx, ["XN-CG-001"], id_number=sixty).priority == ""
    at_cx.settings = {**at_cx.settings, "priority_age": 60}
    at_cx.save()
    assert services.issue_ticket(at_cx, ["XN-CG-001"], id_number=sixty).priority == "老年人"


@pytest.mark.parametrize(
    "kwargs,code",
    [
        ({"items": ["XN-NOPE-1"]}, "unknown_item"),
        ({"items": ["XN-CG-001"], "id_number": "630104199001011234"}, "bad_id_number"),
        ({"items": ["XN-CG-001"], "priority": "VIP"}, "bad_priority"),
        ({"items": ["XN-CG-001"], "phone": "12345"}, "bad_phone"),
        ({"items": ["XN-CG-001", "XN-RS-004"]}, "split_required"),
        ({"items": []}, "no_item"),
    ],
)
def test_bad_input_gives_chinese_domain_errors(at_cx, kwargs, code):
    with pytest.raises(DomainError) as err:
        services.issue_ticket(at_cx, **kwargs)
    assert err.value.code == code and err.value.status < 500
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err.value.message)


def test_item_not_handled_at_bank_branch_suggests_alternatives(demo, clock):
    clock.freeze(project_clock.at(2022, 3, 15, 10, 0))
    with pytest.raises(ValidationFailed) as err:
        services.issue_ticket("XN-NSH-01", ["XN-WS-001"])
    assert err.value.code == "not_handled_here"
    assert any(a["code"] == "XN-CX" for a in err.value.details["alternatives"])


def test_full_lifecycle_recall_no_show_reactivate_transfer(at_cx, clerk_at):
    staff, window = clerk_at("CX-ZH-201")
    t1 = services.issue_ticket(at_cx, ["XN-CG-001"], applicant_name="张三丰")
    t2 = services.issue_ticket(at_cx, [], queue="CX-ZH")  # the kiosk's group button: no items named
    called = services.call_next(window, staff)
    assert called.pk == t1.pk
    with pytest.raises(Conflict):
        services.call_next(window, staff)  # one active ticket per window
    for n in range(1, 4):
        assert services.recall(called, staff).recall_count == n
    assert services.recall(called, staff).status == Ticket.NO_SHOW  # after 3 recalls → 过号
    with pytest.raises(InvalidTransition):
        services.start(called, staff)
    project_clock.travel(minutes=1)
    back = services.reactivate(called, staff, "本人返回")
    assert back.status == Ticket.WAITING and back.number == "A001"
    nxt = services.call_next(window, staff)
    assert nxt.pk == t2.pk  # the reactivated ticket re-entered at the back
    services.start(nxt, staff)
    rs_staff, rs_window = clerk_at("CX-ZY-RS-305")  # a transfer needs somebody signed in there
    moved = services.transfer(nxt, staff, queue="CX-ZY-RS", reason="需人社窗口办理")
    assert (
        moved.status == Ticket.WAITING and moved.number == "A002" and moved.queue.code == "CX-ZY-RS"
    )
    assert services.call_next(rs_window, rs_staff).pk == t2.pk
    actions = list(TicketEvent.objects.filter(ticket=t1).values_list("action", flat=True))
    assert actions == ["issue", "call", "recall", "recall", "recall", "no_show", "reactivate"]
    assert AuditEntry.objects.filter(action="ticket.no_show", object_id=str(t1.pk)).exists()
    assert AuditEntry.objects.filter(action="ticket.reactivate", object_id=str(t1.pk)).exists()


def test_transfer_to_window_is_that_windows_next_call(at_cx, clerk_at):
    a, b = clerk_at("CX-ZH-201"), clerk_at("CX-ZH-202")
    early = services.issue_ticket(at_cx, ["XN-CG-001"])
    late = services.issue_ticket(at_cx, ["XN-CG-002"])
    called = services.call_next(a[1], a[0])
    assert called.pk == early.pk
    services.transfer(called, a[0], window="CX-ZH-202", reason="需202窗口复核")
    services.start(services.call_next(a[1], a[0]), a[0])  # 201 takes the other one
    assert services.call_next(b[1], b[0]).pk == early.pk
    assert late.pk != early.pk


def test_call_requires_clerk_signed_in_at_that_window(at_cx, clerk_at):
    staff, window = clerk_at("CX-ZH-201")
    services.issue_ticket(at_cx, ["XN-CG-001"])
    from yimen.outlets.models import Window

    other = Window.objects.get(code="CX-ZH-202")
    with pytest.raises(Forbidden):
        services.call_next(other, staff)
    with pytest.raises(DomainError):
        services.call_next(window, make_staff("guide", outlet="XN-CX", password=None))


def test_call_specific_needs_reason_and_a_servable_ticket(at_cx, clerk_at):
    staff, window = clerk_at("CX-ZH-201")
    services.issue_ticket(at_cx, ["XN-CG-001"])
    second = services.issue_ticket(at_cx, ["XN-CG-002"])
    rs = services.issue_ticket(at_cx, ["XN-RS-004"])
    with pytest.raises(ValidationFailed):
        services.call_specific(second, window, staff, "")
    with pytest.raises(ValidationFailed):
        services.call_specific(rs, window, staff, "群众急事")
    called = services.call_specific(second, window, staff, "孕妇身体不适")
    assert called.pk == second.pk
    assert TicketEvent.objects.get(ticket=second, action="call").reason == "跳号：孕妇身体不适"


def test_ticket_status_position_and_estimate(at_cx, clerk_at):
    tickets = [services.issue_ticket(at_cx, ["XN-CG-001"]) for _ in range(4)]
    status = selectors.ticket_status(tickets[3])
    assert status["position"] == 4 and status["people_ahead"] == 3
    assert status["estimated_wait_minutes"] == 18  # 3 × 6 min default, 1 window
    clerk_at("CX-ZH-201"), clerk_at("CX-ZH-202"), clerk_at("CX-ZH-203")
    assert selectors.ticket_status(tickets[3])["estimated_wait_minutes"] == 6  # 3 × 6 / 3 windows


def test_holder_can_cancel_from_status_page(at_cx):
    ticket = services.issue_ticket(at_cx, ["XN-CG-001"])
    assert services.cancel(ticket, by_holder=True).status == Ticket.CANCELLED
    with pytest.raises(DomainError):
        services.cancel(services.issue_ticket(at_cx, ["XN-CG-001"]))  # no actor, not the holder


def test_remote_ticket_keeps_place_lapses_without_check_in(at_cx, clerk_at, clock):
    with pytest.raises(OutsideOpeningHours):
        clock.freeze(project_clock.at(2022, 3, 15, 8, 0))
        services.issue_remote_ticket(at_cx, ["XN-CG-001"], id_number=elderly_id(40, 31))
    clock.freeze(project_clock.at(2022, 3, 15, 10, 0))
    remote = services.issue_remote_ticket(
        at_cx, ["XN-CG-001"], id_number=elderly_id(40, 31), phone="13800001234"
    )
    assert remote.channel == "remote" and remote.check_in_by == project_clock.at(2022, 3, 15, 11, 0)
    with pytest.raises(Conflict):
        services.issue_remote_ticket(at_cx, ["XN-CG-001"], id_number=elderly_id(40, 31))
    walk_in = services.issue_ticket(at_cx, ["XN-CG-001"])
    staff, window = clerk_at("CX-ZH-201")
    assert services.call_next(window, staff).pk == walk_in.pk  # not checked in: not called
    services.start(walk_in, staff), services.finish(walk_in, staff)
    clock.travel(minutes=30)
    services.check_in_remote(remote, present_at=remote.outlet_id)
    assert services.call_next(window, staff).pk == remote.pk

    late = services.issue_remote_ticket(at_cx, ["XN-CG-001"], id_number=elderly_id(41, 33))
    clock.travel(minutes=61)
    assert len(services.expire_remote().done) == 1
    late.refresh_from_db()
    assert late.status == Ticket.EXPIRED
    with pytest.raises(InvalidTransition):
        services.check_in_remote(late, present_at=late.outlet_id)


def test_remote_ticket_check_in_deadline_never_after_closing(demo, clock):
    clock.freeze(project_clock.at(2022, 3, 15, 16, 20))
    remote = services.issue_remote_ticket("XN-CX", ["XN-CG-001"], id_number=elderly_id(40, 35))
    assert remote.check_in_by == project_clock.at(2022, 3, 15, 16, 40)


def test_expire_command(at_cx, clock):
    from io import StringIO

    from django.core.management import call_command

    services.issue_remote_ticket(at_cx, ["XN-CG-001"], id_number=elderly_id(40, 37))
    clock.travel(minutes=90)
    out = StringIO()
    call_command("queue", "expire", "--json", stdout=out)
    assert '"expired": 1' in out.getvalue()
