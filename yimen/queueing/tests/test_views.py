"""Queue pages through HTTP (Django client) and the SSE stream's resume by Last-Event-ID."""

import asyncio
import json
import threading

import pytest
from django.test import RequestFactory

from yimen.core import clock as project_clock
from yimen.outlets.models import Outlet
from yimen.queueing import services, views
from yimen.queueing.models import Ticket
from yimen.staff.testing import make_staff


@pytest.mark.django_db
def test_s04_kiosk_at_1205_is_open_without_lunch_break_text(client, demo, clock):
    clock.freeze(project_clock.at(2022, 3, 16, 12, 5))
    page = client.get("/queue/kiosk/XN-CX/")
    html = page.content.decode()
    assert page.status_code == 200 and "正在办公" in html and "午休" not in html
    issued = client.post("/queue/kiosk/XN-CX/", {"item": "XN-WS-001", "priority": ""})
    assert issued.status_code == 302
    ticket = Ticket.objects.get()
    assert issued["Location"] == f"/queue/t/{ticket.public_id}/print/?kiosk=1&printed=0"
    printout = client.get(issued["Location"]).content.decode()
    assert ticket.number in printout and "<svg" in printout and "午休" not in printout


@pytest.mark.django_db
def test_s05_kiosk_at_saturday_1201_tells_next_opening_and_open_bank(client, demo, clock):
    clock.freeze(project_clock.at(2022, 3, 19, 12, 1))
    page = client.get("/queue/kiosk/XN-CX/")
    assert "下次开放：2022年3月21日（周一）09:00" in page.content.decode()
    refused = client.post("/queue/kiosk/XN-CX/", {"item": "XN-RS-004"})
    html = refused.content.decode()
    assert refused.status_code == 409
    assert "2022年3月21日（周一）09:00" in html and "西宁农商银行西关大街支行" in html
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_kiosk_priority_and_group_button(client, at_cx):
    client.post("/queue/kiosk/XN-CX/", {"item": "XN-MZ-003", "priority": "老年人"})
    assert Ticket.objects.get().number == "G001"
    client.post("/queue/kiosk/XN-CX/", {"queue": "CX-ZH", "priority": ""})
    assert Ticket.objects.filter(number="A001", items__isnull=True).exists()
    bad = client.post("/queue/kiosk/XN-CX/", {"item": "XN-CG-001", "id_number": "12345"})
    assert bad.status_code == 400 and "身份证号码应为18位" in bad.content.decode()


@pytest.mark.django_db
def test_status_page_shows_position_and_holder_can_cancel(client, at_cx):
    first = services.issue_ticket(at_cx, ["XN-CG-001"])
    second = services.issue_ticket(at_cx, ["XN-CG-001"])
    html = client.get(f"/queue/t/{second.public_id}/").content.decode()
    assert "前面还有 <strong>1</strong> 人" in html
    partial = client.get(f"/queue/t/{second.public_id}/", HTTP_HX_REQUEST="true").content.decode()
    assert partial.startswith('<div id="status"')
    client.post(f"/queue/t/{first.public_id}/", {"action": "cancel"})
    first.refresh_from_db()
    assert first.status == Ticket.CANCELLED
    assert client.get(f"/queue/t/{first.pk}/").status_code == 404  # the pk is not a public id
    assert client.get("/queue/t/not-a-real-public-id-xx/").status_code == 404


@pytest.mark.django_db
def test_console_sign_in_call_start_finish(client, at_cx):
    clerk = make_staff("clerk", outlet="XN-CX", password=None)
    client.force_login(clerk.user)
    assert "窗口叫号台 · 签到" in client.get("/queue/console/").content.decode()
    client.post("/queue/console/action/", {"action": "sign_in", "window": "CX-ZH-204"})
    services.issue_ticket(at_cx, ["XN-CG-001"], applicant_name="李四光")
    page = client.get("/queue/console/").content.decode()
    assert "204 号窗口" in page and "A001" in page and "李**" in page and "李四光" not in page
    client.post("/queue/console/action/", {"action": "call_next"})
    ticket = Ticket.objects.get()
    assert ticket.status == Ticket.CALLED and ticket.window.number == "204"
    client.post("/queue/console/action/", {"action": "start", "ticket": ticket.pk})
    client.post(
        "/queue/console/action/",
        {"action": "finish", "ticket": ticket.pk, "handled": ["XN-CG-001"]},
    )
    ticket.refresh_from_db()
    assert ticket.status == Ticket.DONE and ticket.served_by == clerk
    follow = client.post(
        "/queue/console/action/", {"action": "start", "ticket": ticket.pk}, follow=True
    )
    assert "不能执行「开始办理」" in follow.content.decode()


@pytest.mark.django_db
def test_console_needs_staff_login(client, demo):
    assert client.get("/queue/console/").status_code == 302


@pytest.mark.django_db
def test_board_page_masks_names(client, at_cx, clerk_at):
    staff, window = clerk_at("CX-ZH-201")
    services.issue_ticket(at_cx, ["XN-CG-001"], applicant_name="赵六")
    services.call_next(window, staff)
    html = client.get("/queue/board/XN-CX/").content.decode()
    assert "请 A001 号到 201 号窗口办理" in html and "赵*" in html and "赵六" not in html
    assert "hall/board.js" in html and '"voice": "/hall/voice/"' in html  # server-made voice


def _read_events(request, chunks):
    async def run():
        response = await views.board_events(request, "XN-CX")
        out = []
        iterator = response.streaming_content.__aiter__()
        while len(out) < chunks:
            out.append(await asyncio.wait_for(iterator.__anext__(), timeout=10))
        await iterator.aclose()
        return [c.decode() if isinstance(c, bytes) else c for c in out]

    # a fresh thread: the browser tests' Playwright loop may be running in this one
    result = {}
    worker = threading.Thread(target=lambda: result.update(chunks=asyncio.run(run())))
    worker.start()
    worker.join(timeout=30)
    return result["chunks"]


def test_sse_resumes_after_last_event_id(demo, transactional_db, clock):
    clock.freeze(project_clock.at(2022, 3, 15, 10, 0))
    outlet = Outlet.objects.get(code="XN-CX")
    from yimen.outlets.models import Window
    from yimen.staff.services import sign_in_window

    staff = make_staff("clerk", outlet="XN-CX", password=None)
    window = Window.objects.get(code="CX-ZH-201")
    sign_in_window(staff, window)
    services.issue_ticket(outlet, ["XN-CG-001"])
    services.issue_ticket(outlet, ["XN-CG-001"])
    first = services.call_next(window, staff)
    resume_from = first.events.get(action="call").pk
    services.start(first, staff), services.finish(first, staff)
    second = services.call_next(window, staff)

    request = RequestFactory().get("/queue/board/XN-CX/events", HTTP_LAST_EVENT_ID=str(resume_from))
    retry, event = _read_events(request, 2)
    assert retry.startswith("retry:")
    head, data = event.split("data: ", 1)
    payload = json.loads(data)
    assert [c["number"] for c in payload["calls"]] == [second.number]  # only calls after the id
    assert f"id: {second.events.get(action='call').pk}" in head
    assert payload["board"]["calls"][0]["text"] == "请 A002 号到 201 号窗口办理"

    fresh = _read_events(RequestFactory().get("/queue/board/XN-CX/events"), 2)[1]  # no id: snapshot
    assert json.loads(fresh.split("data: ", 1)[1])["calls"] == []
