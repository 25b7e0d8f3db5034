"""Issue 14 §2: a window's session never ends with a ticket stranded at it. The clerk's own sign-out
is refused (naming the ticket) unless the clerk returns it to its queue; a chief's close_window and
the admin taking a clerk off duty return it automatically. A returned ticket is called at its
original place, the board stops showing it at that window, the console shows it as returned."""

import pytest

from yimen.core import clock as project_clock
from yimen.core.errors import Conflict, Forbidden
from yimen.core.models import AuditEntry
from yimen.queueing import selectors, services
from yimen.queueing.models import Ticket, TicketEvent
from yimen.staff import selectors as staff_selectors, services as staff_services
from yimen.staff.testing import make_staff
from yimen.staff.tokens import issue_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_hand(at_cx, clerk_at):
    """Window 201 has called A001 (issued first); A002 waits behind it; window 202 is idle."""
    clerk, window = clerk_at("CX-ZH-201")
    first = services.issue_ticket(at_cx, ["XN-CG-001"])
    second = services.issue_ticket(at_cx, ["XN-CG-002"])
    assert services.call_next(window, clerk).pk == first.pk
    return clerk, window, first, second


def board_calls(outlet):
    return [(c["number"], c["window"]) for c in selectors.board(outlet)["calls"]]


def assert_back_at_original_place(at_cx, clerk_at, first, second):
    t = Ticket.objects.get(pk=first.pk)
    assert t.status == Ticket.WAITING and t.window_id is None and t.queued_at == first.queued_at
    assert ("A001", "201") not in board_calls(at_cx)
    assert TicketEvent.objects.filter(ticket=first, action="requeue").exists()
    assert AuditEntry.objects.filter(action="ticket.requeue", object_id=str(first.pk)).exists()
    other, window = clerk_at("CX-ZH-202")
    assert services.call_next(window, other).pk == first.pk  # before A002, issued after it
    return other, window


def test_sign_out_with_a_ticket_in_hand_is_refused_naming_it(in_hand):
    clerk, window, first, _second = in_hand
    with pytest.raises(Conflict) as refused:
        staff_services.sign_out_window(clerk)
    assert refused.value.code == "ticket_in_hand"
    assert "201号窗口的 A001 号已叫号，请先办结或转办" in refused.value.message
    assert "退回队列并签退" in refused.value.message
    services.start(first, clerk)
    with pytest.raises(Conflict) as refused:
        staff_services.sign_out_window(clerk)
    assert "A001 号正在办理" in refused.value.message
    assert staff_selectors.session_of(clerk) is not None  # still signed in, ticket still there
    assert Ticket.objects.get(pk=first.pk).status == Ticket.SERVING
    services.finish(first, clerk)
    staff_services.sign_out_window(clerk)  # nothing in hand: signs out
    assert staff_selectors.session_of(clerk) is None


def test_sign_out_returning_the_ticket_puts_it_back_at_its_place(in_hand, at_cx, clerk_at):
    clerk, _window, first, second = in_hand
    assert ("A001", "201") in board_calls(at_cx)
    services.start(first, clerk)
    staff_services.sign_out_window(clerk, return_ticket=True)
    assert staff_selectors.session_of(clerk) is None
    assert_back_at_original_place(at_cx, clerk_at, first, second)
    entry = AuditEntry.objects.filter(action="window.sign_out").latest("pk")
    assert entry.summary["after"]["returned"] == ["A001"]


def test_chief_closing_the_window_returns_the_ticket(in_hand, at_cx, clerk_at):
    _clerk, window, first, second = in_hand
    staff_services.close_window(
        make_staff("chief", outlet="XN-CX", password=None), window, reason="离岗未签退"
    )
    assert_back_at_original_place(at_cx, clerk_at, first, second)
    assert AuditEntry.objects.filter(action="window.close").latest("pk").summary["after"][
        "returned"
    ] == ["A001"]


def test_taking_the_clerk_off_duty_returns_the_ticket(in_hand, at_cx, clerk_at):
    clerk, _window, first, second = in_hand
    services.start(first, clerk)
    admin = make_staff("admin", password=None)
    clerk.active = False
    staff_services.save_staff(admin, clerk)
    assert staff_selectors.session_of(clerk) is None
    assert_back_at_original_place(at_cx, clerk_at, first, second)


def test_priority_is_kept_when_a_ticket_returns(at_cx, clerk_at):
    from .test_services import elderly_id

    clerk, green = clerk_at("CX-GREEN")
    ticket = services.issue_ticket(at_cx, ["XN-MZ-003"], id_number=elderly_id(80))
    services.call_next(green, clerk)
    staff_services.sign_out_window(clerk, return_ticket=True)
    back = Ticket.objects.get(pk=ticket.pk)
    assert (
        back.priority == "老年人"
        and back.queue.code == "CX-GREEN"
        and back.status == Ticket.WAITING
    )


def test_api_sign_out_refused_then_with_return_ticket(client, in_hand, at_cx, clerk_at):
    clerk, _window, first, second = in_hand
    _token, raw = issue_token(staff=clerk)
    h = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    r = client.post("/api/staff/window/sign-out", **h)
    assert (
        r.status_code == 409
        and r.json()["code"] == "ticket_in_hand"
        and "A001" in r.json()["message"]
    )
    r = client.post(
        "/api/staff/window/sign-out", {"return_ticket": True}, content_type="application/json", **h
    )
    assert r.status_code == 200 and r.json()["state"] == "closed"
    assert_back_at_original_place(at_cx, clerk_at, first, second)


def test_window_page_offers_return_and_sign_out(client, in_hand, at_cx, clerk_at):
    clerk, _window, first, second = in_hand
    client.force_login(clerk.user)
    page = client.get("/staff/window/").content.decode()
    assert "将 A001 号退回队列并签退" in page and "A001</strong> 号（已叫号）" in page
    r = client.post("/staff/window/", {"op": "sign_out"}, follow=True)
    assert "A001 号已叫号，请先办结或转办" in r.content.decode()
    assert staff_selectors.session_of(clerk) is not None
    r = client.post("/staff/window/", {"op": "sign_out", "return_ticket": "1"}, follow=True)
    assert "已将窗口的号退回队列" in r.content.decode()
    assert_back_at_original_place(at_cx, clerk_at, first, second)


def test_console_sign_out_return_and_the_returned_ticket_on_another_console(
    client, in_hand, at_cx, clerk_at
):
    clerk, _window, first, _second = in_hand
    client.force_login(clerk.user)
    assert "将 A001 号退回队列并签退" in client.get("/queue/console/").content.decode()
    r = client.post("/queue/console/action/", {"action": "sign_out"}, follow=True)
    assert "A001 号已叫号" in r.content.decode() and staff_selectors.session_of(clerk) is not None
    client.post("/queue/console/action/", {"action": "sign_out_return"})
    assert staff_selectors.session_of(clerk) is None
    other, _w = clerk_at("CX-ZH-202")
    client.force_login(other.user)
    page = client.get("/queue/console/").content.decode()
    assert "A001</strong>" in page and "已退回" in page
    board = client.get("/api/outlets/XN-CX/board").json()
    assert not [c for c in board["calls"] if c["number"] == "A001"]


def test_a_ticket_transferred_to_a_window_that_closes_goes_back_to_its_line(at_cx, clerk_at):
    a, w201 = clerk_at("CX-ZH-201")
    b, _w202 = clerk_at("CX-ZH-202")
    ticket = services.issue_ticket(at_cx, ["XN-CG-001"])
    services.call_next(w201, a)
    services.transfer(ticket, a, window="CX-ZH-202", reason="需202复核")
    staff_services.sign_out_window(b)  # 202 closes before calling it
    back = Ticket.objects.get(pk=ticket.pk)
    assert (
        back.status == Ticket.WAITING
        and back.target_window_id is None
        and back.queued_at == ticket.queued_at
    )
    assert services.call_next(w201, a).pk == ticket.pk  # any window of its queue takes it now


def test_a_call_never_lands_on_a_window_whose_session_ended(in_hand, at_cx):
    """The session is checked again under the window's row lock (what sign-out and close take)."""
    clerk, window, first, second = in_hand
    services.finish(services.start(first, clerk), clerk)
    from yimen.staff.models import WindowSession

    # the session ends behind the hall cache's back (as another process's commit would, before its
    # notification arrives): the cached check passes, the check under the lock refuses
    WindowSession.objects.filter(staff=clerk).update(ended_at=project_clock.now())
    with pytest.raises(Forbidden) as refused:
        services.call_next(window, clerk)
    assert refused.value.code == "not_signed_in"
    assert Ticket.objects.get(pk=second.pk).status == Ticket.WAITING
