"""Issue 14 §1 (queue) and §2 (transfer targets): a ticket a window holds (called or being served)
is acted on only by the clerk signed in at that window; nobody takes it from another window; a
transfer never sends a ticket where nobody can serve it. Services, API and the console form."""

import pytest

from yimen.core.errors import Conflict, Forbidden, ValidationFailed
from yimen.core.models import AuditEntry
from yimen.queueing import services
from yimen.queueing.models import Ticket
from yimen.staff import services as staff_services
from yimen.staff.testing import make_staff
from yimen.staff.tokens import issue_token

from .test_services import elderly_id

pytestmark = pytest.mark.django_db


def post(client, url, body=None, **headers):
    return client.post(url, body or {}, content_type="application/json", **headers)


def bearer(staff) -> dict:
    _token, raw = issue_token(staff=staff)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def unchanged(ticket, status, window_code):
    t = Ticket.objects.select_related("window").get(pk=ticket.pk)
    assert t.status == status and t.window.code == window_code, (t.status, t.window)


@pytest.fixture
def held_at_202(at_cx, clerk_at):
    """Clerk 201 idle; window 202 has called A001; a waiting A002 behind it."""
    c201, w201 = clerk_at("CX-ZH-201")
    c202, w202 = clerk_at("CX-ZH-202")
    first = services.issue_ticket(at_cx, ["XN-CG-001"])
    second = services.issue_ticket(at_cx, ["XN-CG-002"])
    assert services.call_next(w202, c202).pk == first.pk
    return c201, c202, first, second


@pytest.fixture
def green_at_101(at_cx, clerk_at):
    """A priority couple's green-channel ticket called at window 101; a clerk idle at 201."""
    green_clerk, green = clerk_at("CX-GREEN")
    clerk, _w201 = clerk_at("CX-ZH-201")
    ticket = services.issue_ticket(at_cx, ["XN-MZ-003", "XN-RS-002"], id_number=elderly_id(74))
    assert services.call_next(green, green_clerk).pk == ticket.pk
    return green_clerk, clerk, ticket


# --- §1: clerk 201 cannot transfer (or cancel) what window 202 holds ---------------------------


def test_services_refuse_transfer_and_cancel_of_a_ticket_held_by_another_window(held_at_202, at_cx):
    c201, c202, first, second = held_at_202
    for act in (
        lambda: services.transfer(first, c201, window="CX-ZH-201", reason="我来办"),
        lambda: services.transfer(first, c201, queue="CX-ZH", reason="退回"),
        lambda: services.cancel(first, c201, "取消"),
        lambda: services.start(first, c201),
    ):
        with pytest.raises(Forbidden) as refused:
            act()
        assert refused.value.code == "not_signed_in"
        assert "A001 号正在 202 号窗口叫号，只有在该窗口签到的工作人员可以" in refused.value.message
        unchanged(first, Ticket.CALLED, "CX-ZH-202")
    services.start(first, c202)
    with pytest.raises(Forbidden) as refused:
        services.transfer(first, c201, window="CX-ZH-201", reason="我来办")
    assert "A001 号正在 202 号窗口办理" in refused.value.message
    unchanged(first, Ticket.SERVING, "CX-ZH-202")
    # a guide or the director may not move it either (they are not at that window) ...
    for role in ("guide", "director"):
        with pytest.raises(Forbidden):
            services.transfer(
                first, make_staff(role, outlet="XN-CX", password=None), queue="CX-ZH", reason="x"
            )
    # ... but a waiting ticket of their own outlet stays theirs to transfer
    guide = make_staff("guide", outlet="XN-CX", password=None)
    moved = services.transfer(second, guide, window="CX-ZH-201", reason="引导员分流")
    assert moved.target_window.code == "CX-ZH-201"
    # the clerk at 202 still may: the window-bound check lets the holder act
    done = services.transfer(first, c202, window="CX-ZH-201", reason="需201复核")
    assert done.status == Ticket.WAITING and done.target_window.code == "CX-ZH-201"


def test_api_refuses_transfer_of_a_ticket_held_by_another_window(client, held_at_202):
    c201, c202, first, _second = held_at_202
    r = post(
        client,
        f"/api/tickets/{first.pk}/transfer",
        {"window": "CX-ZH-201", "reason": "我来办"},
        **bearer(c201),
    )
    assert r.status_code == 403 and r.json()["code"] == "not_signed_in"
    assert "202 号窗口" in r.json()["message"]
    r = post(client, f"/api/tickets/{first.pk}/cancel", {"reason": "x"}, **bearer(c201))
    assert r.status_code == 403
    unchanged(first, Ticket.CALLED, "CX-ZH-202")
    r = post(
        client,
        f"/api/tickets/{first.pk}/transfer",
        {"window": "CX-ZH-201", "reason": "复核"},
        **bearer(c202),
    )
    assert r.status_code == 200 and r.json()["status"] == "waiting"


def test_console_form_refuses_transfer_of_a_ticket_held_by_another_window(client, held_at_202):
    c201, _c202, first, _second = held_at_202
    client.force_login(c201.user)
    r = client.post(
        "/queue/console/action/",
        {"action": "transfer", "ticket": first.pk, "target": "w:CX-ZH-201", "reason": "我来办"},
        follow=True,
    )
    assert r.status_code == 200 and "只有在该窗口签到的工作人员可以转办" in r.content.decode()
    unchanged(first, Ticket.CALLED, "CX-ZH-202")


# --- §1: a crafted POST cannot take the green-channel ticket from window 101 -------------------


def test_services_refuse_taking_a_called_green_ticket_from_window_101(green_at_101):
    green_clerk, clerk, ticket = green_at_101
    with pytest.raises(Conflict) as refused:
        services.call_specific(ticket, "CX-ZH-201", clerk, "群众要求")
    assert (
        refused.value.code == "held_by_other_window"
        and "正在 101 号窗口叫号" in refused.value.message
    )
    with pytest.raises(Forbidden):
        services.transfer(ticket, clerk, window="CX-ZH-201", reason="我来办")
    unchanged(ticket, Ticket.CALLED, "CX-GREEN")
    assert services.start(ticket, green_clerk).status == Ticket.SERVING


def test_api_refuses_taking_a_called_green_ticket_from_window_101(client, green_at_101):
    _green_clerk, clerk, ticket = green_at_101
    h = bearer(clerk)
    r = post(
        client, f"/api/tickets/{ticket.pk}/call", {"window": "CX-ZH-201", "reason": "群众要求"}, **h
    )
    assert r.status_code == 409 and r.json()["code"] == "held_by_other_window"
    r = post(
        client,
        f"/api/tickets/{ticket.pk}/transfer",
        {"window": "CX-ZH-201", "reason": "我来办"},
        **h,
    )
    assert r.status_code == 403
    unchanged(ticket, Ticket.CALLED, "CX-GREEN")


def test_console_form_refuses_taking_a_called_green_ticket_from_window_101(client, green_at_101):
    _green_clerk, clerk, ticket = green_at_101
    client.force_login(clerk.user)
    r = client.post(
        "/queue/console/action/",
        {"action": "call_specific", "ticket": ticket.pk, "reason": "群众要求"},
        follow=True,
    )
    assert "不能被其他窗口叫走" in r.content.decode()
    r = client.post(
        "/queue/console/action/",
        {"action": "transfer", "ticket": ticket.pk, "target": "w:CX-ZH-201", "reason": "我来办"},
        follow=True,
    )
    assert "只有在该窗口签到的工作人员可以转办" in r.content.decode()
    unchanged(ticket, Ticket.CALLED, "CX-GREEN")


# --- §2: transfer targets that would strand the ticket ---------------------------------------


def test_services_refuse_closed_paused_and_unsuitable_transfer_targets(at_cx, clerk_at):
    clerk, window = clerk_at("CX-ZH-201")
    ticket = services.issue_ticket(at_cx, ["XN-CG-001"])
    services.call_next(window, clerk)
    with pytest.raises(Conflict) as refused:  # nobody signed in at 202
        services.transfer(ticket, clerk, window="CX-ZH-202", reason="复核")
    assert (
        refused.value.code == "target_closed" and "202 号窗口当前无人签到" in refused.value.message
    )
    other, _w202 = clerk_at("CX-ZH-202")
    staff_services.pause_window(other, "午餐接力")
    with pytest.raises(Conflict) as refused:
        services.transfer(ticket, clerk, window="CX-ZH-202", reason="复核")
    assert refused.value.code == "target_paused" and "暂停服务中" in refused.value.message
    with pytest.raises(Conflict) as refused:  # no window of the 人社 queue is staffed
        services.transfer(ticket, clerk, queue="CX-ZY-RS", reason="人社")
    assert refused.value.code == "target_closed" and "人社" in refused.value.message
    clerk_at("CX-ZY-RS-305")
    with pytest.raises(ValidationFailed) as refused:  # staffed, but 人社 does not handle the item
        services.transfer(ticket, clerk, queue="CX-ZY-RS", reason="人社")
    assert refused.value.code == "target_cannot_serve" and "建筑垃圾准运证" in refused.value.message
    with pytest.raises(ValidationFailed) as refused:
        services.transfer(ticket, clerk, window="CX-ZY-RS-305", reason="人社")
    assert (
        refused.value.code == "target_cannot_serve" and "305 号窗口不办理" in refused.value.message
    )
    with pytest.raises(ValidationFailed):
        services.transfer(ticket, clerk, window="CX-ZH-201", reason="本窗口")
    unchanged(ticket, Ticket.CALLED, "CX-ZH-201")
    staff_services.resume_window(other)
    moved = services.transfer(ticket, clerk, window="CX-ZH-202", reason="复核")
    assert moved.status == Ticket.WAITING and moved.target_window.code == "CX-ZH-202"
    assert (
        AuditEntry.objects.filter(action="ticket.transfer", object_id=str(ticket.pk)).count() == 1
    )


def test_green_channel_takes_transfers_of_green_eligible_items(at_cx, clerk_at):
    clerk, window = clerk_at("CX-ZY-RS-305")
    ticket = services.issue_ticket(at_cx, ["XN-RS-004"])
    services.call_next(window, clerk)
    clerk_at("CX-GREEN")
    moved = services.transfer(ticket, clerk, queue="CX-GREEN", reason="老人身体不适")
    assert moved.queue.code == "CX-GREEN"


def test_api_and_console_refuse_a_transfer_to_a_closed_window(client, at_cx, clerk_at):
    clerk, window = clerk_at("CX-ZH-201")
    ticket = services.issue_ticket(at_cx, ["XN-CG-001"])
    services.call_next(window, clerk)
    r = post(
        client,
        f"/api/tickets/{ticket.pk}/transfer",
        {"window": "CX-ZH-203", "reason": "复核"},
        **bearer(clerk),
    )
    assert r.status_code == 409 and r.json()["code"] == "target_closed"
    assert "203 号窗口当前无人签到" in r.json()["message"]
    client.force_login(clerk.user)
    page = client.get("/queue/console/").content.decode()
    assert "窗口：203 号（关闭）" in page  # the form shows it, disabled
    r = client.post(
        "/queue/console/action/",
        {"action": "transfer", "ticket": ticket.pk, "target": "w:CX-ZH-203", "reason": "复核"},
        follow=True,
    )
    assert "203 号窗口当前无人签到（已关闭），不能转入" in r.content.decode()
    unchanged(ticket, Ticket.CALLED, "CX-ZH-201")
