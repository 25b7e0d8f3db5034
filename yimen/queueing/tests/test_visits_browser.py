"""Real browser (Chromium), scenario S04: the guide desk and the kiosk each issue one ticket for
items of two queues (B1 帮办代办, 2F 综合); B1 finishes, the board sends the number on to its
next stop and the holder's page shows it waiting there, same number."""

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from yimen.core import clock as project_clock
from yimen.queueing.models import Ticket
from yimen.queueing.tests.test_browser import asgi_server, clerk_context  # noqa: F401 (fixture)
from yimen.staff.testing import make_staff

S04 = "我们公司刚拿到执照，要开对公账户，另外店里要办卫生许可证。"


@pytest.mark.browser
def test_s04_guide_desk_and_kiosk_one_ticket_two_queues(
    asgi_server,  # noqa: F811
    page,
    browser,
    clock,
    screenshot,
):
    clock.freeze(project_clock.at(2022, 3, 16, 12, 5))
    base = asgi_server
    board = browser.new_page(viewport={"width": 1600, "height": 900})
    board.goto(f"{base}/queue/board/XN-CX/")
    board.wait_for_selector("body[data-last-event]", state="attached", timeout=10_000)

    # 1. the guide desk: one sentence, the two matters, one ticket
    guide = make_staff("guide", outlet="XN-CX", name="马引导")
    client = Client()
    client.force_login(guide.user)
    desk = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    desk.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}]
    )
    dp = desk.new_page()
    dp.goto(f"{base}/guide/")
    dp.get_by_label("群众说的话").fill(S04)
    dp.get_by_role("button", name="智能导办").click()
    dp.locator(".result[data-code='XN-ZW-001']").wait_for()
    for box in dp.locator("input[name=codes]").all():
        box.uncheck()
    dp.locator("input[name=codes][value='XN-ZW-001']").check()
    dp.locator("input[name=codes][value='XN-WS-001']").check()
    dp.get_by_role("button", name="取号").click()
    expect(dp.locator("#ticket-number")).to_have_text("B001")
    stops = dp.locator("#ticket-stops")
    expect(stops).to_contain_text("一次到场，分 2 站办理")
    expect(stops).to_contain_text("下一站：综合一窗无差别受理窗口")
    assert "请分别取号" not in dp.content()
    dp.screenshot(path=str(_artifact("visit-guide-desk")), full_page=True)

    # 2. the kiosk: 办好几件事 → one ticket, the slip lists both stops
    page.goto(f"{base}/queue/kiosk/XN-CX/")
    page.locator("#several summary").click()
    page.locator("#several input[value='XN-ZW-001']").check()
    page.locator("#several input[value='XN-WS-001']").check()
    screenshot("visit-kiosk-several")
    page.locator("#kiosk-several").click()
    page.wait_for_selector("#ticket-number")
    assert page.inner_text("#ticket-number").strip() == "B002"
    expect(page.locator("#slip-stops")).to_contain_text("帮办代办")
    expect(page.locator("#slip-stops")).to_contain_text("综合一窗无差别受理窗口")
    screenshot("visit-kiosk-slip")
    assert Ticket.objects.filter(stops=2).count() == 2

    # 3. B1 serves B001 and finishes: the board shows it going on to the 2F queue
    clerk = clerk_context(browser, base, "CX-BANGBAN").new_page()
    clerk.goto(f"{base}/queue/console/")
    clerk.click("#call-next")
    expect(clerk.locator("#current-number")).to_have_text("B001")
    expect(clerk.locator("#current-stop")).to_contain_text("下一站：综合一窗无差别受理窗口")
    clerk.get_by_role("button", name="开始办理").click()
    clerk.get_by_role("button", name="办结").click()
    expect(board.locator("#onward")).to_contain_text("B001", timeout=5_000)
    expect(board.locator("#onward")).to_contain_text("下一站：综合一窗无差别受理窗口")
    board.screenshot(path=str(_artifact("visit-board-onward")))

    # 4. the holder's page: same number, waiting at 2F by its issue time, first stop done
    ticket = Ticket.objects.get(number="B001")
    holder = browser.new_page()
    holder.goto(f"{base}/queue/t/{ticket.public_id}/")
    expect(holder.locator("#ticket-state")).to_have_text("等候中")
    expect(holder.locator("#ticket-stops li[data-state='done']")).to_contain_text("帮办代办")
    expect(holder.locator("#ticket-stops li[data-state='current']")).to_contain_text("卫生许可")
    assert re.search(r"排在第\s*1\s*位", holder.inner_text("#status"))
    holder.screenshot(path=str(_artifact("visit-holder-status")), full_page=True)


def _artifact(name):
    from conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"
