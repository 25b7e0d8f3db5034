"""Staff notices (the bell): who is told of what, once; every read scoped; the API."""

from datetime import date, timedelta

import pytest

from yimen.cases import services as case_services
from yimen.cases.tests.conftest import approver, called_ticket, clerk_at, mark_all, person
from yimen.catalog.models import ServiceItem
from yimen.feedback import rules as feedback_rules, services as feedback_services
from yimen.feedback.tests.conftest import make_ticket
from yimen.outlets.models import Outlet
from yimen.outreach import notices
from yimen.outreach.models import Notice
from yimen.staff.testing import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(demo):
    return {
        "clerk": make_staff("clerk", outlet="XN-CX", name="李窗口"),
        "chief": make_staff("chief", outlet="XN-CX", name="赵科长"),
        "director": make_staff("director", outlet="XN-CX", name="钱主任"),
        "leader": make_staff("leader", name="孙区长", region_code="630104"),
        "far_leader": make_staff("leader", name="外区领导", region_code="630105"),
        "other_chief": make_staff("chief", outlet="XN-CB", name="周科长"),
    }


def bad_rating(people):
    ticket = make_ticket("CX-ZY-RS-304", staff=people["clerk"], items=("XN-RS-004",))
    return feedback_services.submit_rating(
        ticket=ticket, score=1, reasons=["wait_long"], comment="排队太久", channel="window"
    )


def hard_grievance(actor, phone="13800138000"):
    return feedback_services.submit_grievance(
        actor=actor,
        outlet=Outlet.objects.get(code="XN-CX"),
        category=feedback_rules.HARD,
        item=ServiceItem.objects.get(code="XN-SJ-001"),
        description="老楼没有房产证，开不出经营场所使用证明，办不了个体执照。",
        phone=phone,
        applicant_name="马建国",
    )


def test_bad_rating_tells_the_outlets_chief_and_director_once(people, clock):
    clock.freeze(clock.at(2022, 3, 24, 14, 30))
    rating = bad_rating(people)
    assert notices.counts(people["chief"])["by_kind"]["bad_rating"] == 1
    assert notices.counts(people["director"])["unread"] == 1
    for who in ("clerk", "other_chief", "leader"):
        assert notices.counts(people[who])["unread"] == 0
    (n,) = notices.listing(people["chief"])
    assert n.link == f"/feedback/rectifications/{rating.rectification.pk}/"
    assert notices.bad_rating(rating.rectification) == 0  # a second call adds nothing


def test_grievance_then_escalation_warning_to_the_districts_leader(people, clock):
    clock.freeze(clock.at(2022, 3, 21, 10, 0))
    g = hard_grievance(people["clerk"])
    assert notices.counts(people["chief"])["by_kind"]["grievance"] == 1
    assert notices.counts(people["leader"])["unread"] == 0
    g.refresh_from_db()
    assert g.level == 1 and g.level_due is not None
    # well before the rung ends: nothing; the working day before it ends: the leader is warned
    assert notices.warn_escalations(g.level_due - timedelta(days=10)).done == []
    from yimen.core.selectors import work_calendar

    day_before = work_calendar().add_workdays(g.level_due, -1).date
    assert notices.warn_escalations(day_before).done == [g.number]
    assert notices.warn_escalations(g.level_due).done == []  # once
    assert notices.counts(people["leader"])["by_kind"]["escalation"] == 1
    assert notices.counts(people["far_leader"])["unread"] == 0


def test_deadline_warning_tells_the_departments_approvers(demo, clock):
    clock.freeze(clock.at(2022, 3, 25, 9, 30))
    clerk, w = clerk_at("CX-ZH-201")
    ticket = called_ticket(w, clerk, ["XN-WS-001"])
    case = case_services.open_case(
        clerk, item=ServiceItem.objects.get(code="XN-WS-001"), ticket=ticket, applicant=person()
    )
    mark_all(case, missing=["卫生检测"])
    case_services.accept(clerk, case, tolerance=True, promise="本人承诺补交卫生检测报告")
    mine = approver(case.item.department.code)
    other = approver("XN-CG" if case.item.department.code != "XN-CG" else "XN-WS")
    case_services.refresh_time_status(date(2022, 3, 28))
    assert notices.counts(mine)["unread"] == 0
    case_services.refresh_time_status(date(2022, 3, 29))
    case_services.refresh_time_status(date(2022, 3, 29))
    assert notices.counts(mine)["by_kind"]["deadline"] == 1
    assert notices.counts(other)["unread"] == 0


def test_a_clerk_never_sees_another_outlets_notice(people, clock):
    clock.freeze(clock.at(2022, 3, 24, 14, 30))
    bad_rating(people)
    # a notice addressed to a clerk of XN-CX but about XN-CB (moved outlet, bad data): not shown
    Notice.objects.create(
        recipient=people["clerk"],
        outlet=Outlet.objects.get(code="XN-CB"),
        kind=Notice.GRIEVANCE,
        title="别的网点",
        dedupe_key="test:elsewhere",
        created_at=clock.now(),
    )
    assert notices.counts(people["clerk"])["unread"] == 0
    assert notices.listing(people["clerk"]) == []
    chiefs = notices.listing(people["chief"])
    from yimen.core.errors import NotFound

    with pytest.raises(NotFound):
        notices.mark_read(people["other_chief"], chiefs[0].pk)
    assert notices.mark_read(people["chief"], chiefs[0].pk) == 1
    assert notices.counts(people["chief"])["unread"] == 0


def test_api_counts_scope_and_anonymous(people, clock, client):
    clock.freeze(clock.at(2022, 3, 24, 14, 30))
    bad_rating(people)
    anonymous = client.get("/api/notices")
    assert anonymous.status_code == 401 and set(anonymous.json()) >= {"code", "message"}
    refused = client.post("/api/notices/read-all")
    assert refused.status_code in (401, 403) and "message" in refused.json()
    client.force_login(people["chief"].user)
    body = client.get("/api/notices").json()
    assert body["unread"] == 1 and body["by_kind"]["bad_rating"] == 1
    (item,) = body["items"]
    assert item["kind_label"] == "新差评" and item["read"] is False
    client.force_login(people["other_chief"].user)
    assert client.get("/api/notices").json() == {
        "unread": 0,
        "by_kind": {"deadline": 0, "bad_rating": 0, "grievance": 0, "escalation": 0},
        "items": [],
    }
    missing = client.post(f"/api/notices/{item['id']}/read")
    assert missing.status_code == 404 and missing.json()["code"] == "notice_not_found"
    client.force_login(people["chief"].user)
    assert client.post(f"/api/notices/{item['id']}/read").json() == {"marked": 1}
    assert client.get("/api/notices?unread=true").json()["items"] == []


def test_bell_in_the_header_and_notices_page(people, clock, client):
    clock.freeze(clock.at(2022, 3, 24, 14, 30))
    bad_rating(people)
    client.force_login(people["chief"].user)
    page = client.get("/staff/").content.decode()
    assert 'id="bell-count">1<' in page and "新差评 1" in page
    listing = client.get("/outreach/notices/").content.decode()
    assert "新差评" in listing and "全部标为已读" in listing
    client.post("/outreach/notices/read-all/")
    assert 'id="bell-count"' not in client.get("/staff/").content.decode()
    client.logout()
    assert client.get("/outreach/notices/").status_code in (302, 401)


def test_opening_a_notice_goes_only_to_a_path_of_this_site(people, clock, client):
    """The notice's link is followed only when it is a local path ("//host/…" is another site)."""
    from yimen.core import clock as project_clock

    chief = people["chief"]
    client.force_login(chief.user)
    for n, (link, to) in enumerate(
        [
            ("/feedback/", "/feedback/"),
            ("//evil.example/x", "/outreach/notices/"),
            ("/\\evil.example", "/outreach/notices/"),
            ("https://evil.example/", "/outreach/notices/"),
        ]
    ):
        notice = Notice.objects.create(
            recipient=chief,
            outlet=chief.outlet,
            kind=Notice.GRIEVANCE,
            title=f"t{n}",
            link=link,
            dedupe_key=f"link:{n}",
            created_at=project_clock.now(),
        )
        r = client.post(f"/outreach/notices/{notice.pk}/read/", {"open": "1"})
        assert r.status_code == 302 and r["Location"] == to, (link, r["Location"])
