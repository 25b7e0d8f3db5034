"""“我的” in a real browser at phone size (390 × 844), in elderly mode: ID number + phone, the
SMS code (read from the outbox, as the phone would show it), then the person's records."""

import pytest
from playwright.sync_api import expect

from yimen.core import clock as project_clock
from yimen.notify.models import OutboxMessage
from yimen.outlets.models import Outlet
from yimen.portal.tests.conftest import PERSON_ID, accepted_case
from yimen.queueing import services as queue_services


@pytest.mark.browser
def test_mine_on_a_phone(browser, live_server, demo, clock):
    from conftest import ARTIFACTS

    clock.freeze(project_clock.at(2022, 3, 15, 10, 0))
    centre = Outlet.objects.get(code="XN-CX")
    case = accepted_case(centre)
    remote = queue_services.issue_remote_ticket(centre, ["XN-RS-004"], id_number=PERSON_ID)
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/portal/")
    page.get_by_role("button", name="长辈模式（大字）").click()
    page.wait_for_selector("body.elderly")
    page.locator("#nav-mine").click()
    expect(page.locator("h1")).to_have_text("我办过的事")
    page.get_by_label("身份证号码").fill(PERSON_ID)
    page.get_by_label("手机号码").fill("13800138000")
    page.locator("#mine-send").click()
    expect(page.locator("#mine-notice")).to_contain_text("验证码已发到这个手机")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "portal-phone-mine-code.png"), full_page=True)
    code = OutboxMessage.objects.get(template="portal.mine_code").params["code"]
    page.get_by_label("短信验证码（6 位数字）").fill("000000" if code != "000000" else "111111")
    page.locator("#mine-verify").click()
    expect(page.get_by_role("alert")).to_contain_text("验证码不正确，还可以再试 4 次")
    page.get_by_label("短信验证码（6 位数字）").fill(code)
    page.locator("#mine-verify").click()
    expect(page.locator("#mine-cases")).to_contain_text(case.receipt_number)
    expect(page.locator("#mine-tickets")).to_contain_text(remote.number)
    # no sideways scrolling on the phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "portal-phone-mine.png"), full_page=True)
    page.locator("#mine-tickets a").first.click()
    expect(page.locator("#ticket-number")).to_have_text(remote.number)
    context.close()
