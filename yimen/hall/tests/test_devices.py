"""Pairing, slips on ESC/POS printers (through the printer simulator), the boards' voice."""

import json
import threading
import time

import pytest

from yimen.core.errors import Forbidden, ValidationFailed
from yimen.hall import devices, printing, voice
from yimen.hall.management.commands.hall import serve_printer
from yimen.queueing.models import Ticket


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def printer_sim():
    """The printer simulator on a free port: (target string, list of printed texts)."""
    port, jobs, stop = free_port(), [], threading.Event()
    thread = threading.Thread(
        target=serve_printer,
        args=("127.0.0.1", port, "", lambda line: line.startswith("---") and jobs.append(line)),
        kwargs={"stop": stop},
    )
    thread.start()
    time.sleep(0.2)
    yield f"tcp://127.0.0.1:{port}", jobs
    stop.set()
    thread.join(timeout=5)


def test_printer_targets_are_checked():
    assert str(printing.parse_target("tcp://10.1.2.30")) == "tcp://10.1.2.30:9100"
    assert printing.parse_target("file:///dev/usb/lp0").path == "/dev/usb/lp0"
    assert printing.parse_target("usb://0x0416:0x5011").vendor == 0x0416
    assert printing.parse_target("") is None
    for bad in ("http://x", "file:///etc/passwd", "tcp://", "usb://zz:1", "tcp://a b:1"):
        with pytest.raises(ValidationFailed):
            printing.parse_target(bad)


def test_pairing_is_for_staff_of_the_outlet(at_cx, pair_device):
    from yimen.outlets.models import Outlet
    from yimen.staff.testing import make_staff

    device, raw = pair_device(None)
    assert device.outlet == at_cx and raw.startswith("ym_")
    clerk_elsewhere = make_staff("guide", outlet="XN-CD", password=None)
    with pytest.raises(Forbidden):
        devices.pair(clerk_elsewhere, at_cx, "kiosk", "k-2")
    guide = make_staff("guide", outlet="XN-CX", password=None)
    with pytest.raises(ValidationFailed):
        devices.pair(guide, at_cx, "toaster", "k-2")
    with pytest.raises(ValidationFailed):
        devices.pair(guide, at_cx, "kiosk", "空格 名字")
    with pytest.raises(ValidationFailed):
        devices.pair(guide, Outlet.objects.get(code="XN-CX"), "kiosk", "k-3", "ftp://x")


def test_pair_page(at_cx, client):
    from yimen.staff.testing import make_staff

    assert client.get("/hall/pair/").status_code == 302  # login first
    guide = make_staff("guide", outlet="XN-CX", password=None)
    client.force_login(guide.user)
    r = client.post(
        "/hall/pair/", {"outlet": "XN-CX", "kind": "kiosk", "name": "kiosk-1", "printer": ""}
    )
    page = r.content.decode()
    assert r.status_code == 200 and "已配对" in page and "idcard-bridge" in page
    assert devices.COOKIE in r.cookies and r.cookies[devices.COOKIE]["httponly"]
    bad = client.post("/hall/pair/", {"outlet": "XN-CX", "kind": "kiosk", "name": "x y"})
    assert bad.status_code == 400 and "设备名称" in bad.content.decode()


def test_kiosk_prints_on_the_thermal_printer_and_goes_back(at_cx, client, pair_device, printer_sim):
    target, jobs = printer_sim
    pair_device(client, printer=target)
    r = client.post("/queue/kiosk/XN-CX/", {"item": "XN-WS-001", "priority": ""})
    assert r.status_code == 302 and "kiosk=1&printed=1" in r["Location"]
    ticket = Ticket.objects.get()
    for _ in range(50):
        if jobs:
            break
        time.sleep(0.05)
    text = jobs[0]
    for part in (ticket.number, ticket.queue.name, ticket.public_id, "前面还有 0 人", "二维码"):
        assert part in text, part
    assert f"/queue/t/{ticket.public_id}/" in text and "2022-03-15 10:00" in text
    slip = client.get(r["Location"]).content.decode()
    assert "凭条已打印" in slip and 'data-autoprint="0"' in slip
    assert 'data-return-to="/queue/kiosk/XN-CX/"' in slip and "查看进度" not in slip


def test_kiosk_falls_back_to_the_browser_when_the_printer_is_down(at_cx, client, pair_device):
    pair_device(client, printer=f"tcp://127.0.0.1:{free_port()}")
    r = client.post("/queue/kiosk/XN-CX/", {"item": "XN-WS-001"}, follow=True)
    page = r.content.decode()
    assert "没有响应" in page and 'data-autoprint="1"' in page
    assert Ticket.objects.get().public_id in page  # the slip code is on the page slip too


def test_unpaired_kiosk_prints_with_the_browser(at_cx, client):
    r = client.post("/queue/kiosk/XN-CX/", {"item": "XN-WS-001"})
    assert "printed=0" in r["Location"]
    page = client.get(r["Location"]).content.decode()
    assert 'data-autoprint="1"' in page and "card-status" not in page


def test_desk_prints_on_its_printer(at_cx, client, pair_device, printer_sim):
    from yimen.queueing import services
    from yimen.staff.testing import make_staff

    target, jobs = printer_sim
    pair_device(client, kind="desk", name="desk-1", printer=target)
    guide = make_staff("guide", outlet="XN-CX", password=None)
    client.force_login(guide.user)
    ticket = services.issue_ticket(at_cx, ["XN-WS-001"], channel="guide", actor=guide)
    r = client.post(f"/hall/print/{ticket.public_id}/")
    assert r.status_code == 302
    for _ in range(50):
        if jobs:
            break
        time.sleep(0.05)
    assert ticket.number in jobs[0]
    # a guide of another outlet may not print it; an anonymous caller must log in
    other = make_staff("guide", outlet="XN-CD", password=None)
    client.force_login(other.user)
    assert client.post(f"/hall/print/{ticket.public_id}/").status_code == 403
    client.logout()
    assert client.post(f"/hall/print/{ticket.public_id}/").status_code == 302


def test_voice_of_a_call_is_long_and_loud_enough(client):
    data = voice.announcement_wav("A012", "203")
    measured = voice.measure(data)
    # chime + the sentence twice: 8–20 s, speech well above silence, not clipped
    assert 8 <= measured["seconds"] <= 20, measured
    assert measured["rms_dbfs"] > -30 and measured["peak_dbfs"] < -0.5, measured
    r = client.get("/hall/voice/A012/203.wav")
    assert r.status_code == 200 and r["Content-Type"] == "audio/wav" and r.content == data
    assert voice.phrase_clips("G3", "101")[:3] == ["qing", "lG", "d3"]
    closed = client.get("/hall/voice/closed.wav")
    assert voice.measure(closed.content)["seconds"] > 2


@pytest.mark.parametrize("number,window", [("A01'2", "203"), ("A012", "2" * 9), ("号", "1")])
def test_voice_refuses_malformed_calls_in_chinese_json(client, number, window):
    r = client.get(f"/hall/voice/{number}/{window}.wav")
    assert r.status_code == 400
    body = json.loads(r.content)
    assert body["code"] == "bad_announcement" and "格式不正确" in body["message"]


def test_closed_board_says_when_it_opens(demo, clock, client):
    from yimen.core import clock as project_clock

    clock.freeze(project_clock.at(2022, 3, 15, 19, 0))
    page = client.get("/queue/board/XN-CX/").content.decode()
    assert "本网点现在不在办公时间" in page and "下次开放：2022年3月16日" in page
    data = client.get("/api/outlets/XN-CX/board").json()
    assert data["open_now"] is False and data["next_opening"].startswith("2022年3月16日")


def test_training_clock_runs_from_the_set_time_and_production_refuses_it():
    from datetime import timedelta

    from yimen.core import clock

    try:
        target = clock.start_training_clock("2022-03-16T12:05", debug=True)
        assert abs(clock.now() - target) < timedelta(seconds=2)
        assert clock.local_now().strftime("%Y-%m-%d %H:%M") == "2022-03-16 12:05"
        with pytest.raises(ValueError, match="生产模式拒绝"):
            clock.start_training_clock("2022-03-16T12:05", debug=False)
        with pytest.raises(ValueError, match="格式不正确"):
            clock.start_training_clock("noon", debug=True)
    finally:
        clock._offset = timedelta(0)
