"""The live hall (auto-refresh), the city overview and the reports in a real browser."""

import pytest
from playwright.sync_api import expect

from yimen.staff.testing import make_staff

from . import history
from .browser import login


@pytest.mark.browser
def test_hall_overview_and_reports_in_the_browser(page, live_server, demo, clock, screenshot):
    hist = history.seed()
    leader = make_staff("leader", region_code="630104")
    login(page, live_server, leader.user)

    # city overview → the outlet's live hall
    page.goto(f"{live_server.url}/insight/")
    assert "全市网点实时总览" in page.locator("h1").inner_text()
    page.wait_for_selector("#chart-overview canvas")
    screenshot("insight-overview")
    page.click("#overview-table >> text=城西区市民服务中心")
    page.wait_for_selector("#hall-windows")
    assert page.locator("#hall-waiting").inner_text() == "1"
    assert page.locator("#hall-served").inner_text() == "5"
    assert page.locator("#hall-sla").inner_text() == "83%"
    assert "暂停" in page.locator("#hall-windows tr[data-window='202'] .w-state").inner_text()
    assert "空闲" in page.locator("#hall-windows tr[data-window='201'] .w-state").inner_text()
    screenshot("insight-hall")

    # the panel refreshes itself (htmx every 15 s): a new ticket shows up without a reload
    from yimen.queueing import services as q

    q.issue_ticket(hist.outlet, ["XN-CG-001"], channel="kiosk")
    page.evaluate("htmx.trigger('#hall-panel', 'refresh')")  # the same request the 15 s poll makes
    # (not page.wait_for_function: it evals a string in the page, which the CSP forbids)
    expect(page.locator("#hall-waiting")).to_have_text("2", timeout=5000)

    # reports: one day by window, charts, Excel link
    page.goto(
        f"{live_server.url}/insight/reports/?period=day&date=2026-12-01&by=window&outlet=XN-CX"
    )
    page.wait_for_selector("#report-table")
    assert "按窗口" in page.locator("#report-title").inner_text()
    assert page.locator("#total-sla").inner_text() == "83%"
    for chart in ("#chart-series", "#chart-rows", "#chart-wait", "#chart-service", "#chart-scores"):
        page.wait_for_selector(f"{chart} canvas")
    screenshot("insight-reports")
    page.select_option("#by", "staff")
    page.click("#report-run")
    page.wait_for_selector("#report-table >> text=王窗口（窗口人员）")
    with page.expect_download() as download:
        page.click("#report-export")
    assert download.value.suggested_filename.endswith("-staff.xlsx")


@pytest.mark.browser
def test_staffing_page_in_the_browser(page, live_server, demo, clock, screenshot):
    history.seed()
    director = make_staff("director", outlet="XN-CX")
    login(page, live_server, director.user)
    page.goto(f"{live_server.url}/insight/staffing/")
    page.fill("#date", "2026-12-01")
    page.fill("#weeks", "1")
    page.click("#staffing-run")
    page.wait_for_selector(".staffing-group[data-group='CX-ZH']")
    zh = page.locator(".staffing-group[data-group='CX-ZH']")
    first = zh.locator("tbody tr").first.inner_text()
    assert first.startswith("09:00-09:30") and "12.0" in first
    page.wait_for_selector(".staffing-chart canvas")
    screenshot("insight-staffing")
    page.fill("#date", "2026-10-01")  # 国庆: closed
    page.click("#staffing-run")
    assert "不开放" in page.locator("#staffing-error").inner_text()
