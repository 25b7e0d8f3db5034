"""Real browser, the "Done when" of issue #21: a citizen signs in by SMS code, applies online for
公共场所卫生许可证 with uploads, receives one online 补正 notice, re-uploads, is accepted, and —
after the department's 承办 → 审核 → 批准 — downloads the electronic licence whose QR code
decodes to the public verification page; no visit is recorded (零跑动)."""

import io
import re
import subprocess

import pytest
from django.test import Client
from playwright.sync_api import expect

from yimen.cases import rules as case_rules
from yimen.core import clock as project_clock
from yimen.online.models import Application

from .conftest import ITEM, JPG, PDF, PERSON_ID, PHONE, PNG, code_for

pytestmark = pytest.mark.browser


def staff_login(context, live_server, staff):
    client = Client()
    client.force_login(staff.user)
    context.clear_cookies()
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def decode_qr(pdf_bytes: bytes, tmp_path) -> list[str]:
    """Render the PDF's first page at 200 dpi and decode every QR code on it (zxing-cpp)."""
    import zxingcpp
    from PIL import Image

    src = tmp_path / "licence.pdf"
    src.write_bytes(pdf_bytes)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "200", "-singlefile", str(src), str(tmp_path / "licence")],
        check=True,
    )
    image = Image.open(io.BytesIO((tmp_path / "licence.png").read_bytes()))
    return [r.text for r in zxingcpp.read_barcodes(image)]


def test_apply_online_correct_accept_download_licence(
    browser, live_server, demo, clock, settings, tmp_path
):
    from conftest import ARTIFACTS
    from yimen.staff.testing import make_staff

    ARTIFACTS.mkdir(exist_ok=True)
    settings.YIMEN_ONLINE_FILES_ROOT = tmp_path / "online-files"
    clock.freeze(project_clock.at(2022, 3, 15, 10, 0))
    files = {}
    for name, data in [("a.pdf", PDF), ("b.jpg", JPG), ("c.png", PNG), ("fixed.pdf", PDF + b"%2")]:
        files[name] = tmp_path / name
        files[name].write_bytes(data)

    citizen = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = citizen.new_page()

    def shot(name):
        page.screenshot(path=str(ARTIFACTS / f"online-{name}.png"), full_page=True)

    # 1. the item page offers 网上申报; it asks the citizen to sign in by SMS code
    page.goto(f"{live_server.url}/portal/item/{ITEM}/")
    page.locator("#apply-online").click()
    expect(page.locator("h1")).to_have_text("网上申报")
    page.locator("#online-id").fill(PERSON_ID)
    page.locator("#online-phone").fill(PHONE)
    page.locator("#online-send").click()
    expect(page.locator("#online-notice")).to_contain_text("验证码已发送")
    page.locator("#online-code").fill(code_for(PHONE))
    page.locator("#online-verify").click()

    # 2. the situation page, then the form and the uploads
    expect(page.locator("#online-apply h1")).to_contain_text("公共场所卫生许可证")
    page.locator("#online-start").click()
    page.locator("#f-name").fill("李四")
    page.locator("#f-id").fill(PERSON_ID)
    page.locator("#f-phone").fill(PHONE)
    page.locator("#f-address").fill("西宁市城西区胜利路 1 号")
    page.locator("#f-area").fill("120")
    page.locator("#f-business").fill("理发、美容")
    page.locator("#d-electronic").check()
    page.locator("#online-save").click()
    rows = page.locator("#online-materials tr.m-row")
    n = rows.count()
    assert n == 7
    order = ["a.pdf", "b.jpg", "c.png"]
    for i in range(n):
        row = page.locator(f"#online-materials tr.m-row[data-line='{i}']")
        row.locator("input[type=file]").set_input_files(str(files[order[i % 3]]))
        row.get_by_role("button", name="上传", exact=True).click()
        expect(page.locator(f"#online-materials tr.m-row[data-line='{i}'] a")).to_be_visible()
    shot("1-uploaded")
    page.locator("#online-submit").click()
    expect(page.locator("#online-status")).to_have_text("网上预审中", timeout=20_000)
    receipt = page.inner_text("#online-receipt")
    app = Application.objects.get(case__receipt_number=receipt)

    # 3. the department's pre-check: the viewer beside the checklist, one 补正 naming the fix
    office = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 1000})
    staff_page = office.new_page()
    first, second, boss = (
        make_staff("approver", department="XN-WS", name=n)
        for n in ("承办王芳", "审核赵强", "审批李明")
    )
    staff_login(office, live_server, first)
    staff_page.goto(f"{live_server.url}/online/office/")
    staff_page.get_by_role("link", name=receipt).click()
    expect(staff_page.locator("#office-viewer iframe")).to_be_visible()
    plan = staff_page.locator("#office-checklist tr[data-line='3']")
    plan.locator(".fix-box").check()
    plan.locator(".fix-why").fill("平面图未标注比例尺和卫生设施位置，请补充后重新上传")
    staff_page.screenshot(path=str(ARTIFACTS / "online-2-precheck.png"), full_page=True)
    staff_page.locator("#office-correct").click()
    expect(staff_page.locator("#office-status")).to_have_text("待补正", timeout=20_000)

    # 4. the citizen sees exactly what to fix, re-uploads it and submits again
    page.reload()
    expect(page.locator("#online-correction")).to_contain_text("未标注比例尺")
    shot("3-correction")
    fix_row = page.locator("#online-materials tr.m-row[data-line='3']")
    fix_row.locator("input[type=file]").set_input_files(str(files["fixed.pdf"]))
    fix_row.get_by_role("button", name="上传", exact=True).click()
    expect(page.locator("#online-correction")).to_contain_text("已重新上传")
    page.locator("#online-resubmit").click()
    expect(page.locator("#online-status")).to_have_text("网上预审中", timeout=20_000)

    # 5. accepted online with the window's time limits
    staff_page.reload()
    staff_page.locator("#office-accept").click()
    expect(staff_page.locator("#office-status")).to_have_text("已受理", timeout=20_000)
    case = Application.objects.get(pk=app.pk).case
    assert case.status == case_rules.ACCEPTED and case.due_date is not None

    # 6. 承办 → 审核 → 批准 on the case page (three people), then the electronic licence leaves
    for person in (first, second):
        staff_login(office, live_server, person)
        staff_page.goto(f"{live_server.url}/cases/{case.pk}/")
        staff_page.get_by_role("button", name="完成本环节").click()
    staff_login(office, live_server, boss)
    staff_page.goto(f"{live_server.url}/cases/{case.pk}/")
    staff_page.get_by_role("button", name="作出决定").click()
    staff_page.goto(f"{live_server.url}/online/office/{app.pk}/")
    staff_page.locator("#office-deliver-btn").click()
    expect(staff_page.get_by_role("status").first).to_contain_text("结果已送达", timeout=20_000)

    # 7. the citizen downloads the licence; its QR decodes to the verification page; 0 visits
    page.reload()
    expect(page.locator("#online-visits")).to_have_text("0")
    shot("4-result")
    with page.expect_download() as download:
        page.locator("#online-result").click()
    data = open(download.value.path(), "rb").read()
    assert data.startswith(b"%PDF")
    codes = decode_qr(data, tmp_path)
    assert len(codes) == 1 and re.fullmatch(rf"{live_server.url}/cases/verify/[\w-]+/", codes[0])
    page.goto(codes[0])
    expect(page.locator("#verify-result")).to_contain_text("核验通过")
    shot("5-verified")
    case.refresh_from_db()
    assert case.status == case_rules.CLOSED and case.result.delivery_method == "electronic"
    assert case.result.licence_number in page.inner_text("#verify-result")
    assert case.visits.count() == 0 and case.channel == "online"
    citizen.close()
    office.close()
