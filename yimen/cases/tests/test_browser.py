"""Real browser: a clerk calls a ticket, opens a case with one missing material and prints the
one-time notice; the applicant returns, the case is accepted; an approver decides; the result PDF
verifies through its QR link."""

import re
import subprocess

import pytest
from django.test import Client

from yimen.cases import rules
from yimen.cases.models import Case

from .conftest import PERSON_ID, approver, clerk_at

pytestmark = pytest.mark.browser


def login(page, live_server, staff):
    client = Client()
    client.force_login(staff.user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def pdf_text(data: bytes, tmp_path, name) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    return "".join(
        subprocess.run(
            ["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )


def test_clerk_notice_return_accept_decide_verify(
    demo, clock, live_server, page, screenshot, tmp_path
):
    from yimen.queueing import services as q

    clock.freeze(clock.at(2022, 3, 25, 9, 30))
    clerk, w = clerk_at("CX-ZH-201", name="窗口王芳")
    ticket = q.issue_ticket(w.outlet, ["XN-WS-001"], channel="kiosk")
    login(page, live_server, clerk)

    # 1. call the ticket and open the case
    page.goto(f"{live_server.url}/cases/intake/")
    page.get_by_role("button", name="叫号").click()
    page.wait_for_selector("#active-ticket")
    assert ticket.number in page.inner_text("#active-ticket")
    page.select_option("select[name=item]", "XN-WS-001")
    page.fill("input[name=applicant_name]", "赵美丽")
    page.fill("input[name=applicant_id_number]", PERSON_ID)
    page.fill("input[name=applicant_phone]", "13800138000")
    screenshot("cases-1-intake")
    page.get_by_role("button", name="收件并核验材料").click()
    page.wait_for_selector("#checklist")
    case = Case.objects.get(ticket=ticket)

    # 2. checklist: one material missing → one-time notice
    for m in case.materials.all():
        value = (
            "missing"
            if "卫生设施平面布局图" in m.name
            else ("electronic" if m.kind == "电子" else "paper")
        )
        page.check(f"input[name=m{m.pk}][value={value}]")
    page.get_by_role("button", name="保存核验").click()
    assert "缺少不可容缺材料" in page.inner_text("#assessment")
    page.get_by_role("button", name="出具一次性告知书").click()
    page.wait_for_selector("#notices")
    assert "一次性告知待补齐" in page.inner_text("#case-status")
    screenshot("cases-2-one-time-notice")
    href = page.get_attribute("#notices a", "href")
    response = page.request.get(f"{live_server.url}{href}")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.body(), tmp_path, "notice")
    assert "一次性告知书" in text and "公共场所地址方位示意图、平面图和卫生设施平面布局图" in text
    assert "公共场所卫生管理制度" not in text  # only what is missing

    # 3. the clerk closes the ticket; the applicant comes back three days later with the missing plan
    page.goto(f"{live_server.url}/cases/intake/")
    page.get_by_role("button", name="本号办结，准备叫下一位").click()
    page.wait_for_selector("text=已办结")
    ticket.refresh_from_db()
    assert ticket.status == "done" and list(
        ticket.handled_items.values_list("code", flat=True)
    ) == ["XN-WS-001"]
    clock.freeze(clock.at(2022, 3, 28, 9, 5))
    ticket2 = q.issue_ticket(w.outlet, ["XN-WS-001"], channel="kiosk")
    page.goto(f"{live_server.url}/cases/intake/")
    page.get_by_role("button", name="叫号").click()
    page.wait_for_selector("#active-ticket")
    page.fill("#continue-case input[name=receipt_number]", case.receipt_number)
    page.get_by_role("button", name="继续办理").click()
    page.wait_for_selector("#checklist")
    plan = case.materials.get(name__contains="卫生设施平面布局图")
    page.check(f"input[name=m{plan.pk}][value=paper]")
    page.get_by_role("button", name="保存核验").click()
    assert "材料齐全" in page.inner_text("#assessment")
    page.get_by_role("button", name="受理", exact=True).click()
    page.wait_for_selector("#back-office")
    assert "已受理" in page.inner_text("#case-status")
    assert page.inner_text("#due-date") == "2022-03-31"
    assert page.inner_text("#trips") == "2"
    screenshot("cases-3-accepted")
    case.refresh_from_db()
    assert case.ticket_id == ticket2.pk and case.status == rules.ACCEPTED

    # 4. three approvers of 卫健局 work through 承办 → 审核 → 批准 (one person, one step) and the
    #    last one issues the licence
    first, second, boss = (approver("XN-WS", name=n) for n in ("承办王芳", "审核赵强", "审批李明"))
    login(page, live_server, first)
    clock.freeze(clock.at(2022, 3, 29, 10, 0))
    page.goto(f"{live_server.url}/cases/approvals/")
    assert case.receipt_number in page.inner_text("#approval-queue")
    screenshot("cases-4-approvals")
    page.get_by_role("link", name=case.receipt_number).click()
    page.get_by_role("button", name="完成本环节").click()
    assert "须由不同人员办理" in page.inner_text("#separation-note")  # 审核 is for someone else
    assert page.get_by_role("button", name="完成本环节").count() == 0
    login(page, live_server, second)
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.get_by_role("button", name="完成本环节").click()
    login(page, live_server, boss)
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.get_by_role("button", name="作出决定").click()
    page.get_by_role("button", name="出具结果（证照）").click()
    page.wait_for_selector("#licence-number")
    screenshot("cases-5-result")
    result_href = page.get_attribute("#result-pdf", "href")
    data = page.request.get(f"{live_server.url}{result_href}").body()
    text = pdf_text(data, tmp_path, "result")
    url = re.search(r"(http://[^\s]+/cases/verify/[A-Za-z0-9_\-]+/)", text).group(1)
    assert url.startswith(live_server.url)

    # 5. anyone can verify the licence through the QR link
    page.context.clear_cookies()
    page.goto(url)
    assert "核验通过" in page.inner_text("#verify-result")
    screenshot("cases-6-verify")
    case.refresh_from_db()
    assert case.status == rules.RESULT_READY and case.result.licence_number in page.inner_text(
        "#verify-result"
    )


def test_public_progress_and_lists_pages(demo, clock, live_server, page, screenshot):
    from yimen.cases import services
    from yimen.catalog.models import ServiceItem
    from yimen.staff.testing import make_staff

    from .conftest import mark_all, person

    clock.freeze(clock.at(2022, 3, 28, 10, 0))
    clerk, w = clerk_at("CX-ZH-203")
    case = services.open_case(
        clerk,
        item=ServiceItem.objects.get(code="XN-ZJ-004"),
        outlet=w.outlet,
        window=w,
        applicant=person(),
    )
    mark_all(case)
    services.accept(clerk, case)
    # the citizen looks up the case
    page.goto(f"{live_server.url}/cases/progress/")
    page.fill("input[name=receipt_number]", case.receipt_number)
    page.fill("input[name=secret]", "9999")
    page.get_by_role("button", name="查询").click()
    assert "不匹配" in page.inner_text("#progress-error")
    page.fill("input[name=secret]", PERSON_ID[-4:])
    page.get_by_role("button", name="查询").click()
    answer = page.inner_text("#progress-answer")
    assert "已受理" in answer and "2022-04-02" in answer and "张三" not in answer
    screenshot("cases-7-progress")
    # two working days later the case is in 预警 on the director's list
    clock.freeze(clock.at(2022, 4, 1, 7, 0))
    services.refresh_time_status()
    director = make_staff("director", outlet="XN-CX", name="主任")
    login(page, live_server, director)
    page.goto(f"{live_server.url}/cases/time-limits/")
    assert case.receipt_number in page.inner_text("#warning")
    screenshot("cases-8-time-limits")
    page.goto(f"{live_server.url}/cases/")
    assert case.receipt_number in page.inner_text("main")
    assert "张*" in page.inner_text("main") and PERSON_ID not in page.content()
    screenshot("cases-9-index")
