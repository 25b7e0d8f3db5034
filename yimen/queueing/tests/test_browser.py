"""Real browser (Chromium): kiosk → ticket → clerk calls it in the console → the board shows the
call (measured, < 1 s), and a green-channel ticket is called first at the green window.

The board needs an ASGI server (SSE from an async view), so the pages are served by uvicorn
running in this process (same test database, same frozen project clock)."""

import socket
import threading
import time

import pytest
from django.test import Client
from playwright.sync_api import expect

from yimen.core import clock as project_clock
from yimen.outlets.models import Window
from yimen.queueing import services
from yimen.queueing.models import Ticket
from yimen.staff.services import sign_in_window
from yimen.staff.testing import make_staff


@pytest.fixture
def asgi_server(demo, transactional_db):
    import uvicorn

    from yimen.asgi import application

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    server = uvicorn.Server(
        uvicorn.Config(
            application,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def clerk_context(browser, base, window_code):
    staff = make_staff("clerk", outlet="XN-CX")
    sign_in_window(staff, Window.objects.get(code=window_code))
    client = Client()
    client.force_login(staff.user)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}]
    )
    return context


@pytest.mark.browser
def test_kiosk_console_board_and_green_channel(asgi_server, page, browser, clock, screenshot):
    clock.freeze(project_clock.at(2022, 3, 15, 10, 0))
    base = asgi_server

    board = browser.new_page(viewport={"width": 1600, "height": 900})
    board.goto(f"{base}/queue/board/XN-CX/")
    # (not wait_for_function: it evals a string in the page, which the board's CSP forbids)
    board.wait_for_selector("body[data-last-event]", state="attached", timeout=10_000)

    # 1. a citizen takes a ticket at the kiosk
    page.goto(f"{base}/queue/kiosk/XN-CX/")
    assert "午休" not in page.content()
    screenshot("queue-kiosk")
    page.get_by_text("综合一窗无差别受理窗口（A）").click()
    page.get_by_role("button", name="建筑垃圾", exact=False).first.click()
    page.wait_for_selector("#ticket-number")
    number = page.inner_text("#ticket-number").strip()
    assert number == "A001"
    assert page.locator(".qr svg").count() == 1
    screenshot("queue-ticket-print")

    # 2. the clerk at window 203 calls it; the board shows it within 1 second
    clerk = clerk_context(browser, base, "CX-ZH-203").new_page()
    clerk.goto(f"{base}/queue/console/")
    assert "A001" in clerk.inner_text("#waiting")
    started = time.time()
    clerk.click("#call-next")
    expect(board.locator("#latest")).to_contain_text("A001", timeout=3_000)
    # the board page stamps Date.now() when a call appears: click → shown, without the console's
    # own page reload (an upper bound of commit → shown, as it includes the POST itself)
    latency = board.evaluate("window.lastShownAt") / 1000 - started
    print(f"\nboard latency (click → shown on board): {latency * 1000:.0f} ms")
    assert latency < 1.0
    assert board.inner_text("#latest").strip() == "请 A001 号到 203 号窗口办理"
    assert clerk.inner_text("#current-number").strip() == "A001"
    screenshot_page = page  # keep the fixture's page for the kiosk
    clerk.screenshot(path="test-artifacts/queue-console.png", full_page=True)
    clerk.click("button[value=start]")
    clerk.get_by_text("A001 开始办理。").wait_for()
    clerk.click("button[value=finish]")
    clerk.get_by_text("A001 已办结。").wait_for()
    assert Ticket.objects.get(number="A001").status == Ticket.DONE

    # 3. green channel: two earlier ordinary tickets, then an elderly person at the kiosk
    early = [services.issue_ticket("XN-CX", ["XN-RS-004"]) for _ in range(2)]
    project_clock.travel(minutes=5)
    screenshot_page.goto(f"{base}/queue/kiosk/XN-CX/")
    screenshot_page.check("input[name=priority][value=老年人]")
    screenshot_page.get_by_text("社会事务窗口（民政、残联、老龄、计生）（F）").click()
    screenshot_page.click("button[name=item][value=XN-MZ-003]")
    screenshot_page.wait_for_selector("#ticket-number")
    green_number = screenshot_page.inner_text("#ticket-number").strip()
    assert green_number.startswith("G")
    green = clerk_context(browser, base, "CX-GREEN").new_page()
    green.goto(f"{base}/queue/console/")
    rows = green.inner_text("#waiting")
    assert rows.index(green_number) < rows.index(early[0].number)  # shown first in the waiting list
    green.click("#call-next")
    assert green.inner_text("#current-number").strip() == green_number
    expect(board.locator("#latest")).to_contain_text(green_number, timeout=3_000)
    assert "101 号窗口" in board.inner_text("#latest")
    assert all(Ticket.objects.get(pk=t.pk).status == Ticket.WAITING for t in early)
    board.screenshot(path="test-artifacts/queue-board.png", full_page=True)
    board.close()
