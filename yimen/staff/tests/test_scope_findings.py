"""Regression tests of issue 14 §1 (object-level scope) through the policy, the selectors and HTTP:
a 城西区 leader does not read 城东区; a director reads only his outlet's cases; a scoped rule with
no scope fails closed; unknown models are an error, not unfiltered; window-bound actions need the
window one is signed in to."""

import pytest

from yimen.core.errors import Forbidden
from yimen.staff import authz
from yimen.staff.models import WindowSession
from yimen.staff.testing import make_staff
from yimen.staff.tokens import issue_token

from .test_scope_matrix import DISTRICT, OTHER, OWN, world  # noqa: F401  (the fixture)


def _bearer(staff):
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_token(staff=staff)[1]}"}


def test_leader_of_chengxi_reads_nothing_of_chengdong(client, world):
    from yimen.cases import selectors as case_selectors
    from yimen.feedback import selectors as fb

    places, people, _ = world
    leader, cd = people["leader"], places[OTHER]
    # selectors
    assert cd.case not in case_selectors.visible_cases(leader)
    assert all(r.g.outlet_id != cd.outlet.pk for r in fb.grievance_rows(leader))
    assert all(r.rect.outlet_id != cd.outlet.pk for r in fb.rectification_rows(leader))
    mine = fb.summary(leader)
    assert mine["grievances"] == 2 and mine["bad"] == 2  # XN-CX and XN-NSH-01, not XN-CD
    assert fb.summary(authz.SYSTEM)["grievances"] == 3
    # API: the district summary (no outlet) leaves 城东区 out; asking for it is refused
    body = client.get("/api/feedback/summary", **_bearer(leader)).json()
    assert body["grievances"] == 2 and body["bad"] == 2
    r = client.get(f"/api/feedback/summary?outlet={cd.outlet.code}", **_bearer(leader))
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert (
        client.get(f"/api/feedback/grievances/{cd.grievance.number}", **_bearer(leader)).status_code
        == 404
    )
    assert client.get(f"/api/cases/{cd.case.pk}", **_bearer(leader)).status_code == 404
    # web: the 台账 and the case list of the district do not show 城东区's rows
    client.force_login(leader.user)
    page = client.get("/feedback/").content.decode()
    assert places[OWN].grievance.number in page and places[DISTRICT].grievance.number in page
    assert cd.grievance.number not in page
    page = client.get("/cases/").content.decode()
    assert places[OWN].case.receipt_number in page and cd.case.receipt_number not in page
    assert client.get(f"/cases/{cd.case.pk}/").status_code == 404
    assert client.get(f"/feedback/?outlet={cd.outlet.code}").status_code == 403


def test_director_reads_only_his_outlets_cases(client, world):
    from yimen.cases import selectors as case_selectors

    places, people, _ = world
    director = people["director"]
    visible = set(case_selectors.visible_cases(director).values_list("pk", flat=True))
    assert places[OWN].case.pk in visible
    assert places[DISTRICT].case.pk not in visible and places[OTHER].case.pk not in visible
    for where in (DISTRICT, OTHER):
        assert (
            client.get(f"/api/cases/{places[where].case.pk}", **_bearer(director)).status_code
            == 404
        )
    client.force_login(director.user)
    page = client.get("/cases/").content.decode()
    assert places[OWN].case.receipt_number in page
    assert (
        places[DISTRICT].case.receipt_number not in page
        and places[OTHER].case.receipt_number not in page
    )
    assert client.get(f"/cases/{places[OTHER].case.pk}/").status_code == 404
    # the time-limit lists are scoped as well
    body = client.get("/api/case-time-limits", **_bearer(director)).json()
    assert body["department"] is None  # (no department filter: the director's outlet is the scope)


def test_approver_reads_his_department_across_outlets(world):
    from yimen.cases import selectors as case_selectors
    from yimen.catalog.models import ServiceItem

    places, _, _ = world
    rs = make_staff("approver", department="XN-RS")
    visible = set(case_selectors.visible_cases(rs).values_list("pk", flat=True))
    assert visible >= {places[DISTRICT].case.pk, places[OTHER].case.pk}
    assert places[OWN].case.pk not in visible
    assert ServiceItem.objects.get(pk=places[OWN].case.item_id).department.code == "XN-WS"


def test_scoped_rule_without_scope_fails_closed(world):
    _, people, _ = world
    clerk, leader, approver = people["clerk"], people["leader"], people["approver"]
    # before: a missing outlet silently skipped the check; now it raises
    for who, action in (
        (clerk, "queue.view"),
        (leader, "feedback.grievance.view"),
        (approver, "case.view"),
        (clerk, "staff.rota.view"),
        (leader, "feedback.level.leader"),
    ):
        with pytest.raises(authz.ScopeMissing):
            authz.authorize(who, action)
        assert authz.check(who, action) is False
    # an unscoped rule and the admin still pass without scope
    assert authz.check(clerk, "staff.workbench")
    assert authz.check(people["admin"], "case.view")
    # the role check alone is explicit, and never a scope check
    assert authz.authorize_role(leader, "feedback.dashboard") == leader


def test_unknown_model_is_an_error_not_unfiltered(world):
    from yimen.core.models import AuditEntry

    _, people, _ = world
    with pytest.raises(LookupError):
        authz.visible_to(people["admin"], AuditEntry.objects.all())
    with pytest.raises(LookupError):
        authz.authorize(people["clerk"], "queue.view", AuditEntry())


def test_authorize_derives_scope_from_the_object(world):
    places, people, _ = world
    for obj in ("ticket", "case", "grievance"):
        own, other = getattr(places[OWN], obj), getattr(places[OTHER], obj)
        action = {
            "ticket": "queue.view",
            "case": "case.view",
            "grievance": "feedback.grievance.view",
        }[obj]
        assert authz.check(people["clerk"], action, own)
        assert not authz.check(people["clerk"], action, other)
        assert authz.check(people["leader"], action, getattr(places[DISTRICT], obj))
        assert not authz.check(people["leader"], action, other)
    # the approver's scope is the department of the case's item
    assert authz.check(people["approver"], "case.review", places[OWN].case)
    assert not authz.check(people["approver"], "case.review", places[DISTRICT].case)
    # the old keywords keep working
    assert authz.check(people["clerk"], "queue.view", outlet=places[OWN].outlet)
    assert not authz.check(people["clerk"], "queue.view", outlet=places[OTHER].outlet.pk)


def test_window_bound_only_at_the_window_one_is_signed_in_to(world, clock):
    from yimen.outlets.models import Window
    from yimen.staff.services import sign_in_window

    places, people, _ = world
    w201 = Window.objects.get(code="CX-ZH-201")
    w202 = Window.objects.get(code="CX-ZH-202")
    clerk = make_staff("clerk", outlet="XN-CX")
    with pytest.raises(Forbidden):
        authz.authorize(clerk, "queue.call", window=w201)  # not signed in anywhere
    sign_in_window(clerk, w201)
    assert authz.authorize(clerk, "queue.call", window=w201) == clerk
    assert authz.authorize(clerk, "queue.call", places[OWN].ticket, window=w201.pk) == clerk
    with pytest.raises(Forbidden) as exc:
        authz.authorize(clerk, "queue.call", window=w202)  # a colleague's window
    assert exc.value.code == "not_your_window"
    # a window-bound rule without a window fails closed, also for the admin
    with pytest.raises(authz.ScopeMissing):
        authz.authorize(clerk, "feedback.rating.link_ticket", places[OWN].ticket)
    with pytest.raises(authz.ScopeMissing):
        authz.authorize(people["admin"], "feedback.rating.link_ticket", places[OWN].ticket)
    WindowSession.objects.filter(staff=clerk).update(ended_at=clock.now())
    with pytest.raises(Forbidden):
        authz.authorize(clerk, "queue.call", window=w201)  # signed out
