"""Back office: steps, pauses excluded from the time limit, 正常/预警/逾期, lists, permissions."""

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from yimen.cases import rules, selectors, services
from yimen.cases.models import Case
from yimen.catalog.models import ServiceItem
from yimen.core.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from yimen.core.models import AuditEntry
from yimen.staff import authz

from .conftest import approver, clerk_at, mark_all, person

pytestmark = pytest.mark.django_db


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


def test_steps_pauses_and_time_status(demo, clock):
    clock.freeze(clock.at(2022, 3, 31, 10, 0))  # Thu; 3 working days → Wed 04-06 (S12)
    clerk, w = clerk_at("CX-ZH-201")
    case = accepted(clerk, w)
    assert case.due_date == date(2022, 4, 6) and case.steps_total == 3
    a1, a2, a3 = (approver("XN-WS") for _ in range(3))
    # no decision before the earlier steps
    with pytest.raises(Conflict):
        services.decide(a3, case, decision=rules.APPROVE)
    services.review_step(a1, case, opinion="材料审查通过")
    # 现场勘验 pauses the clock from Fri 04-01 to Wed 04-06: 04-02 and 04-06 are working days
    clock.freeze(clock.at(2022, 4, 1, 9, 0))
    services.pause_clock(a2, case, kind="inspection", reason="现场勘验卫生设施")
    case.refresh_from_db()
    assert case.status == rules.PAUSED
    with pytest.raises(InvalidTransition):
        services.decide(a3, case, decision=rules.APPROVE)
    with pytest.raises(InvalidTransition):
        services.review_step(a2, case)
    # while paused the status does not get worse
    assert services.evaluate_time_status(case, date(2022, 4, 7)) == rules.NORMAL
    clock.freeze(clock.at(2022, 4, 6, 15, 0))
    services.resume_clock(a2, case, note="勘验合格")
    case.refresh_from_db()
    pause = case.pauses.get()
    assert pause.workdays == 2 and case.paused_workdays == 2
    assert case.due_date == date(2022, 4, 8)
    assert services.evaluate_time_status(case, date(2022, 4, 6)) == rules.NORMAL
    assert services.evaluate_time_status(case, date(2022, 4, 7)) == rules.WARNING
    assert services.evaluate_time_status(case, date(2022, 4, 11)) == rules.OVERDUE
    # the scheduled command fills the lists
    out = StringIO()
    call_command("cases", "refresh", "--date", "2022-04-11", "--json", stdout=out)
    counts = json.loads(out.getvalue())
    assert counts["overdue"] >= 1
    lists = selectors.time_limit_lists(authz.SYSTEM, case.item.department)
    assert case in lists["overdue"]
    assert (
        case
        not in selectors.time_limit_lists(
            authz.SYSTEM, ServiceItem.objects.get(code="XN-CG-002").department
        )["overdue"]
    )
    services.review_step(a2, case, opinion="同意")
    with pytest.raises(ValidationFailed):
        services.decide(a3, case, decision=rules.DENY, reason="")
    services.decide(a3, case, decision=rules.DENY, reason="卫生设施不符合 GB 37488 要求")
    case.refresh_from_db()
    assert [s.name for s in case.steps.all()] == ["承办", "审核", "批准"]
    assert [s.staff_id for s in case.steps.all()] == [a1.pk, a2.pk, a3.pk]
    with pytest.raises(Conflict):
        services.issue_result(a3, case)  # 不予许可: no licence
    services.deliver(clerk, case, method="electronic")
    case.refresh_from_db()
    from yimen.cases.models import Result

    assert case.status == rules.CLOSED and not Result.objects.filter(case=case).exists()
    assert (
        case.notices.get(kind=rules.NOTICE_DELIVERY).content["document"].startswith("不予许可决定")
    )
    actions = list(
        AuditEntry.objects.filter(object_type="cases.case", object_id=str(case.pk)).values_list(
            "action", flat=True
        )
    )
    for expected in (
        "case.open",
        "case.accept",
        "case.review_step",
        "case.pause",
        "case.resume",
        "case.decide",
        "case.deliver",
        "case.time_status",
    ):
        assert expected in actions


def test_permissions(demo, clock):
    clock.freeze(clock.at(2022, 3, 28, 10, 0))
    clerk, w = clerk_at("CX-ZH-201")
    case = accepted(clerk, w)
    other_dept = approver("XN-CG")
    with pytest.raises(Forbidden):
        services.review_step(other_dept, case)
    with pytest.raises(Forbidden):
        services.review_step(clerk, case)  # a window clerk does not approve
    bank_clerk, bw = clerk_at("XN-NSH-01-ZC")
    with pytest.raises(Forbidden):
        services.reject(bank_clerk, case, reason="不是本网点")
    from yimen.staff.testing import make_staff

    guide = make_staff("guide", outlet="XN-CX")
    with pytest.raises(Forbidden):
        services.open_case(guide, item=case.item, outlet=w.outlet, applicant=person())
    assert not selectors.can_view(other_dept, case)
    assert selectors.can_view(approver("XN-WS"), case)


def test_intake_validation_messages(demo, clock, ids):
    clock.freeze(clock.at(2022, 3, 28, 10, 0))
    clerk, w = clerk_at("CX-ZH-201")
    ws = ServiceItem.objects.get(code="XN-WS-001")
    bad_id = ids["person"][:17] + ("0" if ids["person"][17] != "0" else "1")
    with pytest.raises(ValidationFailed, match="校验位"):
        services.open_case(
            clerk, item=ws, outlet=w.outlet, applicant=person(applicant_id_number=bad_id)
        )
    with pytest.raises(ValidationFailed, match="手机"):
        services.open_case(
            clerk, item=ws, outlet=w.outlet, applicant=person(applicant_phone="12345")
        )
    with pytest.raises(ValidationFailed, match="经办人"):
        services.open_case(
            clerk,
            item=ws,
            outlet=w.outlet,
            applicant={
                "applicant_kind": "company",
                "applicant_name": "某公司",
                "credit_code": ids["company"],
            },
        )
    # a USCC with a wrong check digit is stored with a warning, not refused
    wrong = ids["company"][:17] + ("0" if ids["company"][17] != "0" else "1")
    case = services.open_case(
        clerk,
        item=ws,
        outlet=w.outlet,
        applicant={
            "applicant_kind": "company",
            "applicant_name": "某公司",
            "credit_code": wrong,
            "agent_name": "李四",
            "agent_id_number": ids["agent"],
        },
    )
    assert case.credit_code == wrong and "校验位" in case.credit_code_warning
    # 帮办代办 needs recorded consent (XN-ZW-001 at the 帮办代办 desk)
    zw = ServiceItem.objects.get(code="XN-ZW-001")
    helper, hw = clerk_at("CX-BANGBAN")
    with pytest.raises(ValidationFailed, match="同意"):
        services.open_case(
            helper, item=zw, outlet=hw.outlet, window=hw, applicant=person(), helper=helper
        )
    helped = services.open_case(
        helper,
        item=zw,
        outlet=hw.outlet,
        window=hw,
        applicant=person(),
        helper=helper,
        helper_consent=True,
        helper_consent_note="申请人当面签字同意",
    )
    assert helped.helper == helper and helped.helper_consent and helped.helper_consent_at
    # a bank branch cannot take a centre-only item
    bank_clerk, bw = clerk_at("XN-NSH-01-ZC")
    with pytest.raises(ValidationFailed, match="不办理"):
        services.open_case(bank_clerk, item=ws, outlet=bw.outlet, window=bw, applicant=person())
    # personal data is encrypted at rest
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT applicant_id_number, applicant_phone FROM cases_case WHERE id=%s", [helped.pk]
        )
        raw_id, raw_phone = cursor.fetchone()
    assert (
        raw_id.startswith("enc1:") and ids["person"] not in raw_id and raw_phone.startswith("enc1:")
    )


def test_invalid_transitions_are_clear(demo, clock):
    clock.freeze(clock.at(2022, 3, 28, 10, 0))
    clerk, w = clerk_at("CX-ZH-201")
    case = services.open_case(
        clerk, item=ServiceItem.objects.get(code="XN-WS-001"), outlet=w.outlet, applicant=person()
    )
    with pytest.raises(ValidationFailed, match="未核验"):
        services.accept(clerk, case)
    mark_all(case)
    with pytest.raises(Conflict, match="材料齐全"):
        services.notify_missing(clerk, case)
    with pytest.raises(InvalidTransition) as err:
        services.return_visit(clerk, case)
    assert err.value.status == 409 and "收件中" in err.value.message
    services.accept(clerk, case)
    with pytest.raises(InvalidTransition):
        services.accept(clerk, case)
    with pytest.raises(InvalidTransition):
        services.reject(clerk, case, reason="已受理后不能不予受理")


def test_reveal_is_for_chiefs_and_audited(demo, clock, client):
    from yimen.staff.testing import make_staff

    from .conftest import PERSON_ID

    clock.freeze(clock.at(2022, 3, 28, 10, 0))
    clerk, w = clerk_at("CX-ZH-201")
    case = services.open_case(
        clerk, item=ServiceItem.objects.get(code="XN-WS-001"), outlet=w.outlet, applicant=person()
    )
    with pytest.raises(Forbidden):
        services.reveal_personal_data(clerk, case, reason="核对")
    chief = make_staff("chief", outlet="XN-CX")
    client.force_login(chief.user)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert PERSON_ID not in page and "630104********" in page
    page = client.post(f"/cases/{case.pk}/", {"action": "reveal", "reason": "核对申请人身份"})
    assert page.status_code == 200 and PERSON_ID in page.content.decode()
    assert page["Cache-Control"] == "no-store"
    assert PERSON_ID not in client.get(f"/cases/{case.pk}/").content.decode()
    assert AuditEntry.objects.filter(action="case.reveal", object_id=str(case.pk)).exists()


def test_demo_cases_command(demo, clock):
    from yimen.cases.demo import load

    clock.freeze(clock.at(2022, 3, 28, 10, 0))
    out = StringIO()
    call_command("cases", "demo", stdout=out)
    assert "demo cases: 6" in out.getvalue()
    statuses = sorted(
        Case.objects.filter(applicant_name__endswith="（演示数据）").values_list(
            "status", flat=True
        )
    )
    assert statuses == sorted(
        [rules.ACCEPTED, rules.NOTIFIED, rules.ACCEPTED, rules.CLOSED, rules.PAUSED, rules.CLOSED]
    )
    assert load() == "demo cases already present"
