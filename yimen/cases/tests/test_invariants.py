"""Process invariants (issue 14 §2): separation of duties in the back office, and no 不予受理 when
only 容缺-eligible materials are missing — through the services, the API and the pages."""

import pytest

from yimen.cases import rules, services
from yimen.cases.models import Case
from yimen.catalog.models import ServiceItem
from yimen.core.errors import Conflict
from yimen.staff.tokens import issue_token

from .conftest import approver, clerk_at, mark_all, person

pytestmark = pytest.mark.django_db


def auth(staff):
    _token, raw = issue_token(staff=staff)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def accepted(clerk, w, code="XN-WS-001"):
    case = services.open_case(
        clerk,
        item=ServiceItem.objects.get(code=code),
        outlet=w.outlet,
        window=w,
        applicant=person(),
    )
    mark_all(case)
    return services.accept(clerk, case)


# --- separation of duties ------------------------------------------------------------------------
def test_rule_duty_already_held():
    assert rules.duty_already_held([], 7) is None
    assert rules.duty_already_held([("承办", 7)], 8) is None
    assert rules.duty_already_held([("承办", 7), ("审核", 8)], 8) == "审核"
    assert rules.duty_already_held([("承办", None)], None) is None


def test_three_steps_need_three_people(demo, clock):
    clock.freeze(clock.at(2022, 3, 28, 10, 0))
    clerk, w = clerk_at("CX-ZH-201")
    case = accepted(clerk, w)
    assert case.steps_total == 3
    a1, a2, a3 = (approver("XN-WS") for _ in range(3))
    services.review_step(a1, case, opinion="材料审查通过")
    with pytest.raises(Conflict) as err:
        services.review_step(a1, case)  # 承办 and 审核 by one person
    assert err.value.code == "separation_of_duties" and "承办" in err.value.message
    services.review_step(a2, case, opinion="同意")
    for same in (a1, a2):  # 批准 by someone who did an earlier step
        with pytest.raises(Conflict) as err:
            services.decide(same, case, decision=rules.APPROVE)
        assert err.value.code == "separation_of_duties"
    case.refresh_from_db()
    assert case.status == rules.ACCEPTED and case.steps_done == 2 and not case.decision
    services.decide(a3, case, decision=rules.APPROVE)
    assert list(case.steps.values_list("staff_id", flat=True)) == [a1.pk, a2.pk, a3.pk]


def test_two_step_item_needs_two_people(demo, clock):
    clock.freeze(clock.at(2022, 3, 28, 10, 0))
    item = next(
        i
        for i in ServiceItem.objects.filter(promised_limit__gt=1, active=True).order_by("code")
        if len(rules.approval_steps(i.item_type, i.promised_limit)) == 2
    )
    clerk, w = clerk_at("CX-ZH-201")
    case = services.open_case(clerk, item=item, outlet=w.outlet, window=w, applicant=person())
    mark_all(case)
    case = services.accept(clerk, case)
    assert case.steps_total == 2
    dept = item.department.code
    a1, a2 = approver(dept), approver(dept)
    services.review_step(a1, case)
    with pytest.raises(Conflict) as err:
        services.decide(a1, case, decision=rules.APPROVE)
    assert err.value.code == "separation_of_duties"
    services.decide(a2, case, decision=rules.APPROVE)
    case.refresh_from_db()
    assert case.decision == rules.APPROVE


def test_separation_of_duties_over_http(demo, clock, client):
    clock.freeze(clock.at(2022, 3, 28, 10, 0))
    clerk, w = clerk_at("CX-ZH-201")
    case = accepted(clerk, w)
    a1, a2 = approver("XN-WS"), approver("XN-WS")
    url = f"/api/cases/{case.pk}"
    assert (
        client.post(
            url + "/steps", {"opinion": "同意"}, content_type="application/json", **auth(a1)
        ).status_code
        == 200
    )
    r = client.post(
        url + "/steps", {"opinion": "同意"}, content_type="application/json", **auth(a1)
    )
    assert r.status_code == 409
    assert r.json()["code"] == "separation_of_duties" and "不同人员" in r.json()["message"]
    # the page: the form is gone for the one who did 承办, a POST is refused with the reason
    client.force_login(a1.user)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="separation-note"' in page and 'value="step"' not in page
    r = client.post(f"/cases/{case.pk}/", {"action": "step", "opinion": "同意"})
    assert r.status_code == 409 and "不同人员" in r.content.decode()
    client.force_login(a2.user)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "separation-note" not in page and 'value="step"' in page
    case.refresh_from_db()
    assert case.steps_done == 1


def test_demo_departments_can_complete_a_three_step_case(demo, clock):
    """The demo has three approvers a department (appr_ws, appr_ws_2, appr_ws_3)."""
    from yimen.staff.models import Staff

    clock.freeze(clock.at(2022, 3, 28, 10, 0))
    clerk, w = clerk_at("CX-ZH-201")
    case = accepted(clerk, w)
    people = [Staff.objects.get(user__username=u) for u in ("appr_ws", "appr_ws_2", "appr_ws_3")]
    services.review_step(people[0], case)
    services.review_step(people[1], case)
    services.decide(people[2], case, decision=rules.APPROVE)
    case.refresh_from_db()
    assert case.status == rules.DECIDED
    from yimen.catalog.models import Department

    for dept in Department.objects.all():
        assert Staff.objects.filter(role="approver", department=dept, active=True).count() >= 3, (
            dept.code
        )


def test_demo_cases_loader_still_works(demo, clock):
    from yimen.cases import demo as cases_demo

    clock.freeze(clock.at(2022, 3, 28, 10, 0))
    assert cases_demo.load().startswith("demo cases: 6")
    assert Case.objects.filter(applicant_name__endswith="（演示数据）", steps_done=1).exists()


# --- 不予受理 vs 容缺受理 ---------------------------------------------------------------------------
def draft_missing(clerk, w, missing):
    case = services.open_case(
        clerk,
        item=ServiceItem.objects.get(code="XN-WS-001"),
        outlet=w.outlet,
        window=w,
        applicant=person(),
    )
    mark_all(case, missing=missing)
    return case


def test_reject_is_refused_when_only_tolerable_materials_are_missing(demo, clock):
    clock.freeze(clock.at(2022, 3, 28, 10, 0))
    clerk, w = clerk_at("CX-ZH-201")
    case = draft_missing(clerk, w, ["卫生检测"])
    assert services.assessment(case).can_accept_with_tolerance
    with pytest.raises(Conflict) as err:
        services.reject(clerk, case, reason="材料不齐，不予受理")
    assert err.value.code == "use_tolerance" and "容缺受理" in err.value.message
    assert err.value.details["offer"] == "accept_tolerance"
    case.refresh_from_db()
    assert case.status == rules.DRAFT and not case.notices.exists()
    # also after a one-time notice (the applicant is entitled to 容缺受理 when they come back)
    services.notify_missing(clerk, case)
    with pytest.raises(Conflict) as err:
        services.reject(clerk, case, reason="逾期未补齐")
    assert err.value.code == "use_tolerance"
    # the offered way works
    services.return_visit(clerk, case)
    mark_all(case, missing=["卫生检测"])
    case = services.accept(clerk, case, tolerance=True, promise="本人承诺限期补交")
    assert case.status == rules.ACCEPTED and case.tolerance


def test_reject_still_possible_when_a_non_tolerable_material_is_missing_or_none_is(demo, clock):
    clock.freeze(clock.at(2022, 3, 28, 10, 0))
    clerk, w = clerk_at("CX-ZH-201")
    case = draft_missing(clerk, w, ["卫生检测", "申请表"])
    a = services.assessment(case)
    assert a.blocking and a.tolerable
    services.reject(clerk, case, reason="申请人不符合申请条件")
    case.refresh_from_db()
    assert case.status == rules.REJECTED
    complete = draft_missing(clerk, w, [])
    services.reject(clerk, complete, reason="不属于本部门职权范围")
    complete.refresh_from_db()
    assert complete.status == rules.REJECTED


def test_reject_refusal_over_http(demo, clock, client):
    clock.freeze(clock.at(2022, 3, 28, 10, 0))
    clerk, w = clerk_at("CX-ZH-201")
    case = draft_missing(clerk, w, ["卫生检测"])
    r = client.post(
        f"/api/cases/{case.pk}/reject",
        {"reason": "材料不齐，不予受理"},
        content_type="application/json",
        **auth(clerk),
    )
    assert r.status_code == 409
    body = r.json()
    assert body["code"] == "use_tolerance" and "容缺受理" in body["message"]
    assert body["details"]["offer"] == "accept_tolerance"
    client.force_login(clerk.user)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="tolerance-offer"' in page and 'value="accept_tolerance"' in page
    assert 'value="reject"' not in page
    r = client.post(f"/cases/{case.pk}/", {"action": "reject", "reason": "材料不齐，不予受理"})
    html = r.content.decode()
    assert r.status_code == 409 and "不得不予受理" in html
    assert 'class="card error-box" id="tolerance-form"' in html
    case.refresh_from_db()
    assert case.status == rules.DRAFT
