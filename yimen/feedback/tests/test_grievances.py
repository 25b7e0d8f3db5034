"""办不成事 through the services: scenarios S06 (escalation ladder), S07 (办不了), S08 (不给办),
reopening, the job, validation, lists and summary (pages, API, admin: test_grievance_pages.py)."""

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from yimen.catalog.models import ServiceItem
from yimen.core.errors import (
    Conflict,
    Forbidden,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from yimen.core.models import AuditEntry
from yimen.feedback import rules, selectors, services
from yimen.feedback.models import ConductFinding, EscalationLevel, Grievance
from yimen.outlets.models import Window
from yimen.staff import authz
from yimen.staff.testing import make_staff

from .conftest import OWNER_ID, PHONE, _hard, cx, make_ticket


def test_s06_case_recorded_as_hard_climbs_the_ladder(
    db, demo, clock, cx_staff, django_capture_on_commit_callbacks
):
    """S06: XN-SJ-001 without 经营场所使用证明 (required, no 容缺) → the system blocks 容缺 and offers
    很难办 → the grievance climbs 局务会 → 区级主要领导 → 省市协调, each with owner, time box, decision."""
    from yimen.cases import services as cases

    clock.freeze(clock.at(2022, 3, 21, 10, 0))
    sj = make_staff("clerk", outlet="XN-CX", name="市场监管窗口")
    ticket = make_ticket(
        "CX-ZY-SJ-301", staff=sj, items=("XN-SJ-001",), status="serving", wait_minutes=5
    )
    item = ServiceItem.objects.get(code="XN-SJ-001")
    case = cases.open_case(
        sj,
        item=item,
        ticket=ticket,
        applicant={
            "applicant_name": "马建国",
            "applicant_id_number": OWNER_ID,
            "applicant_phone": PHONE,
        },
    )
    marks = {
        m.pk: ("missing", "") if m.name.startswith("经营场所") else ("received", "paper")
        for m in case.materials.all()
    }
    cases.check_materials(sj, case, marks)
    with pytest.raises(Conflict) as blocked:  # 容缺 is blocked; 很难办 → 升级 is offered instead
        cases.accept(sj, case, tolerance=True, promise="承诺补交")
    assert blocked.value.details.get("offer") == "escalate_hard"
    with django_capture_on_commit_callbacks(execute=True):
        cases.escalate_hard(
            sj, case, reason="老城区房屋无房产证，属历史遗留问题，无法出具经营场所使用证明"
        )
    g = Grievance.objects.get(case=case)
    case.refresh_from_db()
    assert case.grievance_ref == g.number
    assert g.category == rules.HARD and g.received_date == date(2022, 3, 21)  # same day
    assert g.missing_materials == [
        "经营场所使用证明（或住所申报承诺书）"
    ]  # the missing material is named
    assert g.status == rules.G_HANDLING and g.level == 1
    assert g.level_due == date(2022, 3, 24)  # 局务会 ≤ 3 workdays
    check = selectors.tolerance_check(g)
    assert not check["should_accept"] and "不可容缺" in check["summary"]

    chief, leader, director = cx_staff["chief"], cx_staff["leader"], cx_staff["director"]
    # level 1: the chiefs' meeting cannot decide → 区级主要领导; skipping level 2 needs a reason
    clock.freeze(clock.at(2022, 3, 23, 15, 0))
    with pytest.raises(ValidationFailed) as e:
        services.decide_level(g, chief, decision="需省级政策", outcome="escalate", target_level=3)
    assert e.value.code == "skip_reason_required"
    with pytest.raises(Forbidden):  # the leader does not own level 1
        services.decide_level(g, leader, decision="x", outcome="escalate")
    g = services.decide_level(
        g,
        chief,
        decision="局务会研究：住建、市场监管无权认定历史遗留房屋使用权，提请区领导协调。",
        outcome="escalate",
        meeting_at=clock.at(2022, 3, 23, 14, 0),
    )
    assert g.level == 2 and g.level_due == date(2022, 3, 30)  # ≤ 5 workdays
    # level 2: a leader of another district may not decide
    with pytest.raises(Forbidden):
        services.decide_level(
            g, make_staff("leader", region_code="630105"), decision="x", outcome="escalate"
        )
    with pytest.raises(Forbidden):
        services.decide_level(g, chief, decision="x", outcome="escalate")
    clock.freeze(clock.at(2022, 3, 28, 11, 0))
    g = services.decide_level(
        g,
        leader,
        decision="区长办公会：涉及省市场监管局住所登记政策，报省市协调。",
        outcome="escalate",
    )
    assert g.level == 3 and g.level_due == date(2022, 4, 12)  # 10 workdays over 清明
    # level 3 is the top: the director tracks it until a written answer
    with pytest.raises(ValidationFailed):
        services.decide_level(g, director, decision="x", outcome="escalate")
    with pytest.raises(ValidationFailed) as e:
        services.decide_level(g, director, decision="省局答复", outcome="resolve", answer="")
    assert e.value.code == "answer_required"
    clock.freeze(clock.at(2022, 4, 8, 10, 0))
    g = services.decide_level(
        g,
        director,
        decision="省市场监管局复函：历史遗留房屋可凭街道出具的住所申报承诺书登记。",
        outcome="resolve",
        answer="可凭街道办事处出具的住所申报承诺书办理个体工商户登记，请携带承诺书到301窗口，当场办结。",
    )
    assert g.status == rules.G_FEEDBACK
    levels = list(g.levels.order_by("level"))
    assert [(lv.level, lv.owner_role, lv.outcome) for lv in levels] == [
        (1, "chief", "escalated"),
        (2, "leader", "escalated"),
        (3, "director", "resolved"),
    ]
    for lv in levels:  # owner, timestamps and a decision within its time box
        assert lv.decided_by is not None and lv.decision and lv.started_at <= lv.decided_at
        assert clock.local(lv.decided_at).date() <= lv.due
    assert [lv.name for lv in levels] == cx().escalation_chain[1:]
    # the applicant is informed after every level (same day, ≤ 1 workday)
    sms = list(g.notices.filter(channel="sms").order_by("id"))
    texts = [n.text for n in sms]
    assert any("中心各科室科长局务会" in t for t in texts) and any(
        "区级主要领导" in t for t in texts
    )
    assert any("省市相关部门协调" in t for t in texts) and any("住所申报承诺书" in t for t in texts)
    for lv in levels:
        after = [n for n in sms if n.at >= lv.decided_at]
        assert after and clock.local(after[0].at).date() == clock.local(lv.decided_at).date()
    # closure needs the person's feedback
    with pytest.raises(IntegrityError), transaction.atomic():
        Grievance.objects.filter(pk=g.pk).update(status=rules.G_ARCHIVED)
    g = services.record_person_feedback(
        g, cx_staff["bbcs_clerk"], satisfied=True, note="满意", channel="phone"
    )
    assert g.status == rules.G_ARCHIVED and g.closed_at is not None
    assert AuditEntry.objects.filter(action="grievance.escalate", object_id=str(g.pk)).count() == 3


def test_s06_overdue_level_escalates_automatically_once(db, demo, clock, cx_staff):
    clock.freeze(clock.at(2022, 3, 21, 10, 0))
    g = _hard(clock, cx_staff["bbcs_clerk"])
    assert g.level == 1 and g.level_due == date(2022, 3, 24)
    clock.freeze(clock.at(2022, 3, 24, 18, 0))
    assert services.escalate_overdue().done == []  # due day itself is not overdue
    clock.freeze(clock.at(2022, 3, 25, 8, 0))
    out = StringIO()
    call_command("feedback", "escalate", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["escalated"] == [g.number] and result["failed"] == 0
    g.refresh_from_db()
    assert g.level == 2 and g.level_due == date(2022, 4, 1)
    first = g.levels.get(level=1)
    assert first.outcome == EscalationLevel.AUTO_ESCALATED and "自动升级" in first.decision
    assert services.escalate_overdue().done == []  # a second run the same day changes nothing
    assert g.levels.count() == 2
    assert g.events.filter(action="escalate", actor_label="升级督办定时任务").count() == 1
    # level 2 overdue as well → level 3; level 3 is never escalated, only flagged
    assert services.escalate_overdue(date(2022, 4, 1)).done == []
    clock.freeze(clock.at(2022, 4, 2, 8, 0))  # a 调休 Saturday is a working day: overdue now
    assert services.escalate_overdue().done == [g.number]
    clock.freeze(clock.at(2022, 5, 6, 8, 0))
    assert services.escalate_overdue().done == []
    g.refresh_from_db()
    assert g.level == 3 and "本级超期" in selectors.grievance_flags(g, clock.today())


def test_s07_cannot_is_explained_face_to_face(db, demo, clock, cx_staff):
    """S07: a 65-year-old asks for 高龄补贴 (70+): 办不了 with reason, basis and the in-person flag;
    he is asked to rate the service before leaving."""
    clock.freeze(clock.at(2022, 3, 22, 15, 0))
    sw = make_staff("clerk", outlet="XN-CX", name="社会事务窗口")
    ticket = make_ticket("CX-ZY-SW-308", staff=sw, items=("XN-MZ-002",), wait_minutes=3)
    g = services.submit_grievance(
        outlet=cx(),
        category=rules.CANNOT,
        ticket=ticket,
        phone=PHONE,
        applicant_name="李福",
        description="我也想领高龄补贴，窗口说年龄不够。",
        actor=sw,
    )
    assert g.item.code == "XN-MZ-002" and g.staff == sw and g.window.code == "CX-ZY-SW-308"
    kwargs = dict(
        reason_code="not_eligible",
        legal_basis="西宁市高龄补贴发放办法：年满70周岁的本市户籍老年人",
        explanation="您今年65岁，高龄补贴要年满70周岁才能申请，2027年满70岁后可来办理。",
        alternatives="可以先办理老年人优待证（XN-WS-011），当场办结。",
    )
    with pytest.raises(ValidationFailed) as e:
        services.explain_cannot(g, sw, explained_in_person=False, **kwargs)
    assert e.value.code == "in_person_required"
    with pytest.raises(ValidationFailed) as e:
        services.explain_cannot(g, sw, explained_in_person=True, **{**kwargs, "legal_basis": " "})
    assert e.value.code == "legal_basis_required"
    g = services.explain_cannot(g, sw, explained_in_person=True, **kwargs)
    assert g.status == rules.G_FEEDBACK and g.first_response_at is not None
    # the database refuses a 办不了 answer without reason + basis + in-person flag
    with pytest.raises(IntegrityError), transaction.atomic():
        Grievance.objects.filter(pk=g.pk).update(explained_in_person=False)
    answered = Grievance.objects.filter(category=rules.CANNOT).exclude(
        status__in=[rules.G_RECEIVED, rules.G_INVESTIGATING, rules.G_HANDLING]
    )
    assert (
        answered.count()
        == answered.filter(explained_in_person=True)
        .exclude(reason_code="")
        .exclude(legal_basis="")
        .count()
        == 1
    )
    # asked for a rating before leaving
    assert services.rating_state(ticket=ticket)["can_rate"]
    services.submit_rating(ticket=ticket, score=4, channel="window")
    g = services.record_person_feedback(g, sw, satisfied=True, note="明白了，先办优待证。")
    assert g.status == rules.G_ARCHIVED


def test_s08_refused_complaint_is_investigated_and_the_application_accepted(
    db, demo, clock, cx_staff, django_capture_on_commit_callbacks
):
    """S08: "不给办" for a missing 健康证 (容缺-eligible). Linked to the original interaction, the
    catalog check is shown, a 不作为 finding is recorded, the application is accepted under 容缺 the
    same day without another trip; 受理 → 核查 → 处理 → 反馈 → 归档."""
    from yimen.cases import services as cases

    clock.freeze(clock.at(2022, 3, 23, 10, 0))
    refuser = make_staff("clerk", outlet="XN-CX", name="张推诿")
    original = make_ticket("CX-ZY-SJ-302", staff=refuser, items=("XN-SJ-006",), wait_minutes=10)
    clock.freeze(clock.at(2022, 3, 23, 11, 0))
    bbcs = cx_staff["bbcs_clerk"]
    g = services.submit_grievance(
        outlet=cx(),
        category=rules.REFUSED,
        ticket=original,
        phone=PHONE,
        applicant_name="刘大厨",
        id_number=OWNER_ID,
        description="我材料就差一个健康证，窗口说不给办。",
        missing_materials=["从业人员健康证明"],
        actor=bbcs,
    )
    # linked to the original interaction: clerk, window, item, time
    assert (
        g.window.code == "CX-ZY-SJ-302"
        and g.staff == refuser
        and g.item.code == "XN-SJ-006"
        and g.occurred_at == original.called_at
    )
    assert g.status == rules.G_RECEIVED and g.first_response_due == date(2022, 3, 24)
    slip = g.notices.get(channel="slip")  # acknowledgement slip immediately
    assert g.number in slip.text
    check = selectors.tolerance_check(g)
    assert check["should_accept"]
    line = next(x for x in check["lines"] if x.missing)
    assert line.name == "从业人员健康证明" and line.tolerance and "容缺受理" in line.verdict
    chief = cx_staff["chief"]
    with pytest.raises(Forbidden):
        services.start_investigation(g, bbcs)
    with pytest.raises(InvalidTransition):
        services.handle_matter(g, chief, note="x")
    g = services.start_investigation(g, chief, "调取 302 窗口 10:00 的办理记录")
    assert (
        g.status == rules.G_INVESTIGATING
        and clock.local(g.first_response_at).date() <= g.first_response_due
    )
    g = services.record_finding(
        g,
        chief,
        upheld=True,
        conduct="inaction",
        note="从业人员健康证明为可容缺材料，窗口未按规定容缺受理，属不作为。",
    )
    finding = ConductFinding.objects.get(grievance=g)
    assert finding.staff == refuser and finding.get_kind_display() == "不作为"
    assert selectors.findings_for(refuser) == [finding]
    # the supervisor has the application accepted under 容缺 the same day
    sj = make_staff("clerk", outlet="XN-CX", name="市场监管窗口")
    case = cases.open_case(
        sj,
        item=g.item,
        outlet=g.outlet,
        window=Window.objects.get(code="CX-ZY-SJ-303"),
        applicant={
            "applicant_name": "刘大厨",
            "applicant_id_number": OWNER_ID,
            "applicant_phone": PHONE,
        },
    )
    cases.check_materials(
        sj,
        case,
        {
            m.pk: ("missing", "") if m.name == "从业人员健康证明" else ("received", "paper")
            for m in case.materials.all()
        },
    )
    case = cases.accept(
        sj, case, tolerance=True, promise="本人承诺 5 个工作日内补交从业人员健康证明。"
    )
    assert case.status == "accepted" and case.tolerance
    g = services.handle_matter(
        g, chief, case=case, note=f"已容缺受理，办件编号 {case.receipt_number}，群众签署容缺承诺。"
    )
    assert g.status == rules.G_FEEDBACK and g.case == case
    assert case.visits.count() == 1  # accepted on this trip: no extra visit
    g = services.record_person_feedback(g, bbcs, satisfied=True, note="当天就受理了，满意。")
    assert g.status == rules.G_ARCHIVED
    flow = [e.to_status for e in g.events.order_by("id")]
    assert flow == ["received", "investigating", "handling", "feedback", "archived"]


def test_unsatisfied_feedback_reopens_and_staff_can_reopen(db, demo, clock, cx_staff):
    clock.freeze(clock.at(2022, 3, 21, 10, 0))
    g = _hard(clock, cx_staff["bbcs_clerk"])
    g = services.decide_level(
        g,
        cx_staff["chief"],
        decision="局务会：可用住所申报承诺书",
        outcome="resolve",
        answer="请到街道开具住所申报承诺书后办理。",
    )
    with pytest.raises(ValidationFailed):
        services.record_person_feedback(g, None, satisfied=False, note="", token=g.public_token)
    with pytest.raises(NotFound):
        services.record_person_feedback(g, None, satisfied=True, token="wrong")
    g = services.record_person_feedback(
        g, None, satisfied=False, note="街道说不给开", token=g.public_token
    )
    assert g.status == rules.G_HANDLING and g.reopen_count == 1 and g.level == 1
    assert g.levels.filter(round=1, level=1).exists()  # the rung takes it up again
    g = services.decide_level(
        g, cx_staff["chief"], decision="协调街道", outcome="resolve", answer="街道已同意出具。"
    )
    g = services.record_person_feedback(g, None, satisfied=True, token=g.public_token)
    assert g.status == rules.G_ARCHIVED
    with pytest.raises(Forbidden):
        services.reopen(g, cx_staff["bbcs_clerk"], reason="x")
    g = services.reopen(g, cx_staff["director"], reason="群众再次来电反映街道未出具")
    assert g.status == rules.G_HANDLING and g.reopen_count == 2 and g.closed_at is None


def test_intake_validation(db, demo, clock, cx_staff):
    clock.freeze(clock.at(2022, 3, 21, 10, 0))
    bbcs = cx_staff["bbcs_clerk"]
    base = dict(outlet=cx(), category=rules.OTHER, description="x", phone=PHONE, actor=bbcs)
    for bad, code in [
        ({"category": "angry"}, "category_required"),
        ({"description": " "}, "description_required"),
        ({"phone": ""}, "phone_required"),
        ({"phone": "12345"}, "phone_invalid"),
        ({"id_number": "630104198001010000"}, "id_number_invalid"),
        (
            {"item": ServiceItem.objects.get(code="XN-SJ-006"), "missing_materials": ["户口本"]},
            "material_unknown",
        ),
    ]:
        with pytest.raises(ValidationFailed) as e:
            services.submit_grievance(**{**base, **bad})
        assert e.value.code == code, bad
    with pytest.raises(Forbidden):
        services.submit_grievance(**{**base, "actor": cx_staff["other_chief"]})
    g = services.submit_grievance(**base)
    assert g.number == "BB-XN-CX-20220321-001"
    assert services.submit_grievance(**base).number == g.number  # a repeat (test_grievance_dedupe)
    assert (
        services.submit_grievance(**{**base, "description": "y"}).number == "BB-XN-CX-20220321-002"
    )
    rows = selectors.grievance_rows(authz.SYSTEM, cx())
    assert rows[0].phone_masked == "139****5678"


def test_lists_and_summary(db, demo, clock, cx_staff):
    clock.freeze(clock.at(2022, 3, 21, 10, 0))
    g1 = _hard(clock, cx_staff["bbcs_clerk"])
    services.submit_grievance(
        outlet=cx(),
        category=rules.REFUSED,
        description="不给办",
        phone=PHONE,
        actor=cx_staff["bbcs_clerk"],
    )
    rows = selectors.grievance_rows(authz.SYSTEM, cx(), today=date(2022, 3, 25))
    by_number = {r.g.number: r for r in rows}
    assert (
        by_number[g1.number].overdue == ["本级超期"]
        and by_number[g1.number].level_name == "中心各科室科长局务会"
    )
    assert "首次答复超期" in [f for r in rows for f in r.overdue]
    groups = dict(selectors.grievances_by_level(rows))
    assert set(groups) == {"中心各科室科长局务会", "不给办"}
    s = selectors.summary(authz.SYSTEM, cx())
    assert s["grievances_open"] == 2 and s["grievances_by_category"]["很难办"] == 1
    assert s["grievances_open_by_level"] == {1: 1}
