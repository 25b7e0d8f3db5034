"""Real browser (Chromium): the staff bell and its notices, and the ticket pages saying that a
reminder was sent (masked phone)."""

import pytest
from playwright.sync_api import expect

from yimen.core import clock as project_clock
from yimen.outlets.models import Outlet, Window
from yimen.queueing import services
from yimen.staff.services import sign_in_window
from yimen.staff.testing import make_staff

PASSWORD = "test-Passw0rd!"


def sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/staff/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/staff/")


@pytest.mark.browser
def test_bell_counts_lists_and_marks_read(page, live_server, demo, clock, screenshot):
    from yimen.feedback import services as feedback_services
    from yimen.feedback.tests.conftest import make_ticket

    clock.freeze(project_clock.at(2022, 3, 24, 14, 30))
    make_staff("chief", outlet="XN-CX", username="bell_chief", name="赵科长")
    make_staff("chief", outlet="XN-CB", username="bell_other", name="周科长")
    clerk = make_staff("clerk", outlet="XN-CX", password=None)
    ticket = make_ticket("CX-ZY-RS-304", staff=clerk, items=("XN-RS-004",))
    feedback_services.submit_rating(
        ticket=ticket, score=1, reasons=["wait_long"], comment="排队太久", channel="window"
    )
    sign_in(page, live_server, "bell_chief")
    expect(page.locator("#bell-count")).to_have_text("1")
    assert "新差评 1" in page.locator("#bell").get_attribute("title")
    screenshot("outreach-bell")
    page.click("#bell")
    page.wait_for_url(f"{live_server.url}/outreach/notices/")
    expect(page.locator("#notices tbody tr.unread")).to_have_count(1)
    expect(page.locator("#notices")).to_contain_text("新差评")
    screenshot("outreach-notices")
    page.click("#notices button:has-text('标为已读')")
    page.wait_for_url(f"{live_server.url}/outreach/notices/")
    expect(page.locator("#notices tbody tr.unread")).to_have_count(0)
    expect(page.locator("#bell-count")).to_have_count(0)
    # another outlet's chief: nothing on the bell
    page.click("header.site button:has-text('退出')")
    sign_in(page, live_server, "bell_other")
    expect(page.locator("#bell")).to_be_visible()
    expect(page.locator("#bell-count")).to_have_count(0)


@pytest.mark.browser
def test_ticket_pages_say_a_reminder_was_sent(page, live_server, demo, clock, screenshot):
    clock.freeze(project_clock.at(2022, 3, 16, 10, 0))
    outlet = Outlet.objects.get(code="XN-CX")
    first = services.issue_ticket(outlet, ["XN-CG-001"], phone="13900001234")
    mine = services.issue_ticket(outlet, ["XN-CG-001"], phone="13900005678")
    staff = make_staff("clerk", outlet="XN-CX", password=None)
    window = Window.objects.get(code="CX-ZH-201")
    sign_in_window(staff, window)
    assert services.call_next(window, staff).pk == first.pk
    page.goto(f"{live_server.url}/queue/t/{mine.public_id}/")
    sent = page.locator("#sent-messages")
    expect(sent).to_contain_text("已发送提醒")
    expect(sent).to_contain_text("“快到您了”提醒")
    expect(sent).to_contain_text("139****5678")
    assert "13900005678" not in page.content()
    screenshot("outreach-ticket-sent")
    page.goto(f"{live_server.url}/portal/ticket/{first.public_id}/")
    expect(page.locator("#sent-messages")).to_contain_text("叫号通知")
    expect(page.locator("#sent-messages")).to_contain_text("139****1234")
    screenshot("outreach-portal-ticket-sent")
