"""Real browser: the outlet list and one outlet page (this week's hours, holiday, windows)."""

import pytest


@pytest.mark.browser
def test_outlet_page_in_a_real_browser(page, live_server, demo, screenshot, clock):
    clock.freeze(clock.at(2022, 4, 4, 9, 0))  # 清明 holiday Monday: closed, next opening Wed 09:00
    page.goto(live_server.url + "/outlets/")
    assert page.locator("#outlets tbody tr").count() >= 20
    page.get_by_role("link", name="城西区市民服务中心").click()
    page.wait_for_url("**/outlets/XN-CX/")
    status = page.text_content("#status")
    assert "已休息" in status and "下次开放 4月6日" in status
    hours = page.locator("#hours table tbody tr")
    assert hours.count() == 7
    assert "清明节放假" in hours.nth(0).text_content()
    assert page.locator("#windows .win").count() >= 10
    screenshot("outlet-holiday-week")
    page.get_by_role("link", name="← 上一周").click()
    page.wait_for_url("**week=2022-03-28")
    saturday = page.locator("#hours table tbody tr").nth(5).text_content()
    assert "09:00-16:40" in saturday and "调休上班" in saturday
    screenshot("outlet-makeup-week")
