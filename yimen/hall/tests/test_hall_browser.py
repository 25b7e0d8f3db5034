"""Real browser (Chromium): a guide pairs the kiosk; an ID card read (simulated bridge) puts a
74-year-old on the green channel with no typing; the slip prints on the (simulated) thermal
printer and the kiosk returns to its start screen; the board announces the call with the
server's voice — played to its end, its length and level measured — and queues overlapping calls;
a closed outlet's board says when it opens."""

import re
import threading
import time

import pytest
from django.test import Client
from playwright.sync_api import expect

from yimen.core import clock as project_clock
from yimen.hall import bridge, voice
from yimen.hall.management.commands.hall import serve_printer
from yimen.hall.tests.conftest import ELDER_ID
from yimen.hall.tests.test_devices import free_port
from yimen.outlets.models import Window
from yimen.queueing import services
from yimen.queueing.models import Ticket
from yimen.queueing.tests.test_browser import asgi_server  # noqa: F401  (fixture)
from yimen.staff.services import sign_in_window
from yimen.staff.testing import make_staff


def _logged_in(browser, base, staff):
    client = Client()
    client.force_login(staff.user)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}]
    )
    return context


@pytest.mark.browser
def test_kiosk_id_card_slip_and_board_voice(asgi_server, browser, clock, screenshot):  # noqa: F811
    clock.freeze(project_clock.at(2022, 3, 15, 10, 0))
    base = asgi_server
    port, jobs, stop = free_port(), [], threading.Event()
    printer = threading.Thread(
        target=serve_printer,
        args=("127.0.0.1", port, "", lambda line: line.startswith("---") and jobs.append(line)),
        kwargs={"stop": stop},
    )
    printer.start()
    try:
        # 1. a guide pairs the kiosk's browser, with its thermal printer
        guide = make_staff("guide", outlet="XN-CX")
        kiosk = _logged_in(browser, base, guide).new_page()
        kiosk.goto(f"{base}/hall/pair/")
        kiosk.get_by_label("设备名称（字母、数字、连字符）").fill("kiosk-1")
        kiosk.get_by_label("热敏打印机（可不填：用浏览器打印）").fill(f"tcp://127.0.0.1:{port}")
        kiosk.locator("#pair-submit").click()
        expect(kiosk.locator("#paired h1")).to_contain_text("自助取号机 kiosk-1")
        token = re.search(r"--token (\S+)", kiosk.locator("#bridge-command").inner_text())[1]
        kiosk.locator("#open-device").click()
        expect(kiosk.locator("#card-status")).to_contain_text("请把身份证放在读卡区")
        expect(kiosk.locator("#presence-qr svg")).to_be_visible()
        screenshot_of(kiosk, "hall-kiosk-paired")

        # 2. a 74-year-old puts her ID card on the reader (the simulated bridge posts it)
        bridge.post_card(base, "XN-CX", token, "马秀兰", ELDER_ID)
        expect(kiosk.locator("#card-status")).to_contain_text("马**，74 岁", timeout=5_000)
        expect(kiosk.locator("#card-status")).to_contain_text("绿色通道")
        expect(kiosk.locator("input[name=priority][value=老年人]")).to_be_checked()
        screenshot_of(kiosk, "hall-kiosk-idcard")
        kiosk.locator("details:has(button[value='XN-RS-004']) summary").click()
        kiosk.locator("button[name=item][value='XN-RS-004']").click()

        # 3. the slip prints on the thermal printer; the kiosk goes back by itself
        expect(kiosk.locator("#slip-status")).to_contain_text("凭条已打印")
        number = kiosk.locator("#ticket-number").inner_text().strip()
        assert number.startswith("G")
        ticket = Ticket.objects.get(number=number)
        assert ticket.priority == "老年人" and ticket.id_number == ELDER_ID
        expect(kiosk.locator("#slip-code")).to_have_text(ticket.public_id)
        screenshot_of(kiosk, "hall-kiosk-slip")
        deadline = time.monotonic() + 5
        while not jobs and time.monotonic() < deadline:
            time.sleep(0.05)
        assert number in jobs[0] and ticket.public_id in jobs[0] and "二维码" in jobs[0]
        print("\n" + jobs[0])
        kiosk.wait_for_url(f"{base}/queue/kiosk/XN-CX/", timeout=15_000)
        expect(kiosk.locator("#card-status")).to_contain_text("请把身份证放在读卡区")
    finally:
        stop.set()
        printer.join(timeout=5)

    # 4. the board: the first touch allows sound; two calls overlap and are spoken in turn
    board = browser.new_page(viewport={"width": 1600, "height": 900})
    board.goto(f"{base}/queue/board/XN-CX/")
    board.wait_for_selector("body[data-last-event]", state="attached", timeout=10_000)
    board.locator("#sound").click()
    green = make_staff("clerk", outlet="XN-CX", password=None)
    sign_in_window(green, Window.objects.get(code="CX-GREEN"))
    other = services.issue_ticket("XN-CX", ["XN-WS-001"])
    clerk = make_staff("clerk", outlet="XN-CX", password=None)
    sign_in_window(clerk, Window.objects.get(code="CX-ZH-203"))
    assert services.call_next(Window.objects.get(code="CX-GREEN"), green).number == number
    assert services.call_next(Window.objects.get(code="CX-ZH-203"), clerk).pk == other.pk
    expect(board.locator("#latest")).to_contain_text(other.number, timeout=5_000)
    expect(board.locator("body")).to_have_attribute("data-voice-on", "1", timeout=5_000)
    expect(board.locator("body")).to_have_attribute("data-voice-queued", "2")
    screenshot_of(board, "hall-board-announcing")
    expect(board.locator("body")).to_have_attribute("data-voice-played", "1", timeout=30_000)
    first = board.locator("body").get_attribute("data-voice-last")
    assert first == f"/hall/voice/{number}/101.wav"
    expect(board.locator("body")).to_have_attribute("data-voice-played", "2", timeout=30_000)
    played_seconds = float(board.locator("body").get_attribute("data-voice-duration"))
    audio = board.request.get(f"{base}/hall/voice/{other.number}/203.wav")
    measured = voice.measure(audio.body())
    print(f"board voice: played {played_seconds} s in the browser; file {measured}")
    assert abs(played_seconds - measured["seconds"]) < 0.2
    assert 8 <= measured["seconds"] <= 20 and measured["rms_dbfs"] > -30


def screenshot_of(page, name):
    from conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.browser
def test_closed_board_says_so(page, live_server, demo, clock, screenshot):
    clock.freeze(project_clock.at(2022, 3, 15, 19, 0))
    page.goto(f"{live_server.url}/queue/board/XN-CX/")
    expect(page.locator("#closed")).to_be_visible()
    expect(page.locator("#closed")).to_contain_text("下次开放：2022年3月16日（周三）09:00")
    screenshot("hall-board-closed")
