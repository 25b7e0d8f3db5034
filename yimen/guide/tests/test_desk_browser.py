"""The guide desk in a real browser: S01 at the door, two clicks to a green-channel ticket."""

import pytest

from conftest import ARTIFACTS
from yimen.core import clock as project_clock
from yimen.staff.testing import make_staff

S01 = "手机上认证我们弄不来，补贴和养老金的认证都要做。"


def login(page, live_server, client, staff):
    client.force_login(staff.user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


@pytest.mark.browser
def test_s01_at_the_guide_desk(page, live_server, demo, clock, client, screenshot):
    clock.freeze(project_clock.at(2022, 3, 15, 10, 0))
    guide = make_staff("guide", outlet="XN-CX", name="马引导")
    login(page, live_server, client, guide)
    page.goto(live_server.url + "/guide/")
    page.get_by_label("群众说的话").fill(S01)
    page.get_by_role("button", name="智能导办").click()  # click 1
    page.locator(".result[data-code='XN-MZ-003']").wait_for()
    assert page.locator("input[value='XN-MZ-003']").is_checked()
    assert page.locator("input[value='XN-RS-002']").is_checked()
    page.get_by_label("老年人（走绿色通道）").check()
    screenshot("guide-desk-s01-triage")
    page.get_by_role("button", name="取号").click()  # click 2
    number = page.locator("#ticket-number").inner_text()
    assert number.startswith("G")
    assert "绿色通道" in page.locator("#ticket-queue").inner_text()
    assert "老年人" in page.locator("#ticket-priority").inner_text()
    screenshot("guide-desk-s01-ticket")
    with page.expect_popup() as popup:
        page.get_by_role("link", name="打印材料清单").click()
    sheet = popup.value
    sheet.wait_for_load_state()
    text = sheet.locator("#print-sheet").inner_text()
    assert "高龄补贴领取资格认证" in text and "养老保险待遇领取资格认证" in text and number in text
    sheet.screenshot(path=str(ARTIFACTS / "guide-desk-print.png"), full_page=True)
