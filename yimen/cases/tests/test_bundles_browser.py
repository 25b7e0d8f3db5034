"""Real browser (issue #17): the guide desk issues a ticket for a 一件事, the window takes the
whole bundle on one joint form and accepts it from the merged checklist; at another window a
material is replaced by a signed 告知承诺 and the case is accepted."""

import pytest
from playwright.sync_api import expect

from yimen.cases import rules
from yimen.cases.models import BundleApplication, Case
from yimen.staff.testing import make_staff

from .conftest import PERSON_ID, clerk_at
from .test_browser import login

pytestmark = pytest.mark.browser


def test_guide_desk_bundle_then_window_bundle_intake(demo, clock, live_server, page, screenshot):
    clock.freeze(clock.at(2022, 3, 16, 10, 0))
    guide = make_staff("guide", outlet="XN-CX")
    login(page, live_server, guide)
    page.goto(f"{live_server.url}/guide/?q=退伍回来要办哪些事")
    bundle = page.locator('[data-bundle="YJS-TYJR"]')
    expect(bundle).to_be_visible()
    screenshot("bundles-1-desk")
    bundle.get_by_role("button").click()
    expect(page.locator("#ticket-bundle")).to_contain_text("YJS-TYJR")
    screenshot("bundles-2-desk-ticket")

    clerk, w = clerk_at("CX-ZY-TY")
    login(page, live_server, clerk)
    page.goto(f"{live_server.url}/cases/intake/")
    page.get_by_role("button", name="叫号").click()
    expect(page.locator("#active-ticket")).to_be_visible()
    page.locator("#bundle-intake-link").click()
    expect(page.locator("#bundle-form")).to_contain_text("退役军人服务一件事")  # from the ticket
    page.fill("input[name=applicant_name]", "马退伍")
    page.fill("input[name=applicant_id_number]", PERSON_ID)
    page.fill("input[name=f_unit]", "某部")
    page.fill("input[name=f_discharge_date]", "2022-01-10")
    page.fill("input[name=f_bank_account]", "6228480000000000000")
    screenshot("bundles-3-joint-form")
    page.get_by_role("button", name="收件（3 个事项，一个编号）").click()
    expect(page.locator("#bundle-number")).to_be_visible()
    for row in page.locator("#bundle-check tr[data-row]").all():
        row.locator("input[value=received]").check()
    screenshot("bundles-4-merged-checklist")
    page.get_by_role("button", name="全部受理").click()
    expect(page.locator("#bundle-progress")).to_contain_text("已办结")
    screenshot("bundles-5-accepted")
    app = BundleApplication.objects.get()
    assert app.links.count() == 3
    assert all(link.case.status in rules.ACCEPTED_STATES for link in app.links.all())


def test_window_intake_with_promise(demo, clock, live_server, page, screenshot):
    clock.freeze(clock.at(2022, 3, 25, 9, 30))
    clerk, w = clerk_at("CX-ZH-201")
    login(page, live_server, clerk)
    page.goto(f"{live_server.url}/cases/intake/")
    page.select_option("select[name=item]", "XN-WS-001")
    page.fill("input[name=applicant_name]", "赵美丽")
    page.fill("input[name=applicant_id_number]", PERSON_ID)
    page.get_by_role("button", name="收件并核验材料").click()
    expect(page.locator("#checklist")).to_be_visible()
    page.get_by_role("button", name="以告知承诺代替").click()
    expect(page.locator("#promises")).to_contain_text("实地核查")
    case = Case.objects.get()
    for m in case.materials.exclude(received_via="promise"):
        page.locator(f"input[name=m{m.pk}][value=paper]").check()
    page.get_by_role("button", name="保存核验").click()
    expect(page.locator("#promises")).to_be_visible()
    screenshot("bundles-6-promise-checklist")
    page.get_by_role("button", name="受理", exact=True).click()
    case.refresh_from_db()
    assert case.status == rules.ACCEPTED
    screenshot("bundles-7-promise-accepted")
