"""Real browser: the applicant clicks “使用电子证照” for 经营者居民身份证 (the exchange's SIMULATOR
holds the card), the line shows 已调用电子证照 with no upload; the back office sees it beside the
uploaded files."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from playwright.sync_api import expect

from yimen.core import clock as project_clock
from yimen.exchange.tests.conftest import sim  # noqa: F401  (fixture)

from .conftest import PDF, sign_in
from .test_licence_exchange import ID_LINE, _seed, _start_sj
from .test_online_browser import staff_login

pytestmark = pytest.mark.browser


def test_licence_instead_of_upload_in_the_browser(
    browser, live_server, demo, clock, settings, tmp_path, sim
):
    from conftest import ARTIFACTS
    from yimen.staff.testing import make_staff

    ARTIFACTS.mkdir(exist_ok=True)
    settings.YIMEN_ONLINE_FILES_ROOT = tmp_path / "online-files"
    clock.freeze(project_clock.at(2022, 3, 15, 10, 0))
    _seed(sim)
    client = sign_in(Client())
    app, url, line = _start_sj(client)
    for i, _entry in enumerate(app.checklist):
        if i != line:
            f = SimpleUploadedFile(f"m{i}.pdf", PDF)
            assert client.post(url, {"action": "upload", "line": i, "file": f}).status_code == 302

    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    page.goto(f"{live_server.url}{url}")
    row = page.locator(f'tr.m-row[data-line="{line}"]')
    expect(row).to_contain_text(ID_LINE)
    row.get_by_role("button", name="使用电子证照").click()
    row = page.locator(f'tr.m-row[data-line="{line}"]')
    expect(row.locator(".licence-used")).to_have_text("已调用电子证照")
    expect(row).to_contain_text("6301040000009")
    expect(row).to_contain_text("模拟器")
    page.screenshot(path=str(ARTIFACTS / "online-licence-applicant.png"), full_page=True)
    page.locator("#online-submit").click()
    expect(page.locator("body")).to_contain_text("网上预审")

    staff = make_staff("approver", department=app.item.department)
    staff_login(context, live_server, staff)
    page.goto(f"{live_server.url}/online/office/{app.pk}/")
    expect(page.locator(".licence-used")).to_have_text("已调用电子证照")
    expect(page.locator("body")).to_contain_text("来源 http://127.0.0.1")
    expect(page.locator(".view-file").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "online-licence-office.png"), full_page=True)
    context.close()
