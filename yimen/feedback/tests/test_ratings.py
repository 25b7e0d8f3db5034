"""好差评 through the services and HTTP: one rating per event, 差评 → rectification (S09)."""

from datetime import date

import pytest

from yimen.core.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from yimen.core.models import AuditEntry
from yimen.feedback import rules, selectors, services
from yimen.feedback.models import Rating, Rectification
from yimen.staff import authz

from .conftest import make_ticket


def test_s09_bad_rating_must_be_rectified(db, demo, clock, cx_staff):
    """S09: 40 min wait for XN-RS-004 at the 人社 window; 非常不满意; callback ≤ 1 workday; fix
    reported ≤ 15 workdays; closed only with callback + rectification notes; dashboard figures."""
    clock.freeze(clock.at(2022, 3, 24, 14, 30))
    ticket = make_ticket(
        "CX-ZY-RS-304", staff=cx_staff["clerk"], items=("XN-RS-004",), wait_minutes=40
    )
    rating = services.submit_rating(
        ticket=ticket,
        score=1,
        reasons=["wait_long"],
        comment="排队太久，窗口只开一个",
        channel="window",
    )
    assert rating.is_bad and rating.get_score_display() == "非常不满意"
    assert rating.window.code == "CX-ZY-RS-304" and rating.item.code == "XN-RS-004"
    assert rating.department.name == "城西区人力资源和社会保障局"
    rect = rating.rectification  # every 差评 creates a rectification task automatically
    assert rect.state == rules.R_VERIFY
    assert rect.callback_due == date(2022, 3, 25)  # 1 workday
    assert rect.rectify_due == date(
        2022, 4, 15
    )  # 15 workdays (清明 04-04/05 off, 04-02 调休 counted)
    chief = cx_staff["chief"]
    # cannot close without the callback
    with pytest.raises(InvalidTransition):
        services.act_on_rectification(rect, chief, "complete", "增开窗口", reported_back=True)
    clock.travel(hours=19)  # Fri 09:30: the officer calls the resident back
    rect = services.act_on_rectification(
        rect, chief, "callback", "电话回访：情况属实，高峰时段只开一个人社窗口。"
    )
    assert rect.state == rules.R_RECTIFYING
    with pytest.raises(ValidationFailed) as e:
        services.act_on_rectification(rect, chief, "complete", "")
    assert e.value.code == "rectification_note_required"
    with pytest.raises(ValidationFailed) as e:
        services.act_on_rectification(
            rect, chief, "complete", "高峰时段开放第二个人社窗口", reported_back=False
        )
    assert e.value.code == "report_back_required"
    clock.freeze(clock.at(2022, 3, 31, 10, 0))
    rect = services.act_on_rectification(
        rect,
        chief,
        "complete",
        "周一至周五 9:00–11:00 开放 305 窗口；社保卡补换同时下放至银行网点。已电话告知群众。",
        reported_back=True,
    )
    assert rect.state == rules.R_RECTIFIED and rect.closed_by == chief
    assert [s.action for s in rect.steps.all()] == ["open", "callback", "complete"]
    assert AuditEntry.objects.filter(
        action="rectification.complete", object_id=str(rect.pk)
    ).exists()
    # the person may rate once more afterwards, and only once
    state = services.rating_state(ticket=ticket)
    assert state["can_rate"] and state["round"] == 2
    again = services.submit_rating(ticket=ticket, score=4, channel="qr")
    assert again.round == 2 and not Rectification.objects.filter(rating=again).exists()
    with pytest.raises(Conflict):
        services.submit_rating(ticket=ticket, score=5, channel="qr")
    s = selectors.summary(authz.SYSTEM, start=date(2022, 3, 1), end=date(2022, 3, 31))
    assert s["bad"] == 1 and s["rectifications_closed"] == 1 and s["rectifications_open"] == 0
    assert s["rectification_rate"] == 1.0
    assert s["median_close_workdays"] == 5  # 03-24 → 03-31
    assert s["callbacks_on_time_rate"] == 1.0


def test_one_rating_per_service_event(db, demo, clock, cx_staff):
    clock.freeze(clock.at(2022, 3, 24, 10, 0))
    ticket = make_ticket(staff=cx_staff["clerk"])
    services.submit_rating(ticket=ticket, score=5, channel="window")
    with pytest.raises(Conflict) as e:
        services.submit_rating(
            ticket=ticket, score=1, reasons=["attitude"], comment="x", channel="qr"
        )
    assert e.value.code == "already_rated"
    assert Rating.objects.filter(ticket=ticket).count() == 1


def test_db_constraint_is_the_last_line(db, demo, clock, cx_staff):
    from django.db import IntegrityError, transaction

    clock.freeze(clock.at(2022, 3, 24, 10, 0))
    ticket = make_ticket(staff=cx_staff["clerk"])
    r = services.submit_rating(ticket=ticket, score=5, channel="window")
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(
            subject="ticket",
            ticket=ticket,
            round=1,
            score=4,
            channel="qr",
            outlet=r.outlet,
            created_at=r.created_at,
        )


def test_rating_needs_finished_ticket_and_reason(db, demo, clock, cx_staff):
    clock.freeze(clock.at(2022, 3, 24, 10, 0))
    ticket = make_ticket(staff=cx_staff["clerk"])
    with pytest.raises(ValidationFailed) as e:
        services.submit_rating(ticket=ticket, score=2, reasons=[], comment="", channel="qr")
    assert e.value.code == "reason_required"
    assert not Rating.objects.filter(ticket=ticket).exists()
    serving = make_ticket(staff=cx_staff["clerk"], status="serving")
    with pytest.raises(Conflict):
        services.submit_rating(ticket=serving, score=5, channel="qr")


def test_appeal_needs_chief_and_unfixable_needs_reason(db, demo, clock, cx_staff):
    clock.freeze(clock.at(2022, 3, 24, 10, 0))
    ticket = make_ticket(staff=cx_staff["clerk"])
    rect = services.submit_rating(
        ticket=ticket, score=2, reasons=["attitude"], comment="态度差", channel="qr"
    ).rectification
    with pytest.raises(Forbidden):
        services.act_on_rectification(rect, cx_staff["clerk"], "callback", "x")
    with pytest.raises(Forbidden):  # a chief of another centre
        services.act_on_rectification(rect, cx_staff["other_chief"], "callback", "x")
    rect = services.act_on_rectification(
        rect, cx_staff["director"], "callback", "回访：群众误把引导员当作窗口人员"
    )
    rect = services.act_on_rectification(
        rect, cx_staff["director"], "appeal", "视频核实窗口人员服务规范，差评对象错误"
    )
    assert rect.state == rules.R_APPEALED
    with pytest.raises(Forbidden):  # the director may file, only a chief approves
        services.act_on_rectification(rect, cx_staff["director"], "approve_appeal", "同意")
    rect = services.act_on_rectification(
        rect, cx_staff["chief"], "reject_appeal", "引导员服务也属中心服务，应整改"
    )
    assert rect.state == rules.R_RECTIFYING
    with pytest.raises(ValidationFailed):
        services.act_on_rectification(rect, cx_staff["chief"], "unfixable", "")
    rect = services.act_on_rectification(
        rect, cx_staff["chief"], "unfixable", "所涉引导员已离职，无法对个人整改；已全员培训。"
    )
    assert rect.state == rules.R_UNFIXABLE and not rect.is_open


def test_overdue_rectifications_flagged(db, demo, clock, cx_staff):
    clock.freeze(clock.at(2022, 3, 24, 10, 0))
    ticket = make_ticket(staff=cx_staff["clerk"])
    services.submit_rating(ticket=ticket, score=1, reasons=["slow"], comment="太慢", channel="qr")
    rows = selectors.rectification_rows(authz.SYSTEM, today=date(2022, 3, 28))
    assert rows[0].flags == ["回访超期"]
    rows = selectors.rectification_rows(authz.SYSTEM, today=date(2022, 4, 18))
    assert rows[0].flags == ["回访超期", "整改超期"]
    clock.freeze(clock.at(2022, 4, 18, 9, 0))
    assert selectors.summary(authz.SYSTEM)["rectifications_overdue"] == 1


def test_rating_token_and_pages(client, db, demo, clock, cx_staff):
    clock.freeze(clock.at(2022, 3, 24, 14, 30))
    ticket = make_ticket(staff=cx_staff["clerk"])
    url = selectors.rating_url(ticket=ticket)
    assert url.startswith("/feedback/rate/")
    page = client.get(url)
    assert page.status_code == 200 and ticket.number in page.content.decode()
    bad = client.post(url, {"score": "2"})
    assert bad.status_code == 400 and "至少选择一项原因" in bad.content.decode()
    ok = client.post(url, {"score": "1", "reasons": ["wait_long"], "comment": "排队太久"})
    assert ok.status_code == 302
    assert Rectification.objects.filter(rating__ticket=ticket).exists()
    assert "感谢" in client.get(ok["Location"]).content.decode()
    assert client.get("/feedback/rate/forged-token/").status_code == 404


def test_window_tablet_shows_just_finished_ticket(client, db, demo, clock, cx_staff):
    from yimen.outlets.models import Window
    from yimen.staff.services import sign_in_window

    clock.freeze(clock.at(2022, 3, 24, 14, 30))
    sign_in_window(cx_staff["clerk"], Window.objects.get(code="CX-ZY-RS-304"))
    client.force_login(
        cx_staff["clerk"].user
    )  # the tablet runs in the session of the window's clerk
    page = client.get("/feedback/rate/window/CX-ZY-RS-304/")
    assert page.status_code == 200 and "请稍候" in page.content.decode()
    ticket = make_ticket("CX-ZY-RS-304", staff=cx_staff["clerk"])
    page = client.get("/feedback/rate/window/CX-ZY-RS-304/")
    assert ticket.number in page.content.decode()
    r = client.post("/feedback/rate/window/CX-ZY-RS-304/", {"ticket": ticket.pk, "score": "5"})
    assert r.status_code == 302
    assert Rating.objects.get(ticket=ticket).channel == "window"
    assert client.get("/feedback/rate/window/NO-SUCH/").status_code == 404


def test_api_submit_rating(client, db, demo, clock, cx_staff):
    clock.freeze(clock.at(2022, 3, 24, 14, 30))
    ticket = make_ticket(staff=cx_staff["clerk"])
    token = services.rating_token(ticket=ticket)
    r = client.post(
        "/api/feedback/ratings", {"token": token, "score": 9}, content_type="application/json"
    )
    assert r.status_code in (400, 422)
    r = client.post(
        "/api/feedback/ratings", {"token": token, "score": 1}, content_type="application/json"
    )
    assert r.status_code == 400 and r.json()["code"] == "reason_required"
    r = client.post(
        "/api/feedback/ratings",
        {"token": token, "score": 1, "reasons": ["wait_long"], "comment": "等太久"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["score_label"] == "非常不满意" and body["rectification"]["state"] == "verify"
    r = client.post(
        "/api/feedback/ratings", {"token": token, "score": 5}, content_type="application/json"
    )
    assert r.status_code == 409
    r = client.post(
        "/api/feedback/ratings", {"token": "nope", "score": 5}, content_type="application/json"
    )
    assert r.status_code == 404


def test_case_rating_opens_rectification_for_the_department(db, demo, clock, cx_staff):
    from yimen.cases import services as cases
    from yimen.catalog.models import ServiceItem
    from yimen.core.validators import make_resident_id

    clock.freeze(clock.at(2022, 3, 17, 9, 40))
    item = ServiceItem.objects.get(code="XN-CG-001")
    zh = cx_staff["clerk"]
    ticket = make_ticket(
        "CX-ZH-201", staff=zh, items=("XN-CG-001",), status="serving", wait_minutes=2
    )
    case = cases.open_case(
        zh,
        item=item,
        ticket=ticket,
        applicant={
            "applicant_name": "王师傅",
            "applicant_id_number": make_resident_id("630104", date(1985, 1, 2), 5),
            "applicant_phone": "13700001111",
        },
    )
    with pytest.raises(Conflict):  # not accepted yet
        services.submit_rating(case=case, score=5, channel="portal")
    cases.check_materials(
        zh, case, {m.pk: ("received", "paper") for m in case.materials.filter(required=True)}
    )
    case = cases.accept(zh, case)
    url = selectors.rating_url(case=case)
    subject, obj = services.resolve_rating_token(url.rstrip("/").rsplit("/", 1)[-1])
    assert subject == "case" and obj.pk == case.pk
    rating = services.submit_rating(
        case=case, score=2, reasons=["unclear"], comment="材料说明不清楚", channel="portal"
    )
    assert rating.subject == "case" and rating.department == item.department and rating.staff == zh
    assert rating.rectification.department == item.department


def test_summary_command(db, demo, clock, cx_staff):
    import json
    from io import StringIO

    from django.core.management import call_command

    clock.freeze(clock.at(2022, 3, 24, 14, 30))
    services.submit_rating(
        ticket=make_ticket(staff=cx_staff["clerk"]),
        score=1,
        reasons=["wait_long"],
        comment="久等",
        channel="qr",
    )
    out = StringIO()
    call_command("feedback", "summary", "--outlet", "XN-CX", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["bad"] == 1 and data["rectifications_open"] == 1


def test_rating_link_api_and_tablet_guard(client, db, demo, clock, cx_staff):
    from yimen.staff.tokens import issue_token

    clock.freeze(clock.at(2022, 3, 24, 14, 30))
    ticket = make_ticket(staff=cx_staff["clerk"])
    assert client.get(f"/api/feedback/rating-link?ticket={ticket.pk}").status_code == 401
    _, raw = issue_token(outlet=ticket.outlet)  # the kiosk/printer of the centre
    body = client.get(
        f"/api/feedback/rating-link?ticket={ticket.pk}", HTTP_AUTHORIZATION=f"Bearer {raw}"
    ).json()
    assert (
        "/feedback/rate/" in body["url"]
        and services.resolve_rating_token(body["token"])[1].pk == ticket.pk
    )
    from yimen.outlets.models import Outlet

    _, other = issue_token(outlet=Outlet.objects.get(code="XN-CB"))
    assert (
        client.get(
            f"/api/feedback/rating-link?ticket={ticket.pk}", HTTP_AUTHORIZATION=f"Bearer {other}"
        ).status_code
        == 404
    )
    # the tablet only rates the ticket it shows, within 30 minutes
    client.force_login(cx_staff["clerk"].user)
    r = client.post(
        "/feedback/rate/window/CX-ZY-RS-304/", {"ticket": ticket.pk + 999, "score": "5"}
    )
    assert r.status_code == 409
    clock.travel(minutes=31)
    r = client.post("/feedback/rate/window/CX-ZY-RS-304/", {"ticket": ticket.pk, "score": "5"})
    assert r.status_code == 409 and not Rating.objects.filter(ticket=ticket).exists()


def test_dashboard_scopes(client, db, demo, clock, cx_staff):
    from yimen.outlets.models import Outlet
    from yimen.staff.testing import make_staff

    clock.freeze(clock.at(2022, 3, 24, 14, 30))
    services.submit_rating(
        ticket=make_ticket(staff=cx_staff["clerk"]),
        score=1,
        reasons=["wait_long"],
        comment="久等",
        channel="qr",
    )
    services.submit_grievance(
        outlet=Outlet.objects.get(code="XN-CB"),
        category="other",
        description="城北的反映",
        phone="13912345678",
        actor=cx_staff["other_chief"],
    )
    client.force_login(cx_staff["chief"].user)
    page = client.get("/feedback/").content.decode()
    assert "待办差评整改" in page and "城北的反映" not in page and 'id="bad-count">1<' in page
    client.force_login(
        cx_staff["clerk"].user
    )  # a clerk sees grievances and the intake, not the ratings
    page = client.get("/feedback/").content.decode()
    assert "待办差评整改" not in page and "登记“办不成事”反映" in page
    client.force_login(make_staff("leader", region_code="630105").user)  # 城北区 leader
    page = client.get("/feedback/").content.decode()
    assert "BB-XN-CB-" in page
    client.force_login(cx_staff["leader"].user)  # 城西区 leader does not see 城北
    page = client.get("/feedback/").content.decode()
    assert "BB-XN-CB-" not in page and 'id="bad-count">1<' in page
    assert selectors.summary(make_staff("leader", region_code="630105"))["bad"] == 0
    client.logout()
    assert client.get("/feedback/").status_code == 302
