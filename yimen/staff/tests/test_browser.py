"""Real-browser tests (Chromium): staff login, window sign-in, pause (午餐接力) and hand-over, rota."""

import pytest

from conftest import ARTIFACTS
from yimen.staff import selectors
from yimen.staff.models import Staff
from yimen.staff.testing import make_staff

PASSWORD = "test-Passw0rd!"


def sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/staff/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


@pytest.mark.browser
def test_staff_login_and_lockout_message(page, live_server, demo, screenshot):
    make_staff("clerk", outlet="XN-CX", username="browser_clerk", name="王晓梅")
    page.goto(f"{live_server.url}/staff/login/")
    assert page.locator("#totp-off-notice").is_visible()  # the demo says plainly that TOTP is off
    page.fill("#id_username", "browser_clerk")
    page.fill("#id_password", "wrong-password")
    page.click("button[type=submit]")
    assert "用户名或密码错误" in page.locator("#login-error").inner_text()
    screenshot("staff-login-error")
    sign_in(page, live_server, "browser_clerk")
    page.wait_for_url(f"{live_server.url}/staff/")
    assert "王晓梅" in page.locator("#whoami").inner_text()
    assert "窗口人员" in page.locator("#whoami").inner_text()
    screenshot("staff-workbench")
    page.click("header.site button:has-text('退出')")
    page.wait_for_url(f"{live_server.url}/staff/login/")


@pytest.mark.browser
def test_window_sign_in_pause_and_hand_over(
    page, live_server, demo, screenshot, browser, browser_context_args
):
    me = make_staff("clerk", outlet="XN-CX", username="relay_a", name="李建国", shift_group="A")
    colleague = make_staff(
        "clerk", outlet="XN-CX", username="relay_b", name="赵海燕", shift_group="B"
    )
    sign_in(page, live_server, "relay_a")
    page.wait_for_url(f"{live_server.url}/staff/")
    page.click("a:has-text('签到 / 暂停 / 交接')")
    page.click("button:has-text('签到203号窗口')")
    assert "服务中" in page.locator("#window-state").inner_text()
    assert "李建国" in page.locator("tr[data-window='CX-ZH-203']").inner_text()
    page.select_option("#id_reason", "午餐接力")
    page.click("#pause-form button[type=submit]")
    assert "暂停 · 午餐接力" in page.locator("#window-state").inner_text()
    screenshot("staff-window-paused")
    window = Staff.objects.get(pk=me.pk).window_sessions.first().window
    assert selectors.window_state(window) == "paused"
    page.select_option("#id_to", str(colleague.pk))
    page.click("#handover-form button[type=submit]")
    assert "已向赵海燕发出交接" in page.locator(".messages").inner_text()
    assert "等待其确认" in page.locator("#offer-made").inner_text()
    assert (
        "李建国" in page.locator("tr[data-window='CX-ZH-203']").inner_text()
    )  # still mine until confirmed
    screenshot("staff-window-offer-made")
    assert selectors.current_session(window).staff_id == me.pk

    # the colleague, on their own window page (another browser), sees the offer and confirms it
    other = browser.new_context(**browser_context_args)
    colleague_page = other.new_page()
    sign_in(colleague_page, live_server, "relay_b")
    colleague_page.wait_for_url(f"{live_server.url}/staff/")
    colleague_page.goto(f"{live_server.url}/staff/window/")
    card = colleague_page.locator("[data-offer]")
    assert "李建国请您接岗 203号窗口（午餐接力）" in card.inner_text()
    colleague_page.screenshot(
        path=str(ARTIFACTS / "staff-window-offer-received.png"), full_page=True
    )
    colleague_page.click("button.accept-offer")
    assert "已接岗 203 号窗口" in colleague_page.locator(".messages").inner_text()
    assert "服务中" in colleague_page.locator("#window-state").inner_text()
    assert "赵海燕" in colleague_page.locator("tr[data-window='CX-ZH-203']").inner_text()
    colleague_page.screenshot(path=str(ARTIFACTS / "staff-window-handed-over.png"), full_page=True)
    other.close()
    session = selectors.current_session(window)
    assert session.staff_id == colleague.pk and session.state == "serving"
    page.reload()
    assert page.locator("#session-card").count() == 0  # the offering clerk is signed out of it
    assert "赵海燕" in page.locator("tr[data-window='CX-ZH-203']").inner_text()


@pytest.mark.browser
def test_rota_page_prints_the_week(page, live_server, demo, screenshot):
    make_staff("chief", outlet="XN-CX", username="rota_chief")
    sign_in(page, live_server, "rota_chief")
    page.wait_for_url(f"{live_server.url}/staff/")
    page.goto(f"{live_server.url}/staff/rota/XN-CX/?week=2026-W49")
    assert "0 处缺岗" in page.locator("#coverage").inner_text()
    screenshot("staff-rota-week49")
    page.click("a:has-text('下一周')")
    assert "2026-W50" in page.title() or "2026-W50" in page.content()


@pytest.mark.browser
def test_director_enrols_totp_and_signs_in(page, live_server, demo, settings, clock, screenshot):
    import pyotp

    from yimen.staff.models import TotpDevice

    settings.YIMEN = {**settings.YIMEN, "REQUIRE_TOTP": True}
    director = make_staff("director", outlet="XN-CX", username="totp_director", name="韩建国")
    page.goto(f"{live_server.url}/staff/login/")
    assert page.locator("#totp-off-notice").count() == 0  # production setting: no demo notice
    sign_in(page, live_server, "totp_director")
    page.wait_for_url(f"{live_server.url}/staff/login/totp/")
    assert page.locator("svg").first.is_visible()
    screenshot("staff-totp-enrol")
    secret = TotpDevice.objects.get(staff=director).secret
    page.fill("#id_code", pyotp.TOTP(secret).at(clock.now()))
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/staff/")
    assert "中心主任" in page.locator("#whoami").inner_text()
    assert "已启用" in page.locator("#whoami").inner_text()


@pytest.mark.browser
def test_totp_self_enrolment_page(page, live_server, demo, screenshot):
    """/staff/totp/: scan the QR code (or type the secret), a wrong code is refused in Chinese,
    the right one enables the second factor; the next login asks for it."""
    import pyotp

    from yimen.staff.models import TotpDevice

    staff = make_staff("clerk", outlet="XN-CX", username="totp_clerk", name="孙丽")
    sign_in(page, live_server, "totp_clerk")
    page.wait_for_url(f"{live_server.url}/staff/")
    page.goto(f"{live_server.url}/staff/totp/")
    assert page.locator("[aria-label='动态口令二维码'] svg").count() == 1
    secret = page.locator("code").inner_text().strip()
    screenshot("staff-totp-enrol")
    page.fill("#id_code", "000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    page.click("form:has(#id_code) button[type=submit]")
    assert "动态口令不正确" in page.locator(".messages").inner_text()
    assert not TotpDevice.objects.get(staff=staff).confirmed
    page.fill("#id_code", pyotp.TOTP(secret).now())
    page.click("form:has(#id_code) button[type=submit]")
    page.wait_for_url(f"{live_server.url}/staff/")
    assert "动态口令已启用" in page.locator(".messages").inner_text()
    assert TotpDevice.objects.get(staff=staff).confirmed
    page.goto(f"{live_server.url}/staff/totp/")
    assert "已启用" in page.locator(".badge.ok").inner_text()
    screenshot("staff-totp-enabled")
    # the next login asks for the code
    page.click("header.site button:has-text('退出')")
    page.wait_for_url(f"{live_server.url}/staff/login/")
    sign_in(page, live_server, "totp_clerk")
    page.wait_for_url(f"{live_server.url}/staff/login/totp/")
    import time

    # the next 30-second step: the one used to enable it may not be replayed
    page.fill("input[name=code]", pyotp.TOTP(secret).at(time.time() + 30))
    page.click("form:has(input[name=code]) button[type=submit]")
    page.wait_for_url(f"{live_server.url}/staff/")
    assert "孙丽" in page.locator("#whoami").inner_text()


@pytest.mark.browser
def test_admin_takes_a_clerk_off_duty_in_the_staff_form(page, live_server, demo, screenshot):
    from yimen.outlets.models import Window
    from yimen.staff import services
    from yimen.staff.tokens import authenticate_token, issue_token

    admin = make_staff("admin", username="browser_admin", name="管理员甲")
    admin.user.is_staff = admin.user.is_superuser = True
    admin.user.save()
    clerk = make_staff("clerk", outlet="XN-CX", name="赵窗口")
    services.sign_in_window(clerk, Window.objects.get(code="CX-ZH-201"))
    _token, raw = issue_token(staff=clerk)
    sign_in(page, live_server, "browser_admin")
    page.wait_for_url(f"{live_server.url}/staff/")
    page.goto(f"{live_server.url}/admin/staff/staff/{clerk.pk}/change/")
    assert page.locator("#id_active").is_checked()
    assert page.locator("a.deletelink").count() == 0  # 停用而非删除
    page.uncheck("#id_active")
    screenshot("staff-admin-off-duty")
    page.click("input[name=_save]")
    page.wait_for_url(f"{live_server.url}/admin/staff/staff/")
    assert "赵窗口" in page.locator(".messagelist").inner_text()
    assert Staff.objects.get(pk=clerk.pk).active is False
    assert selectors.session_of(clerk) is None and authenticate_token(raw) is None
