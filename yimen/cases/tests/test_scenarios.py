"""Acceptance scenarios S02, S03, S06 (intake), S10, S11 from the demo scenarios."""

from datetime import date

import pytest

from yimen.cases import rules, selectors, services
from yimen.cases.models import Case
from yimen.cases.signals import hard_case_recorded
from yimen.catalog.models import ServiceItem
from yimen.core.errors import Conflict
from yimen.notify.selectors import messages_for, text_of

from .conftest import approver, called_ticket, clerk_at, company, mark_all, person

pytestmark = pytest.mark.django_db


def item(code):
    return ServiceItem.objects.get(code=code)


def test_s02_construction_waste_permit_at_any_comprehensive_window(demo, clock):
    clock.freeze(clock.at(2022, 3, 17, 9, 40))
    # 无差别受理: every one of the five 2F windows accepts XN-CG-001, whatever the clerk's department.
    from yimen.outlets.models import Window

    windows = list(Window.objects.filter(group_code="CX-ZH").order_by("number"))
    assert [w.number for w in windows] == ["201", "202", "203", "204", "205"]
    assert all(services.item_offered_at(item("XN-CG-001"), w.outlet, w) for w in windows)

    clerk, w = clerk_at("CX-ZH-202", department="XN-WS")  # a 卫健 clerk at a comprehensive window
    ticket = called_ticket(w, clerk, ["XN-CG-001"])
    called_at = ticket.called_at
    case = services.open_case(clerk, item=item("XN-CG-001"), ticket=ticket, applicant=company())
    assert case.window == w and case.outlet.code == "XN-CX"
    tolerance = [m.name for m in case.materials.all() if m.tolerance_eligible]
    assert tolerance == ["运输车辆密闭装置及卫星定位装置安装证明"]
    assert sum(1 for m in case.materials.all() if m.required) == 6
    clock.travel(minutes=1)
    mark_all(case)
    clock.travel(minutes=1, seconds=30)
    case = services.accept(clerk, case)
    case.refresh_from_db()
    # 即办件: accepted, decided, result issued and handed over at the same sitting.
    assert case.status == rules.CLOSED
    assert case.decision == rules.APPROVE and case.result.licence_number
    assert case.result.delivery_method == "window"
    assert (case.closed_at - called_at).total_seconds() <= 180
    assert selectors.trips_of(case) == 1
    assert {n.kind for n in case.notices.all()} == {rules.NOTICE_ACCEPT, rules.NOTICE_DELIVERY}
    assert [e.action for e in case.events.all()] == [
        "open",
        "accept",
        "decide",
        "issue_result",
        "deliver",
    ]
    measured = selectors.handling_times(Case.objects.filter(pk=case.pk))
    assert (
        measured["count"] == 1 and measured["median_s"] == 150.0 and measured["within_180s"] == 1.0
    )


def test_s03_newborn_insurance_at_bank_branch(demo, clock, ids):
    clock.freeze(clock.at(2022, 3, 19, 10, 30))
    clerk, w = clerk_at("XN-NSH-01-ZC")
    assert w.outlet.items.filter(code="XN-YB-002").exists()
    yb = item("XN-YB-002")
    assert "现金" in yb.payment_methods
    ticket = called_ticket(w, clerk, ["XN-YB-002"])
    case = services.open_case(
        clerk,
        item=yb,
        ticket=ticket,
        applicant=person(
            applicant_name="王小宝",
            agent_role="代理人",
            agent_name="王大力",
            agent_id_number=ids["agent"],
        ),
    )
    required = [m.name for m in case.materials.all() if m.required]
    assert required == ["新生儿居民户口簿", "监护人居民身份证"]
    clock.travel(minutes=4)
    mark_all(case)
    services.accept(clerk, case)
    case.refresh_from_db()
    assert case.status == rules.CLOSED and case.outlet.code == "XN-NSH-01"
    assert (case.closed_at - ticket.called_at).total_seconds() < 600
    assert [v.outlet.code for v in case.visits.all()] == ["XN-NSH-01"]
    assert not case.visits.filter(outlet__code="XN-CX").exists()


def test_s06_key_material_missing_is_hard_case_not_tolerance(
    demo, clock, django_capture_on_commit_callbacks
):
    clock.freeze(clock.at(2022, 3, 21, 10, 0))
    received = []

    def on_hard(sender, case, actor, reason, missing, **kw):
        received.append((case.pk, missing))

    hard_case_recorded.connect(on_hard, dispatch_uid="test-s06")
    try:
        clerk, w = clerk_at("CX-ZY-SJ")
        ticket = called_ticket(w, clerk, ["XN-SJ-001"])
        case = services.open_case(clerk, item=item("XN-SJ-001"), ticket=ticket, applicant=person())
        mark_all(case, missing=["经营场所使用证明"])
        # 容缺 is blocked for a non-tolerance material, and the answer offers 很难办 → 升级.
        with pytest.raises(Conflict) as err:
            services.accept(clerk, case, tolerance=True, promise="我承诺补交")
        assert err.value.code == "not_tolerable"
        assert err.value.details["offer"] == "escalate_hard"
        assert "很难办" in err.value.message
        case.refresh_from_db()
        assert (
            case.status == rules.DRAFT
            and not case.materials.filter(state=rules.M_TOLERATED).exists()
        )
        from django.db import IntegrityError, transaction

        with pytest.raises(IntegrityError), transaction.atomic():  # the database refuses it too
            case.materials.filter(name__contains="经营场所").update(state=rules.M_TOLERATED)
        with django_capture_on_commit_callbacks(execute=True):
            services.escalate_hard(
                clerk, case, reason="老旧楼房无房产证（历史遗留问题），无法提供经营场所使用证明"
            )
    finally:
        hard_case_recorded.disconnect(dispatch_uid="test-s06")
    case.refresh_from_db()
    assert case.status == rules.ESCALATED
    assert case.opened_at.date() == case.closed_at.date()
    assert received == [(case.pk, ["经营场所使用证明（或住所申报承诺书）"])]
    event = case.events.get(action="escalate_hard")
    assert "历史遗留" in event.reason
    # handed to the 办不成事 grievance (feedback app listens to hard_case_recorded): escalation level 1
    from yimen.feedback.models import Grievance

    grievance = Grievance.objects.get(case=case)
    assert case.grievance_ref == grievance.number
    assert grievance.missing_materials == ["经营场所使用证明（或住所申报承诺书）"]
    assert grievance.level == 1


def test_s10_tolerance_acceptance_reminder_and_result(
    demo, clock, django_capture_on_commit_callbacks
):
    clock.freeze(clock.at(2022, 3, 25, 9, 30))
    clerk, w = clerk_at("CX-ZH-201")
    ticket = called_ticket(w, clerk, ["XN-WS-001"])
    case = services.open_case(
        clerk, item=item("XN-WS-001"), ticket=ticket, applicant=person(applicant_name="美丽美容店")
    )
    mark_all(case, missing=["卫生检测"])
    case = services.accept(
        clerk, case, tolerance=True, promise="本人承诺5个工作日内补交卫生检测报告"
    )
    case.refresh_from_db()
    assert case.status == rules.ACCEPTED and case.tolerance
    # deadline: 5 working days (demo) capped at the promised limit of 3 → Wed 2022-03-30
    assert case.tolerance_deadline == date(2022, 3, 30)
    assert case.due_date == date(2022, 3, 30)
    notice = case.notices.get(kind=rules.NOTICE_TOLERANCE)
    assert [m["name"] for m in notice.content["tolerated"]] == ["公共场所卫生检测或评价报告"]
    assert notice.content["deadline"] == "2022-03-30"
    # a deadline beyond the promised limit is refused
    # reminder goes out one working day before the deadline (Tue 03-29), once
    services.refresh_time_status(date(2022, 3, 28))
    assert not messages_for("case.tolerance_reminder").exists()
    services.refresh_time_status(date(2022, 3, 29))
    services.refresh_time_status(date(2022, 3, 29))
    reminders = [text_of(m) for m in messages_for("case.tolerance_reminder")]
    assert len(reminders) == 1 and case.receipt_number in reminders[0]
    # back office decides; the result cannot be issued while the 容缺 material is outstanding
    wsa = [approver("XN-WS") for _ in range(3)]
    clock.freeze(clock.at(2022, 3, 29, 10, 0))
    services.review_step(wsa[0], case, opinion="材料审查通过")
    services.review_step(wsa[1], case, opinion="同意")
    services.decide(wsa[2], case, decision=rules.APPROVE)
    with pytest.raises(Conflict) as err:
        services.issue_result(wsa[2], case)
    assert err.value.code == "tolerance_outstanding"
    # day 3: the report arrives; the licence is issued; the applicant is told it is ready
    clock.freeze(clock.at(2022, 3, 30, 11, 0))
    line = case.materials.get(state=rules.M_TOLERATED)
    services.supply_material(clerk, case, line.pk, via="paper", in_person=True)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.issue_result(wsa[2], case)
    assert result.licence_number.startswith("XN-WS-2022-")
    assert messages_for("case.ready", phone=case.applicant_phone).count() == 1
    services.deliver(clerk, case, method="mail", tracking_number="SF1234567890")
    case.refresh_from_db()
    assert case.status == rules.CLOSED
    # the supplement visit is a counted trip, with its reason
    assert selectors.trips_of(case) == 2
    assert case.visits.get(purpose="supplement").reason


def test_s10_deadline_beyond_promised_limit_is_refused(demo, clock):
    clock.freeze(clock.at(2022, 3, 25, 9, 30))
    clerk, w = clerk_at("CX-ZH-201")
    case = services.open_case(
        clerk, item=item("XN-WS-001"), outlet=w.outlet, window=w, applicant=person()
    )
    mark_all(case, missing=["卫生检测"])
    from yimen.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        services.accept(
            clerk, case, tolerance=True, promise="承诺补交", tolerance_deadline=date(2022, 4, 8)
        )
    with pytest.raises(ValidationFailed):
        services.accept(clerk, case, tolerance=True, promise="  ")


def test_s10_not_supplied_in_time_is_terminated(demo, clock):
    clock.freeze(clock.at(2022, 3, 25, 9, 30))
    clerk, w = clerk_at("CX-ZH-201")
    case = services.open_case(
        clerk, item=item("XN-WS-001"), outlet=w.outlet, window=w, applicant=person()
    )
    mark_all(case, missing=["卫生检测"])
    services.accept(clerk, case, tolerance=True, promise="承诺补交")
    assert services.refresh_time_status(date(2022, 3, 30))["terminated"] == 0
    counts = services.refresh_time_status(date(2022, 3, 31))
    assert counts["terminated"] == 1
    case.refresh_from_db()
    assert case.status == rules.TERMINATED and "未在承诺期限" in case.termination_reason


def test_s10_counter_case_one_time_notice_lists_all_and_never_surprises(demo, clock):
    clock.freeze(clock.at(2022, 3, 25, 9, 30))
    clerk, w = clerk_at("CX-ZH-201")
    ticket = called_ticket(w, clerk, ["XN-WS-001"])
    case = services.open_case(clerk, item=item("XN-WS-001"), ticket=ticket, applicant=person())
    mark_all(case, missing=["卫生设施平面布局图", "卫生检测"])
    with pytest.raises(Conflict) as err:
        services.accept(clerk, case, tolerance=True, promise="承诺")
    assert err.value.code == "not_tolerable"
    notice = services.notify_missing(clerk, case)
    listed = [m["name"] for m in notice.content["materials"]]
    assert listed == [
        "公共场所地址方位示意图、平面图和卫生设施平面布局图",
        "公共场所卫生检测或评价报告",
    ]
    case.refresh_from_db()
    assert case.status == rules.NOTIFIED
    # the applicant comes back (a new ticket, another comprehensive window): the case continues and
    # the trip is counted
    clock.freeze(clock.at(2022, 3, 28, 9, 10))
    clerk2, w2 = clerk_at("CX-ZH-202")
    ticket2 = called_ticket(w2, clerk2, ["XN-WS-001"])
    services.return_visit(clerk2, case, ticket=ticket2)
    case.refresh_from_db()
    assert case.status == rules.DRAFT and case.ticket == ticket2 and case.window == w2
    assert {m.name for m in case.materials.filter(state=rules.M_PENDING)} == set(listed)
    # a new requirement (a material received last time, now declared missing) may not be added
    mark_all(case, missing=["公共场所卫生管理制度"])
    with pytest.raises(Conflict) as err:
        services.notify_missing(clerk, case)
    assert err.value.code == "second_surprise" and "公共场所卫生管理制度" in err.value.message
    mark_all(case)
    services.accept(clerk, case)
    case.refresh_from_db()
    assert case.status == rules.ACCEPTED
    assert case.notices.filter(kind=rules.NOTICE_ONE_TIME).count() == 1
    assert selectors.trips_of(case) == 2
    metric = selectors.trips_metric(Case.objects.filter(pk=case.pk))
    assert metric["multi"][0]["reasons"] and "一次性告知" in metric["multi"][0]["reasons"][0]


def test_s11_one_window_three_departments(demo, clock):
    clock.freeze(clock.at(2022, 3, 28, 10, 0))
    clerk, w = clerk_at("CX-ZH-203")
    codes = ["XN-WS-001", "XN-CG-002", "XN-ZJ-004"]
    ticket = called_ticket(w, clerk, codes)
    assert w.number == "203"
    cases = []
    for code in codes:
        case = services.open_case(
            clerk, item=item(code), ticket=ticket, applicant=company(applicant_name="如意宾馆")
        )
        mark_all(case)
        cases.append(services.accept(clerk, case))
    assert [c.due_date for c in cases] == [date(2022, 3, 31), date(2022, 3, 31), date(2022, 4, 2)]
    assert {c.ticket_id for c in cases} == {ticket.pk} and {c.window_id for c in cases} == {w.pk}
    assert [c.notices.get(kind=rules.NOTICE_ACCEPT).content["due_date"] for c in cases] == [
        "2022-03-31",
        "2022-03-31",
        "2022-04-02",
    ]
    # routed to each department's approvers
    for c in cases:
        assert c in selectors.department_queue(c.item.department)
        others = [d for d in {x.item.department for x in cases} if d != c.item.department]
        assert all(c not in selectors.department_queue(d) for d in others)
