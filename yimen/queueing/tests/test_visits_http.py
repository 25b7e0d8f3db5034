"""One visit, several queues over HTTP: the guide desk, the kiosk, the holder's status page and
slip, the window console, the board and the API (#17 part 6, scenario S04)."""

import pytest
from django.test import Client

from yimen.core import clock as project_clock
from yimen.outlets.models import Outlet
from yimen.queueing import selectors, services
from yimen.queueing.models import Ticket
from yimen.staff.testing import make_staff
from yimen.staff.tokens import issue_token

pytestmark = pytest.mark.django_db
S04 = "我们公司刚拿到执照，要开对公账户，另外店里要办卫生许可证。"


@pytest.fixture
def s04(demo, clock):
    """Wed 2022-03-16 12:05 at 城西区市民服务中心 (scenario S04)."""
    clock.freeze(project_clock.at(2022, 3, 16, 12, 5))
    return Outlet.objects.get(code="XN-CX")


def test_guide_desk_issues_one_ticket_for_b1_and_2f(s04, client):
    guide = make_staff("guide", outlet="XN-CX")
    client.force_login(guide.user)
    page = client.get("/guide/", {"q": S04}).content.decode()
    for code in ("XN-ZW-001", "XN-WS-001"):
        assert f'value="{code}"' in page
    r = client.post("/guide/", {"q": S04, "codes": ["XN-ZW-001", "XN-WS-001"], "form_key": "s04-a"})
    html = r.content.decode()
    assert r.status_code == 200 and "请分别取号" not in html
    ticket = r.context["ticket"]
    assert ticket.queue.code == "CX-BANGBAN" and ticket.stops == 2
    assert "一次到场，分 2 站办理" in html and "下一站：" in html and "综合" in html
    # a retried click is the same ticket
    again = client.post(
        "/guide/", {"q": S04, "codes": ["XN-ZW-001", "XN-WS-001"], "form_key": "s04-a"}
    )
    assert again.context["ticket"].pk == ticket.pk and Ticket.objects.count() == 1


def test_kiosk_several_items_one_ticket_slip_and_status_page(s04, client, clerk_at):
    r = client.post(
        "/queue/kiosk/XN-CX/",
        {"action": "several", "items": ["XN-ZW-001", "XN-WS-001"], "priority": ""},
    )
    assert r.status_code == 302, r.content.decode()[:500]
    ticket = Ticket.objects.get()
    assert ticket.channel == "kiosk" and ticket.stops == 2 and ticket.number == "B001"
    slip = client.get(r["Location"]).content.decode()
    assert 'id="slip-stops"' in slip and "分 2 站办理" in slip
    status = client.get(f"/queue/t/{ticket.public_id}/").content.decode()
    assert "下一站：综合一窗无差别受理窗口" in status
    # B1 finishes: the holder's page shows the 2F queue with the same number, first stop done
    staff, window = clerk_at("CX-BANGBAN")
    called = services.call_next(window, staff)
    services.start(called, staff)
    services.finish(called, staff)
    status = client.get(f"/queue/t/{ticket.public_id}/").content.decode()
    assert "B001" in status and "排在第 <strong>1</strong> 位" in status
    assert 'data-state="done"' in status and 'data-state="current"' in status
    assert "下一站：" not in status
    # nothing chosen: a clear message, no ticket
    bad = client.post("/queue/kiosk/XN-CX/", {"action": "several"})
    assert bad.status_code == 400 and "请选择要办理的事项" in bad.content.decode()


def test_console_shows_this_stop_and_the_next_and_the_board_sends_it_on(s04, clerk_at):
    ticket = services.issue_ticket(s04, ["XN-ZW-001", "XN-WS-001"], several_queues=True)
    staff, window = clerk_at("CX-BANGBAN")
    client = Client()
    client.force_login(staff.user)
    client.post("/queue/console/action/", {"action": "call_next"})
    client.post("/queue/console/action/", {"action": "start", "ticket": ticket.pk})
    page = client.get("/queue/console/").content.decode()
    assert "本窗口为第 1/2 站" in page and "下一站：综合一窗无差别受理窗口" in page
    # the handled items offered are this stop's only
    assert 'value="XN-ZW-001" checked' in page and 'value="XN-WS-001"' not in page
    done = client.post(
        "/queue/console/action/", {"action": "finish", "ticket": ticket.pk}, follow=True
    )
    assert "本站已办结，已排入下一站：综合一窗无差别受理窗口" in done.content.decode()
    moved = Ticket.objects.get(pk=ticket.pk)
    assert moved.status == Ticket.WAITING and moved.queue.code == "CX-ZH"
    board = selectors.board(s04)
    assert board["onward"] == [{"number": ticket.number, "queue_name": moved.queue.name}]
    html = Client().get("/queue/board/XN-CX/").content.decode()
    assert "请前往下一站" in html and f"<td>{ticket.number}</td><td>下一站：" in html
    # the 2F clerk sees it as its second stop, then calls it: it leaves the 下一站 list
    zh_staff, zh = clerk_at("CX-ZH-201")
    zh_client = Client()
    zh_client.force_login(zh_staff.user)
    assert "第2/2站" in zh_client.get("/queue/console/").content.decode()
    zh_client.post("/queue/console/action/", {"action": "call_next"})
    assert selectors.board(s04)["onward"] == []
    page = zh_client.get("/queue/console/").content.decode()
    assert "本窗口为第 2/2 站（最后一站）" in page


def test_api_several_queues(s04, client):
    _token, raw = issue_token(outlet=s04)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    body = {"item_codes": ["XN-ZW-001", "XN-WS-001"]}
    refused = client.post(
        "/api/outlets/XN-CX/tickets", body, content_type="application/json", **auth
    )
    assert refused.status_code == 400 and refused.json()["code"] == "split_required"
    r = client.post(
        "/api/outlets/XN-CX/tickets",
        {**body, "several_queues": True},
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 201, r.content
    data = r.json()
    assert data["queue"] == "CX-BANGBAN" and data["next_stop"]
    assert [(s["queue"], s["item_codes"], s["state"]) for s in data["stops"]] == [
        ("CX-BANGBAN", ["XN-ZW-001"], "current"),
        ("CX-ZH", ["XN-WS-001"], "next"),
    ]
    one = client.post(
        "/api/outlets/XN-CX/tickets",
        {"item_code": "XN-CG-001", "several_queues": True},
        content_type="application/json",
        **auth,
    ).json()
    assert one["stops"] == [] and one["next_stop"] is None and one["queue"] == "CX-ZH"


def test_thermal_slip_lists_the_stops(s04):
    from yimen.hall import printing, slips

    ticket = services.issue_ticket(s04, ["XN-WS-001", "XN-ZW-001"], several_queues=True)
    slip = slips.slip_for(ticket, "http://hall.example/queue/t/x/")
    assert any(
        "分 2 站办理：1. 帮办代办" in n and "2. 综合一窗无差别受理窗口" in n for n in slip.notes
    )
    text = printing.render_text(printing.escpos_job(slip))
    assert "B001" in text and "分 2 站办理" in text
