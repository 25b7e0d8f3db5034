"""“我的”: ID number + phone + SMS one-time code (through the outbox) → my records. Codes are
hashed, limited in tries and time; the answer never tells whose phone is whose."""

from datetime import timedelta

import pytest

from yimen.core import clock as project_clock
from yimen.notify.models import OutboxMessage
from yimen.portal import mine
from yimen.portal.models import MineCode
from yimen.queueing import services as queue_services

from .conftest import ELDER_ID, PERSON_ID, accepted_case

PHONE = "13800138000"


def _send(client, id_number=PERSON_ID, phone=PHONE):
    return client.post("/portal/mine/", {"action": "send", "id_number": id_number, "phone": phone})


def _code() -> str:
    return OutboxMessage.objects.filter(template="portal.mine_code").latest("pk").params["code"]


def _verify(client, code, id_number=PERSON_ID, phone=PHONE):
    return client.post(
        "/portal/mine/",
        {"action": "verify", "id_number": id_number, "phone": phone, "code": code},
    )


def test_sign_in_lists_my_records(at_centre, client):
    case = accepted_case(at_centre)  # applicant PERSON_ID with PHONE, and its ticket
    remote = queue_services.issue_remote_ticket(at_centre, ["XN-RS-004"], id_number=PERSON_ID)
    page = client.get("/portal/mine/").content.decode()
    assert "获取短信验证码" in page
    r = _send(client)
    assert r.status_code == 200 and "验证码已发到这个手机" in r.content.decode()
    message = OutboxMessage.objects.get(template="portal.mine_code")
    assert message.sensitive and message.recipient == PHONE
    row = MineCode.objects.get()
    assert _code() not in row.code_hash and len(row.code_hash) == 64  # stored hashed
    r = _verify(client, _code())
    assert r.status_code == 302
    page = client.get("/portal/mine/").content.decode()
    assert case.receipt_number in page and remote.number in page and "退出" in page
    assert PERSON_ID not in page
    client.post("/portal/mine/", {"action": "sign_out"})
    assert case.receipt_number not in client.get("/portal/mine/").content.decode()


def test_code_is_not_sent_to_a_phone_not_on_record_but_the_answer_is_the_same(at_centre, client):
    accepted_case(at_centre)
    r = _send(client, phone="13900139000")
    assert r.status_code == 200 and "验证码已发到这个手机" in r.content.decode()
    assert not OutboxMessage.objects.filter(template="portal.mine_code").exists()
    assert MineCode.objects.get().sent is False
    # whatever is typed, that pending "code" never opens anything
    r = _verify(client, "123456", phone="13900139000")
    assert r.status_code == 403


def test_brute_force_is_limited(at_centre, client):
    accepted_case(at_centre)
    _send(client)
    real = _code()
    wrong = "000000" if real != "000000" else "111111"
    for left in (4, 3, 2, 1):
        r = _verify(client, wrong)
        assert r.status_code == 403 and f"还可以再试 {left} 次" in r.content.decode()
    assert _verify(client, wrong).status_code == 403
    r = _verify(client, real)  # even the right code is refused after 5 tries
    assert r.status_code == 429 and "重新获取" in r.content.decode()
    # one code a minute, five a day
    assert _send(client).status_code == 429
    for minutes in range(1, 5):
        project_clock.freeze(project_clock.at(2022, 3, 15, 10, 0) + timedelta(minutes=2 * minutes))
        assert _send(client).status_code == 200
    project_clock.freeze(project_clock.at(2022, 3, 15, 10, 30))
    r = _send(client)
    assert r.status_code == 429 and "今天获取验证码的次数已用完" in r.content.decode()


def test_codes_expire_and_are_used_once(at_centre, client):
    accepted_case(at_centre)
    _send(client)
    code = _code()
    project_clock.freeze(project_clock.at(2022, 3, 15, 10, 6))
    r = _verify(client, code)
    assert r.status_code == 403 and "已过期" in r.content.decode()
    _send(client)
    code = _code()
    assert _verify(client, code).status_code == 302
    other = client.__class__()
    assert _verify(other, code).status_code == 403  # used


@pytest.mark.parametrize(
    "data",
    [
        {"action": "send", "id_number": "123", "phone": PHONE},
        {"action": "send", "id_number": PERSON_ID, "phone": "12"},
        {"action": "verify", "id_number": PERSON_ID, "phone": PHONE, "code": "abc"},
        {"action": "nonsense"},
        {"action": "verify", "id_number": ELDER_ID + "\u4e00", "phone": PHONE, "code": "1"},
    ],
)
def test_bad_input_is_a_chinese_4xx(at_centre, client, data):
    r = client.post("/portal/mine/", data)
    assert 400 <= r.status_code < 500
    assert 'role="alert"' in r.content.decode()


def test_session_expires(at_centre, client):
    accepted_case(at_centre)
    _send(client)
    _verify(client, _code())
    assert "退出" in client.get("/portal/mine/").content.decode()
    project_clock.freeze(
        project_clock.at(2022, 3, 15, 10, 0) + timedelta(minutes=mine.SESSION_MINUTES + 1)
    )
    assert "获取短信验证码" in client.get("/portal/mine/").content.decode()


def test_booking_beyond_the_horizon_or_on_a_closed_day_is_refused(at_centre, client):
    """A crafted day (2027-01-01, a holiday far off) or the 11th working day books nothing."""
    for day, slot in (
        ("2027-01-01", "2027-01-01T09:00:00+08:00"),
        ("2022-03-30", "2022-03-30T09:00:00+08:00"),
    ):
        r = client.post(
            "/portal/item/XN-RS-004/book/",
            {
                "outlet": "XN-CX",
                "day": day,
                "slot": slot,
                "name": "马奶奶",
                "id_number": ELDER_ID,
                "phone": "13800138001",
            },
        )
        assert r.status_code == 400, day
    from datetime import datetime

    from yimen.queueing.models import Appointment

    with pytest.raises(queue_services.DomainError) as exc:
        queue_services.book_appointment(
            at_centre,
            "XN-RS-004",
            datetime(2027, 1, 4, 9, 0, tzinfo=project_clock.SHANGHAI),
            "马奶奶",
            ELDER_ID,
            "13800138001",
        )
    assert exc.value.code == "beyond_horizon" and "10 个工作日内" in exc.value.message
    assert not Appointment.objects.exists()
    page = client.get("/portal/item/XN-RS-004/book/?outlet=XN-CX&day=2022-03-16").content.decode()
    assert 'id="day" name="day" data-autosubmit' in page and "2022年3月16日（星期三）" in page


def test_a_grievance_names_its_ticket_or_case_and_shows_in_mine(at_centre, client):
    from yimen.feedback.models import Grievance

    case = accepted_case(at_centre)
    base = {
        "outlet": "XN-CX",
        "category": "hard",
        "description": "材料要求反复变",
        "phone": PHONE,
    }
    bad = client.post("/portal/grievance/", {**base, "about": "NO-SUCH-0001"})
    assert bad.status_code == 400 and "没有在所选网点找到" in bad.content.decode()
    r = client.post("/portal/grievance/", {**base, "about": case.receipt_number.lower()})
    assert r.status_code == 200
    g = Grievance.objects.get()
    assert g.case_id == case.pk
    _send(client)
    _verify(client, _code())
    assert g.number in client.get("/portal/mine/").content.decode()


def test_ticket_page_refreshes_and_the_holder_can_cancel(at_centre, client):
    t = queue_services.issue_ticket(at_centre, ["XN-WS-001"])
    page = client.get(f"/portal/ticket/{t.public_id}/").content.decode()
    assert 'http-equiv="refresh" content="20"' in page and "取消排队号" in page
    r = client.post(f"/portal/ticket/{t.public_id}/", {"action": "cancel"})
    assert r.status_code == 302
    t.refresh_from_db()
    assert t.status == "cancelled"
    page = client.get(f"/portal/ticket/{t.public_id}/").content.decode()
    assert "取消排队号" not in page and 'http-equiv="refresh"' not in page


def test_outlets_page_shows_todays_hours_and_live_waiting(at_centre, client):
    queue_services.issue_ticket(at_centre, ["XN-WS-001"])
    page = client.get("/portal/outlets/").content.decode()
    row = page.split('data-code="XN-CX"')[1].split("</li>")[0]
    assert "现在排队 <strong>1</strong> 人" in row and "<dt>今日办公</dt>" in row


def test_code_must_be_ascii_digits_and_a_bad_one_costs_no_try(at_centre, client):
    """'１２３４５６' or '٠١٢٣٤٥' passed str.isdigit(): now the same 400 as any malformed code, and
    it does not use up one of the five tries."""
    accepted_case(at_centre)
    _send(client)
    for code in ("１２３４５６", "٠١٢٣٤٥", "12345²", "12 456"):
        r = _verify(client, code)
        assert r.status_code == 400 and "6 位数字验证码" in r.content.decode(), code
    assert MineCode.objects.get().attempts == 0
    assert _verify(client, _code()).status_code == 302


@pytest.mark.slow
def test_concurrent_code_requests_send_one_sms(transactional_db, at_centre):
    """Six requests for the same person at once (real threads and transactions): one code is sent,
    the others are told to wait — the limits hold under concurrency (no burst of SMS)."""
    import threading

    from django.db import connection

    from yimen.portal.mine import TooMany

    accepted_case(at_centre)
    sent, refused, errors = [], [], []
    barrier = threading.Barrier(6)

    def ask(n):
        try:
            barrier.wait(timeout=20)
            sent.append(mine.request_code(PERSON_ID, PHONE, f"10.0.0.{n}"))
        except TooMany:
            refused.append(n)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert len(sent) == 1 and len(refused) == 5
    assert OutboxMessage.objects.filter(template="portal.mine_code").count() == 1
