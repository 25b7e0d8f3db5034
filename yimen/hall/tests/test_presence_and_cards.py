"""Presence (check-in only at the outlet) and ID-card reads at the kiosk and the window."""

import json
from datetime import timedelta

import pytest

from yimen.core import clock as project_clock
from yimen.hall import presence
from yimen.queueing import services
from yimen.queueing.models import Ticket

from .conftest import ELDER_ID, PERSON_ID


def _remote(outlet, id_number=PERSON_ID):
    return services.issue_remote_ticket(outlet, ["XN-RS-004"], id_number=id_number)


def test_codes_change_every_minute(at_cx):
    now = project_clock.now()
    code = presence.code_for(at_cx.pk, now)
    assert len(code) == 8 and presence.verify(at_cx.pk, code, now)
    assert presence.verify(at_cx.pk, code.lower(), now + timedelta(minutes=2))
    assert not presence.verify(at_cx.pk, code, now + timedelta(minutes=4))
    assert presence.code_for(at_cx.pk, now + timedelta(minutes=1)) != code
    assert not presence.verify(at_cx.pk + 1, code, now)
    assert not presence.verify(at_cx.pk, "", now) and not presence.verify(at_cx.pk, "x" * 99, now)


def test_check_in_from_home_is_refused_in_chinese(at_cx, client):
    ticket = _remote(at_cx)
    r = client.post(f"/portal/ticket/{ticket.public_id}/")
    page = r.content.decode()
    assert r.status_code == 403 and "请到网点现场签到" in page and "二维码" in page
    ticket.refresh_from_db()
    assert ticket.checked_in_at is None
    # the same for an appointment (service level)
    with pytest.raises(services.DomainError) as exc:
        services.check_in_remote(ticket)
    assert exc.value.code == "not_at_outlet"


def test_scanning_the_hall_code_lets_the_phone_check_in(at_cx, client):
    ticket = _remote(at_cx)
    code = presence.code_for(at_cx.pk, project_clock.now())
    landing = client.get(f"/hall/here/XN-CX/{code}/")
    assert landing.status_code == 200 and "已确认您在" in landing.content.decode()
    assert presence.COOKIE in landing.cookies
    r = client.post(f"/portal/ticket/{ticket.public_id}/")
    assert r.status_code == 302
    ticket.refresh_from_db()
    assert ticket.checked_in_at is not None


def test_landing_page_checks_in_by_code(at_cx, client):
    ticket = _remote(at_cx)
    code = presence.code_for(at_cx.pk, project_clock.now())
    r = client.post(f"/hall/here/XN-CX/{code}/", {"arrival": ticket.public_id})
    assert r.status_code == 200 and f"已签到：{ticket.number}" in r.content.decode()
    bad = client.post(f"/hall/here/XN-CX/{code}/", {"arrival": "short"})
    assert bad.status_code == 400 and "完整的预约编号" in bad.content.decode()


def test_an_old_or_forged_code_does_not_count(at_cx, client):
    ticket = _remote(at_cx)
    old = presence.code_for(at_cx.pk, project_clock.now() - timedelta(minutes=5))
    r = client.get(f"/hall/here/XN-CX/{old}/")
    assert r.status_code == 403 and "二维码已过期" in r.content.decode()
    assert presence.COOKIE not in r.cookies
    assert client.post(f"/hall/here/XN-CX/{old}/", {"arrival": ticket.public_id}).status_code == 403
    # presence at another outlet does not check in here
    from yimen.outlets.models import Outlet

    other = Outlet.objects.get(code="XN-CD")
    client.get(f"/hall/here/XN-CD/{presence.code_for(other.pk, project_clock.now())}/")
    assert client.post(f"/portal/ticket/{ticket.public_id}/").status_code == 403
    client.cookies[presence.COOKIE] = "forged"
    assert client.post(f"/portal/ticket/{ticket.public_id}/").status_code == 403
    assert client.get("/hall/here/NOPE/ABCDEFGH/").status_code == 404


def test_presence_qr_only_for_paired_devices_of_the_outlet(at_cx, client, pair_device):
    r = client.get("/hall/presence/XN-CX/")
    assert r.status_code == 403 and json.loads(r.content)["code"] == "not_a_device"
    assert "presence-qr" not in client.get("/queue/board/XN-CX/").content.decode()
    pair_device(client, outlet="XN-CD")
    assert client.get("/hall/presence/XN-CX/").status_code == 403  # another outlet's board
    pair_device(client, outlet="XN-CX", kind="board", name="board-1")
    data = client.get("/hall/presence/XN-CX/").json()
    assert presence.verify(at_cx.pk, data["code"], project_clock.now()) and "<svg" in data["svg"]
    assert "presence-qr" in client.get("/queue/board/XN-CX/").content.decode()
    assert client.get("/hall/presence/NOPE/").status_code == 404


def test_kiosk_check_in_needs_a_paired_kiosk(at_cx, client, pair_device):
    ticket = _remote(at_cx)
    r = client.post("/queue/kiosk/XN-CX/", {"action": "check_in", "arrival": ticket.public_id})
    assert r.status_code == 403 and "请到网点现场签到" in r.content.decode()
    pair_device(client)
    r = client.post("/queue/kiosk/XN-CX/", {"action": "check_in", "arrival": ticket.public_id})
    assert r.status_code == 302
    ticket.refresh_from_db()
    assert ticket.checked_in_at is not None


def _post_card(client, token, outlet="XN-CX", **card):
    return client.post(
        f"/hall/idcard/{outlet}/",
        data=json.dumps(card, ensure_ascii=False),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_id_card_at_the_kiosk_puts_an_elder_on_the_green_channel(at_cx, client, pair_device):
    _device, token = pair_device(client)
    assert client.get("/hall/idcard/XN-CX/").json() == {"card": None}
    r = _post_card(client, token, name="马秀兰", id_number=ELDER_ID)
    assert r.status_code == 201
    card = client.get("/hall/idcard/XN-CX/").json()["card"]
    assert card["name"] == "马**" and card["age"] == 74 and card["priority"] is True
    assert ELDER_ID not in json.dumps(card)  # a public kiosk never gets the ID number
    r = client.post(
        "/queue/kiosk/XN-CX/", {"item": "XN-RS-004", "priority": "", "card": card["read_id"]}
    )
    assert r.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.priority == "老年人" and ticket.queue.prefix == "G"
    assert ticket.applicant_name == "马秀兰" and ticket.id_number == ELDER_ID
    # taken once: the read is gone for the next person
    assert client.get("/hall/idcard/XN-CX/").json() == {"card": None}


def test_id_card_reads_are_refused_cleanly(at_cx, client, pair_device):
    _device, token = pair_device(client)
    _other, other_token = pair_device(None, outlet="XN-CD", name="k-cd")
    cases = [
        (_post_card(client, "nope", name="张三", id_number=PERSON_ID), 401),
        (_post_card(client, other_token, name="张三", id_number=PERSON_ID), 403),
        (_post_card(client, token, name="张三", id_number="123"), 400),
        (_post_card(client, token, name="", id_number=PERSON_ID), 400),
        (
            client.post(
                "/hall/idcard/XN-CX/",
                data=b"{not json",
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            ),
            400,
        ),
        (_post_card(client, token, outlet="NOPE", name="张三", id_number=PERSON_ID), 404),
        (client.put("/hall/idcard/XN-CX/"), 405),
    ]
    for response, status in cases:
        assert response.status_code == status, response.content
        body = json.loads(response.content)
        assert body["code"] and any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])
    client.cookies.clear()
    assert client.get("/hall/idcard/XN-CX/").status_code == 401


def test_id_card_at_the_window_fills_the_applicant(at_cx, client):
    from yimen.staff.testing import make_staff
    from yimen.staff.tokens import issue_token

    clerk = make_staff("clerk", outlet="XN-CX", password=None)
    _token, raw = issue_token(staff=clerk)
    assert _post_card(client, raw, name="张三", id_number=PERSON_ID).status_code == 201
    client.force_login(clerk.user)
    card = client.get("/hall/idcard/XN-CX/").json()["card"]
    assert card["name"] == "张三" and card["id_number"] == PERSON_ID
    assert client.get("/hall/idcard/XN-CX/").json() == {"card": None}  # taken once
    other = make_staff("clerk", outlet="XN-CD", password=None)
    client.force_login(other.user)
    assert client.get("/hall/idcard/XN-CX/").status_code == 403
