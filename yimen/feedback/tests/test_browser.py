"""Real-browser tests of the main paths: a 差评 on the window tablet → rectification closed by the
chief; a 办不成事 intake at window 102 → escalated to level 2 by the deadline job → answered by the
district leader → closed with the person's feedback on the status page."""

import pytest
from django.core.management import call_command
from django.test import Client

from yimen.feedback.models import Grievance, Rectification
from yimen.staff.testing import make_staff

from .conftest import make_ticket


def login_as(page, live_server, staff):
    """Put a logged-in session of `staff` into the browser."""
    client = Client()
    client.force_login(staff.user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


@pytest.mark.browser
def test_bad_rating_on_tablet_leads_to_closed_rectification(
    page, live_server, demo, clock, screenshot
):
    clock.freeze(clock.at(2022, 3, 24, 14, 30))
    clerk = make_staff("clerk", outlet="XN-CX", name="李窗口")
    chief = make_staff("chief", outlet="XN-CX", name="赵科长")
    ticket = make_ticket("CX-ZY-RS-304", staff=clerk, items=("XN-RS-004",), wait_minutes=40)

    login_as(
        page, live_server, clerk
    )  # the counter's tablet runs in the session of the window's clerk
    page.goto(live_server.url + "/feedback/rate/window/CX-ZY-RS-304/")
    assert ticket.number in page.text_content("main")
    page.get_by_label("非常不满意").check()
    page.get_by_label("排队等候时间长").check()
    page.get_by_label("意见或建议").fill("排队太久，窗口只开一个")
    screenshot("feedback-tablet-rating")
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_url("**done=1")
    assert "感谢您的评价" in page.text_content("main")
    rect = Rectification.objects.get(rating__ticket=ticket)

    login_as(page, live_server, chief)
    page.goto(live_server.url + "/feedback/")
    assert "待办差评整改" in page.text_content("main")
    screenshot("feedback-dashboard-chief")
    page.get_by_role("link", name=f"整改 #{rect.pk}").click()
    page.get_by_label("回访记录（与群众核实的情况）").fill(
        "电话回访：情况属实，高峰时段只开一个人社窗口。"
    )
    page.get_by_role("button", name="保存回访记录").click()
    page.wait_for_load_state()
    assert page.text_content("#rect-state") == "整改中"
    # closing without reporting back to the person is refused, the typed note is kept
    page.get_by_label("整改情况").fill(
        "工作日 9:00–11:00 开放 305 窗口；社保卡补换下放至银行网点。"
    )
    page.get_by_role("button", name="整改完成，关闭任务").click()
    assert "请先将整改结果反馈给群众" in page.text_content("main")
    assert "305 窗口" in page.input_value("#done-note")
    page.get_by_label("整改结果已反馈群众").check()
    page.get_by_role("button", name="整改完成，关闭任务").click()
    page.wait_for_load_state()
    assert page.text_content("#rect-state") == "已整改"
    assert "305 窗口" in page.text_content("#rect-note")
    screenshot("feedback-rectification-closed")
    rect.refresh_from_db()
    assert rect.state == "rectified" and rect.callback_note and rect.rectification_note


@pytest.mark.browser
def test_grievance_intake_escalated_by_job_and_closed_with_feedback(
    page, live_server, demo, clock, screenshot
):
    clock.freeze(clock.at(2022, 3, 21, 10, 0))
    bbcs = make_staff("clerk", outlet="XN-CX", name="王受理")
    leader = make_staff("leader", name="孙区长", region_code="630104")

    login_as(page, live_server, bbcs)
    page.goto(live_server.url + "/feedback/grievances/new/")
    page.get_by_label("很难办").check()
    page.get_by_label("发生了什么").fill(
        "老楼没有房产证（历史遗留），开不出经营场所使用证明，个体执照办不了。"
    )
    page.get_by_label("反映人姓名（可不填）").fill("马建国")
    page.get_by_label("联系电话").fill("13912345678")
    page.get_by_label("所涉事项").select_option("XN-SJ-001")
    material = page.get_by_label("经营场所使用证明（或住所申报承诺书）")
    material.check()  # the checklist arrives by htmx after choosing the item
    screenshot("feedback-grievance-intake")
    page.get_by_role("button", name="受理并打印回执").click()
    page.wait_for_url("**/slip/")
    number = page.text_content("#slip-number").strip()
    assert "马*" in page.text_content("#slip") and "马建国" not in page.text_content("#slip")
    screenshot("feedback-grievance-slip")
    g = Grievance.objects.get(number=number)
    assert g.level == 1

    clock.freeze(
        clock.at(2022, 3, 25, 8, 0)
    )  # level 1 (局务会, 3 workdays) passed without a decision
    call_command("feedback", "escalate")
    g.refresh_from_db()
    assert g.level == 2

    login_as(page, live_server, leader)
    page.goto(live_server.url + "/feedback/")
    assert number in page.text_content("main") and "区级主要领导" in page.text_content("main")
    screenshot("feedback-dashboard-leader")
    page.get_by_role("link", name=number).click()
    assert "超期自动升级" in page.text_content("#ladder")
    page.get_by_label("研究意见/决定").fill("区长办公会：由街道出具住所证明，市场监管局据此登记。")
    page.get_by_label("本级作出答复").check()
    page.locator("#answer-input").fill(
        "请到西关大街街道办事处开具住所证明，3月28日起到301窗口当场办理。"
    )
    page.get_by_role("button", name="保存本级决定").click()
    page.wait_for_load_state()
    assert page.text_content("#g-status") == "反馈"
    screenshot("feedback-grievance-ladder")

    page.context.clear_cookies()  # the person, with the link from the slip
    page.goto(live_server.url + f"/feedback/g/{g.public_token}/")
    assert "街道办事处" in page.text_content("#answer")
    page.get_by_label("满意，可以归档").check()
    page.get_by_role("button", name="提交反馈").click()
    page.wait_for_load_state()
    assert "已归档" in page.text_content("main")
    screenshot("feedback-grievance-closed")
    g.refresh_from_db()
    assert g.status == "archived" and g.person_satisfied is True
