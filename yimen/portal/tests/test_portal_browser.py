"""Every portal path in a real browser (Chromium), in normal and in elderly mode.

Elderly mode is switched on with the page's own button (and must persist across pages); the
search path also runs keyboard-only and at 200 % zoom (a 640 px wide CSS viewport, the layout a
1280 px window shows at 200 %) without horizontal scrolling."""

import pytest

from conftest import ARTIFACTS  # noqa: F401  (test-artifacts directory)
from yimen.core import clock as project_clock
from yimen.portal.tests.conftest import ELDER_ID, PERSON_ID, accepted_case, finished_ticket

MODES = ["normal", "elderly"]


def scan_hall_code(page, base, outlet_code="XN-CX"):
    """The phone scans the presence QR on the hall's board (hall/presence.py)."""
    from yimen.hall import presence
    from yimen.outlets.models import Outlet

    outlet = Outlet.objects.get(code=outlet_code)
    page.goto(
        f"{base}/hall/here/{outlet_code}/{presence.code_for(outlet.pk, project_clock.now())}/"
    )
    assert "已确认您在" in page.locator("#here-ok").inner_text()


@pytest.fixture
def portal(page, live_server, demo, clock):
    """Open /portal/ in the requested mode; returns a goto(path) helper."""
    clock.freeze(project_clock.at(2022, 3, 15, 10, 0))

    def start(mode):
        page.goto(live_server.url + "/portal/")
        if mode == "elderly":
            page.get_by_role("button", name="长辈模式（大字）").click()
            page.wait_for_selector("body.elderly")
            assert page.locator("#mode-toggle").inner_text() == "退出长辈模式"
        else:
            assert "elderly" not in (page.locator("body").get_attribute("class") or "")

        def goto(path):
            page.goto(live_server.url + path)
            # the mode persists on every page
            assert ("elderly" in (page.locator("body").get_attribute("class") or "")) == (
                mode == "elderly"
            )

        return goto

    return start


CONTRAST_JS = """
(selectors) => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => { const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
                                return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const bg = el => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor);
                     if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3); } return [255, 255, 255]; };
  const out = {};
  for (const sel of selectors) {
    let worst = 99;
    for (const el of document.querySelectorAll(sel)) {
      const a = lum(rgb(getComputedStyle(el).color).slice(0, 3)), b = lum(bg(el));
      worst = Math.min(worst, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05));
    }
    out[sel] = worst;
  }
  return out;
}
"""


def contrast(page, selectors):
    """Worst WCAG contrast ratio of the text of each selector's elements against its background."""
    return page.evaluate(CONTRAST_JS, selectors)


def no_horizontal_scroll(page):
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1"
    )


@pytest.mark.browser
@pytest.mark.parametrize("mode", MODES)
def test_search_guide_and_where_to_go(page, portal, screenshot, mode):
    goto = portal(mode)
    screenshot(f"portal-{mode}-home")
    ratios = contrast(
        page,
        [
            "main p",
            "main h1",
            "main label",
            "header.site a",
            ".portal-bar a",
            "button",
            "a.card h2",
        ],
    )
    assert all(r >= 4.5 for r in ratios.values()), ratios  # WCAG AA for normal text
    # keyboard only: type in the search box, Enter, then Tab to the first result and Enter
    page.get_by_label("您要办什么事", exact=False).focus()
    page.keyboard.type("给刚出生的娃上医保")
    page.keyboard.press("Enter")
    page.wait_for_url("**/portal/search/**")
    first = page.locator(".result").first
    assert first.get_attribute("data-code") == "XN-YB-002"
    first.locator("h3 a").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/portal/item/XN-YB-002/")
    guide = page.locator("#item-guide").inner_text()
    assert "户口簿" in guide and "监护人居民身份证" in guide
    assert page.locator(".outlet-row .badge.ok").count() >= 1  # open outlets listed first
    screenshot(f"portal-{mode}-guide")
    # where to go: the outlets page, open ones first
    page.get_by_role("link", name="去哪儿办" if mode == "elderly" else "网点与开放时间").click()
    rows = page.locator(".outlet-row")
    assert rows.count() >= 20 and "开放中" in rows.first.inner_text()
    # 200 % zoom: the same pages reflow into a 640 px wide viewport without sideways scrolling
    page.set_viewport_size({"width": 640, "height": 450})
    for path in ("/portal/", "/portal/search/?q=社保卡丢了", "/portal/item/XN-RS-004/"):
        goto(path)
        assert no_horizontal_scroll(page), path
    screenshot(f"portal-{mode}-zoom200-guide")


@pytest.mark.browser
@pytest.mark.parametrize("mode", MODES)
def test_book_cancel_and_check_in(page, portal, screenshot, mode, live_server):
    goto = portal(mode)
    goto("/portal/item/XN-RS-004/")
    page.get_by_role("link", name="预约时间" if mode == "elderly" else "预约办理").click()
    page.get_by_label("日期（工作日）").select_option("2022-03-16")
    page.locator("#pick-form button").click()
    page.locator("input[name=slot]").first.check()
    page.get_by_label("姓名").fill("马奶奶")
    page.get_by_label("身份证号码").fill(ELDER_ID)
    page.get_by_label("手机号码（用于提醒）").fill("13800138001")
    screenshot(f"portal-{mode}-book")
    page.locator("#book-submit").click()
    assert page.locator("#appt-status").inner_text() == "已预约"
    assert "3月16日 09:00" in page.locator("#appointment").inner_text()
    page.get_by_label("取消预约：请输入预约人的身份证号码").fill(ELDER_ID)
    page.locator("#cancel").click()
    assert page.locator("#appt-status").inner_text() == "已取消"
    # a slot later today, then check in on arrival → a ticket
    goto("/portal/item/XN-RS-004/book/?outlet=XN-CX&day=2022-03-15")
    page.locator("input[name=slot]").first.check()
    assert "10:30" in page.locator(".slot").first.inner_text()
    page.get_by_label("姓名").fill("马奶奶")
    page.get_by_label("身份证号码").fill(ELDER_ID)
    page.get_by_label("手机号码（用于提醒）").fill("13800138001")
    page.locator("#book-submit").click()
    appointment_url = page.url
    page.locator("#check-in").click()  # from home: refused
    assert "请到网点现场签到" in page.get_by_role("alert").first.inner_text()
    scan_hall_code(page, live_server.url)
    page.goto(appointment_url)
    page.locator("#check-in").click()
    page.wait_for_url("**/portal/ticket/**")
    assert page.locator("#ticket-number").inner_text().startswith(("D", "G"))
    screenshot(f"portal-{mode}-checked-in")


@pytest.mark.browser
@pytest.mark.parametrize("mode", MODES)
def test_remote_ticket(page, portal, screenshot, mode, live_server):
    goto = portal(mode)
    goto("/portal/item/XN-RS-004/remote/")
    page.get_by_label("身份证号码").fill(PERSON_ID)
    page.locator("#remote-submit").click()
    page.wait_for_url("**/portal/ticket/**")
    assert "11:00" in page.locator("#check-in-by").inner_text()
    screenshot(f"portal-{mode}-remote")
    ticket_url = page.url
    page.locator("#remote-check-in").click()  # "我已到达网点，签到" from home: refused
    assert "请到网点现场签到" in page.get_by_role("alert").first.inner_text()
    screenshot(f"portal-{mode}-remote-refused")
    scan_hall_code(page, live_server.url)
    page.goto(ticket_url)
    page.locator("#remote-check-in").click()
    assert page.locator("#checked-in").is_visible()


@pytest.mark.browser
@pytest.mark.parametrize("mode", MODES)
def test_track_a_case(page, portal, screenshot, mode):
    from yimen.outlets.models import Outlet

    case = accepted_case(Outlet.objects.get(code="XN-CX"))
    goto = portal(mode)
    goto("/portal/progress/")
    page.get_by_label("受理编号").fill(case.receipt_number)
    page.get_by_label("查询码").fill(PERSON_ID[-4:])
    page.get_by_role("button", name="查询").click()
    result = page.locator("#progress-result").inner_text()
    assert "公共场所卫生许可证" in result and "2022-03-18" in result
    screenshot(f"portal-{mode}-progress")


@pytest.mark.browser
@pytest.mark.parametrize("mode", MODES)
def test_rate_a_service(page, portal, screenshot, mode):
    from yimen.outlets.models import Outlet

    t = finished_ticket(Outlet.objects.get(code="XN-CX"))
    goto = portal(mode)
    goto("/portal/rate/")
    page.get_by_label("排队凭条编号").fill(t.public_id)
    page.locator("#rate-slip button").click()
    page.get_by_label("非常满意").check()
    screenshot(f"portal-{mode}-rate")
    page.locator("#rate-submit").click()
    assert "谢谢您的评价" in page.locator("#rate-done").inner_text()


@pytest.mark.browser
@pytest.mark.parametrize("mode", MODES)
def test_grievance(page, portal, screenshot, mode):
    goto = portal(mode)
    goto("/portal/grievance/")
    page.get_by_label("在哪个网点").select_option("XN-CX")
    page.get_by_label("不给办").check()
    page.get_by_label("办的什么事").select_option("XN-SJ-006")
    page.get_by_label("发生了什么").fill("我材料就差一个健康证，窗口说不给办。")
    page.get_by_label("联系电话").fill("13900139000")
    screenshot(f"portal-{mode}-grievance")
    page.locator("#grievance-submit").click()
    assert page.locator("#grievance-number").inner_text()
    screenshot(f"portal-{mode}-grievance-done")
    page.get_by_role("link", name="查看处理进度").click()
    assert "/feedback/g/" in page.url


@pytest.mark.browser
def test_bundle_from_plain_words_and_tailored_guide(portal, page, screenshot):
    """孩子刚出生要办哪些事 → 新生儿出生一件事 → one merged list; an item guide tailored by answers."""
    from playwright.sync_api import expect

    goto = portal("normal")
    goto("/portal/search/?q=孩子刚出生要办哪些事")
    page.locator('[data-bundle="YJS-XSECS"] a').click()
    expect(page.locator("#bundle-materials li")).to_have_count(4)
    expect(page.locator("#bundle-items")).to_contain_text("新生儿医保")
    screenshot("portal-bundle")
    goto("/portal/item/XN-YB-002/")
    page.get_by_label("已落户").check()
    page.get_by_role("button", name="按我的情况列材料").click()
    expect(page.locator("#situation")).to_contain_text("已落户")
    expect(page.locator("ol.materials li")).to_have_count(2)
    expect(page.locator("#full-guide")).to_contain_text("12345")
    screenshot("portal-item-tailored")
