"""Issue 18 in a real browser (Chromium): the window intake filled by an ID-card read (simulated
bridge, the clerk's own token); booking books the outlet and day shown after the dropdowns change;
on a phone (390 × 844) in 长辈模式 — the outlets page (hours, phone, address, transport, live
queue), “什么时候去、去哪儿” for a bank item (predicted waits, an open bank branch suggested), a
差评 leaving a callback phone, and the ticket status page with citizen navigation only."""

import random
from datetime import date, timedelta

import pytest
from django.test import Client
from playwright.sync_api import expect

from conftest import ARTIFACTS
from yimen.core import clock as project_clock
from yimen.portal.tests.conftest import ELDER_ID, PERSON_ID, finished_ticket

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def login(page, base, staff):
    client = Client()
    client.force_login(staff.user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}]
    )


def test_window_intake_filled_by_the_id_card_reader(page, live_server, demo, clock):
    from yimen.cases.models import Case
    from yimen.hall import bridge
    from yimen.outlets.models import Window
    from yimen.queueing import services as q
    from yimen.staff.services import sign_in_window
    from yimen.staff.testing import make_staff
    from yimen.staff.tokens import issue_token

    clock.freeze(project_clock.at(2022, 3, 15, 10, 0))
    w = Window.objects.get(code="CX-ZH-201")
    clerk = make_staff("clerk", outlet=w.outlet, name="窗口李娜")
    sign_in_window(clerk, w)
    _token, raw = issue_token(staff=clerk)  # the window PC's bridge runs with the clerk's token
    ticket = q.issue_ticket(w.outlet, ["XN-WS-001"], channel="kiosk")
    login(page, live_server.url, clerk)
    page.goto(f"{live_server.url}/cases/intake/")
    page.get_by_role("button", name="叫号").click()
    expect(page.locator("#active-ticket")).to_contain_text(ticket.number)
    expect(page.locator("#idcard-box")).to_contain_text("放上身份证即自动填写申请人")
    assert page.locator("input[name=applicant_name]").input_value() == ""

    bridge.post_card(live_server.url, "XN-CX", raw, "张三", PERSON_ID)  # simulated reader
    expect(page.locator("input[name=applicant_name]")).to_have_value("张三", timeout=5_000)
    expect(page.locator("input[name=applicant_id_number]")).to_have_value(PERSON_ID)
    expect(page.locator("#idcard-box")).to_contain_text("已读取身份证：张三，已填入申请人")
    shot(page, "hall2-window-intake-idcard")
    page.select_option("select[name=item]", "XN-WS-001")
    page.fill("input[name=applicant_phone]", "13800138000")
    page.get_by_role("button", name="收件并核验材料").click()
    page.wait_for_selector("#checklist")
    case = Case.objects.get(ticket=ticket)
    assert case.applicant_name == "张三" and case.applicant_id_number == PERSON_ID


def test_booking_books_the_outlet_and_day_shown(page, live_server, demo, clock):
    from yimen.queueing.models import Appointment

    clock.freeze(project_clock.at(2022, 3, 15, 10, 0))
    page.goto(f"{live_server.url}/portal/item/XN-RS-004/book/")
    first_day = page.locator("#book-form input[name=day]").input_value()
    # change the day without pressing 查看可约时段: the page follows the dropdown by itself
    page.locator("#day").select_option("2022-03-17")
    page.wait_for_url("**day=2022-03-17**")
    assert first_day != "2022-03-17"
    expect(page.locator("#book-legend")).to_contain_text("2022年3月17日（星期四）")
    assert page.locator("#book-form input[name=day]").input_value() == "2022-03-17"
    labels = page.locator("#day option").all_inner_texts()
    assert all("星期" in t for t in labels)  # every day shows its weekday
    page.locator("input[name=slot]:not([disabled])").first.check()
    page.get_by_label("姓名").fill("马奶奶")
    page.get_by_label("身份证号码").fill(ELDER_ID)
    page.get_by_label("手机号码（用于提醒）").fill("13800138001")
    expect(page.locator("#book-submit")).to_contain_text("2022年3月17日（星期四）")
    page.locator("#book-submit").click()
    expect(page.locator("#appt-status")).to_have_text("已预约")
    appt = Appointment.objects.get()
    assert project_clock.local(appt.slot_start).date() == date(2022, 3, 17)


def _history(outlet, day, per_hour):
    from yimen.insight.history import record_day

    rng = random.Random(3)
    for k in range(1, 5):
        record_day(outlet, day - timedelta(days=7 * k), per_hour, rng)


def test_citizen_pages_on_a_phone_in_elderly_mode(browser, live_server, demo, clock):
    from django.core.cache import cache

    from yimen.feedback.models import Rating
    from yimen.outlets.models import Outlet
    from yimen.queueing import services as q

    clock.freeze(project_clock.at(2022, 3, 15, 10, 0))
    cache.clear()
    centre = Outlet.objects.get(code="XN-CX")
    for code in ("XN-NSH-01", "XN-NSH-02"):
        _history(Outlet.objects.get(code=code), date(2022, 3, 15), 6.0)
    for _ in range(2):
        q.issue_ticket("XN-NSH-01", ["XN-CG-002"], channel="kiosk")
    done = finished_ticket(centre)
    waiting = q.issue_ticket(centre, ["XN-CG-001"], channel="kiosk")

    context = browser.new_context(
        locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    page = context.new_page()
    base = live_server.url
    page.goto(f"{base}/portal/outlets/")
    page.locator("#mode-toggle").click()
    page.wait_for_selector("body.elderly")
    # the first screen is the citizen's: no staff navigation, the staff link is in the footer
    assert page.locator("header.site a").all_inner_texts() == ["一门 · 一网通办", "我办过的事"]
    footer_top = page.locator("#staff-link").bounding_box()["y"]
    assert footer_top > PHONE["height"]
    row = page.locator(".outlet-row[data-code='XN-CX']")
    expect(row).to_contain_text("0971-6100400")
    expect(row.locator(".transport")).to_contain_text("西关大街")
    expect(page.locator(".outlet-row[data-code='XN-NSH-01']")).to_contain_text("现在排队 2 人")
    sizes = page.evaluate(
        """() => ({badge: parseFloat(getComputedStyle(document.querySelector('.badge')).fontSize),
                  nav: parseFloat(getComputedStyle(document.querySelector('.portal-bar nav a')).fontSize),
                  body: parseFloat(getComputedStyle(document.body).fontSize)})"""
    )
    assert sizes["badge"] >= 20 and sizes["nav"] >= 24 and sizes["body"] >= 22, sizes
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1"
    )
    shot(page, "hall2-phone-outlets-elderly")

    page.goto(f"{base}/portal/item/XN-CG-002/")
    page.locator("#when-link").click()
    suggestion = page.locator("#bank-suggestion")
    expect(suggestion).to_contain_text("西宁农商银行古城台支行")  # open, nobody queueing
    expect(page.locator(".when-row[data-code='XN-NSH-01'] .when-summary")).to_contain_text("人最少")
    expect(page.locator("#when-day option").first).to_have_text("2022年3月15日 星期二")
    input_size = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('#when-day')).fontSize)"
    )
    assert input_size >= 26
    shot(page, "hall2-phone-when-bank")

    from yimen.feedback import services as feedback_services

    page.goto(f"{base}/portal/rate/{feedback_services.rating_token(ticket=done)}/")
    page.get_by_label("非常不满意").check()
    page.locator("input[name=reasons]").first.check()
    page.get_by_label("想说的话（选填）").fill("等了很久，窗口说不清楚要什么材料。")
    page.get_by_label("回访电话（选填）").fill("13900139000")
    shot(page, "hall2-phone-rate-callback")
    page.locator("#rate-submit").click()
    expect(page.locator("#rate-done")).to_contain_text("回访电话：139****9000")
    assert Rating.objects.get(ticket=done).callback_phone == "13900139000"

    page.goto(f"{base}/queue/t/{waiting.public_id}/")
    expect(page.locator("body")).to_have_class("elderly ")
    expect(page.locator("#mode-toggle")).to_have_text("退出长辈模式")
    assert "/insight/" not in page.locator("header.site").inner_html()
    shot(page, "hall2-phone-ticket-status-elderly")
    context.close()
