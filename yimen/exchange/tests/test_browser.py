"""Real browser (Chromium): the administrators' exchange status page, and the 电子证照 lookup from
the intake page — both against the simulator, labelled as such."""

from datetime import date

import pytest
from playwright.sync_api import expect

from yimen.staff.testing import make_staff

PASSWORD = "test-Passw0rd!"


def sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/staff/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/staff/")


@pytest.mark.browser
def test_admin_sees_the_exchange_status(page, live_server, demo, clock, sim, screenshot, settings):
    from yimen.core import clock as project_clock
    from yimen.exchange import reconcile, services
    from yimen.exchange.models import HCP

    from .conftest import worker_once
    from .test_hotline import _post, grievance_order

    settings.YIMEN = {**settings.YIMEN, "EXCHANGE_SIMULATOR": True}  # as `make run` sets it
    clock.freeze(project_clock.at(2026, 3, 2, 10, 0))
    for i in range(3):
        services.record(
            HCP,
            "evaluation",
            f"B-{i}",
            {"type": "evaluation", "outlet_code": "XN-CX"},
            outlet_code="XN-CX",
            at=project_clock.now(),
        )
    from django.test import Client

    assert _post(Client(), grievance_order("12345-BROWSER-1")).status_code == 200
    worker_once()
    del sim.state.documents["hcp"]["B-1"]
    reconcile.reconcile_day(date(2026, 3, 2))
    admin = make_staff("admin", username="xchg_admin", name="管理员甲")
    make_staff("clerk", outlet="XN-CX", username="xchg_clerk")
    sign_in(page, live_server, "xchg_admin")
    page.goto(f"{live_server.url}/exchange/")
    expect(page.locator("h1")).to_have_text("政务数据交换状态")
    expect(page.locator("#simulator-banner")).to_contain_text("不是真实的政务服务平台")
    hcp = page.locator("#systems tr[data-system=hcp]")
    expect(hcp).to_contain_text("好差评系统")
    expect(hcp.locator("[data-simulator]")).to_contain_text("模拟器")
    expect(page.locator("#systems tr[data-system='12345']")).to_contain_text("12345 热线")
    row = page.locator("#reconciliations tr[data-outlet=XN-CX]")
    expect(row).to_contain_text("2026-03-02")
    expect(row.locator("td").nth(4)).to_have_text("1")  # missing
    expect(row.locator("td").nth(5)).to_have_text("1")  # re-pushed
    expect(page.locator("#work-orders")).to_contain_text("12345-BROWSER-1")
    screenshot("exchange-status")
    assert admin.role == "admin"
    page.click("header.site button:has-text('退出')")
    sign_in(page, live_server, "xchg_clerk")
    response = page.goto(f"{live_server.url}/exchange/")
    assert response.status == 403
    expect(page.locator("body")).to_contain_text("无权")


@pytest.mark.browser
def test_clerk_uses_an_electronic_licence_at_intake(
    page, live_server, demo, clock, sim, screenshot
):
    from yimen.cases.tests.conftest import PERSON_ID

    from .test_licences import _intake

    sim.state.seed_licence(
        licence_no="6301040000001",
        licence_type="居民身份证",
        holder="张三",
        holder_id=PERSON_ID,
        valid_until="2036-06-01",
    )
    clerk, case = _intake(clock)
    clerk.user.username = "xchg_intake"
    clerk.user.set_password(PASSWORD)
    clerk.user.save()
    sign_in(page, live_server, "xchg_intake")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.click("#licence-lookup")
    page.click("#lookup")
    expect(page.locator("#lookup-result")).to_contain_text("已调用电子证照，免交纸质材料")
    expect(page.locator("#uses")).to_contain_text("6301040000001")
    expect(page.locator("#uses")).to_contain_text("模拟器")
    screenshot("exchange-licence-intake")
