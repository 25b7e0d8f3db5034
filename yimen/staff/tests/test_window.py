"""Window sign-in, pause (午餐接力), resume, hand-over (atomic), sign-out — services, page, API."""

import pytest
from django.db import IntegrityError, transaction

from yimen.core.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from yimen.core.models import AuditEntry
from yimen.outlets.models import Window
from yimen.staff import selectors, services
from yimen.staff.models import Staff, WindowSession
from yimen.staff.testing import make_staff
from yimen.staff.tokens import issue_token


@pytest.fixture
def w201(demo):
    return Window.objects.get(code="CX-ZH-201")


@pytest.fixture
def clerks(demo):
    return (
        make_staff("clerk", outlet="XN-CX", name="甲"),
        make_staff("clerk", outlet="XN-CX", name="乙"),
    )


def test_full_cycle_is_audited_and_visible_to_the_queue(w201, clerks):
    a, b = clerks
    assert selectors.window_state(w201) == "closed"
    services.sign_in_window(a, w201)
    assert selectors.window_state(w201) == "serving"
    services.pause_window(a, "午餐接力")
    assert selectors.window_state(w201) == "paused"
    assert selectors.current_session(w201).pause_reason == "午餐接力"
    services.resume_window(a)
    services.hand_over(a, b, reason="午餐接力")  # an offer: a keeps the window until b confirms
    assert selectors.current_session(w201).staff == a
    new = services.accept_hand_over(b)
    assert new.staff == b and selectors.window_state(w201) == "serving"
    assert selectors.session_of(a) is None
    services.sign_out_window(b)
    assert selectors.window_state(w201) == "closed"
    actions = list(
        AuditEntry.objects.filter(object_type="staff.windowsession").values_list(
            "action", flat=True
        )
    )
    assert actions == [
        "window.sign_in",
        "window.pause",
        "window.resume",
        "window.hand_over",
        "window.sign_out",
    ]


def test_one_clerk_per_window_and_one_window_per_clerk(w201, clerks):
    a, b = clerks
    services.sign_in_window(a, w201)
    with pytest.raises(Conflict):
        services.sign_in_window(b, w201)
    with pytest.raises(Conflict):
        services.sign_in_window(a, Window.objects.get(code="CX-ZH-202"))
    assert services.sign_in_window(a, w201).staff == a  # idempotent


def test_database_constraint_is_the_last_line(w201, clerks):
    a, b = clerks
    services.sign_in_window(a, w201)
    with pytest.raises(IntegrityError), transaction.atomic():
        WindowSession.objects.create(
            window=w201, staff=b, started_at=WindowSession.objects.first().started_at
        )


def test_scope_and_role_are_checked_in_services(w201, demo):
    other_outlet_clerk = make_staff("clerk", outlet="XN-CD")
    with pytest.raises(Forbidden):
        services.sign_in_window(other_outlet_clerk, w201)
    with pytest.raises(Forbidden):
        services.sign_in_window(make_staff("guide", outlet="XN-CX"), w201)
    clerk = make_staff("clerk", outlet="XN-CX")
    with pytest.raises(ValidationFailed):
        services.sign_in_window(clerk, Window.objects.get(code="CX-GUIDE"))


def test_invalid_transitions_and_inputs(w201, clerks):
    a, b = clerks
    with pytest.raises(Conflict):
        services.pause_window(a, "午餐接力")  # not signed in
    services.sign_in_window(a, w201)
    with pytest.raises(ValidationFailed):
        services.pause_window(a, "  ")
    with pytest.raises(InvalidTransition):
        services.resume_window(a)
    services.pause_window(a, "临时离岗")
    with pytest.raises(InvalidTransition):
        services.pause_window(a, "临时离岗")
    with pytest.raises(ValidationFailed):
        services.hand_over(a, a)
    with pytest.raises(Forbidden):
        services.hand_over(a, make_staff("clerk", outlet="XN-CD"))
    services.sign_in_window(b, Window.objects.get(code="CX-ZH-202"))
    with pytest.raises(Conflict):
        services.hand_over(a, b)  # b is busy at 202
    assert selectors.window_state(w201) == "paused"  # nothing changed


def test_hand_over_never_shows_the_window_closed(w201, clerks, django_assert_max_num_queries):
    """Both steps happen in one transaction: a failure in the middle leaves the old session open."""
    a, b = clerks
    services.sign_in_window(a, w201)
    from unittest import mock

    services.hand_over(a, b)
    with mock.patch("yimen.staff.window_sessions.audit.record", side_effect=RuntimeError("boom")):
        with pytest.raises(RuntimeError):
            services.accept_hand_over(b)
    assert selectors.current_session(w201).staff == a


def test_chief_can_close_an_abandoned_window(w201, clerks):
    a, _ = clerks
    services.sign_in_window(a, w201)
    chief = make_staff("chief", outlet="XN-CX")
    with pytest.raises(ValidationFailed):
        services.close_window(chief, w201, reason="")
    services.close_window(chief, w201, reason="人员离岗未签退")
    assert selectors.window_state(w201) == "closed"
    with pytest.raises(Forbidden):
        services.close_window(make_staff("chief", outlet="XN-CD"), w201, reason="x")


def test_window_page_flow(client, w201, clerks):
    a, b = clerks
    client.force_login(a.user)
    page = client.get("/staff/window/").content.decode()
    assert "签到201号窗口" in page
    client.post("/staff/window/", {"op": "sign_in", "window": w201.pk})
    client.post("/staff/window/", {"op": "pause", "reason": "午餐接力"})
    assert "暂停 · 午餐接力" in client.get("/staff/window/").content.decode()
    client.post("/staff/window/", {"op": "hand_over", "to": b.pk, "reason": "午餐接力"})
    assert selectors.current_session(w201).staff == a  # until b confirms
    client.force_login(b.user)
    client.post("/staff/window/", {"op": "accept_hand_over"})
    assert selectors.current_session(w201).staff == b
    client.force_login(a.user)
    # errors are shown, never a 500
    r = client.post("/staff/window/", {"op": "pause", "reason": "午餐接力"}, follow=True)
    assert "您当前没有签到任何窗口" in r.content.decode()
    r = client.post("/staff/window/", {"op": "sign_in", "window": "abc"}, follow=True)
    assert r.status_code == 200 and "找不到该窗口" in r.content.decode()


def test_api_with_bearer_token(client, w201, clerks):
    a, b = clerks
    _, raw = issue_token(staff=a)
    h = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    r = client.post(
        "/api/staff/window/sign-in", {"window": "CX-ZH-201"}, content_type="application/json", **h
    )
    assert r.status_code == 200 and r.json()["state"] == "serving"
    r = client.post("/api/staff/window/pause", {"reason": ""}, content_type="application/json", **h)
    assert r.status_code == 400 and "暂停原因" in r.json()["message"]
    r = client.post(
        "/api/staff/window/hand-over", {"to": b.user.username}, content_type="application/json", **h
    )
    assert (
        r.status_code == 201
        and r.json()["to_staff"] == b.user.username
        and r.json()["state"] == "pending"
    )
    _, raw_b = issue_token(staff=b)
    r = client.post(
        "/api/staff/window/hand-over/accept",
        {},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw_b}",
    )
    assert r.status_code == 200 and r.json()["staff"] == b.user.username
    states = client.get("/api/staff/outlets/XN-CX/windows", **h).json()
    assert {"window": "CX-ZH-201", "number": "201", "state": "serving"} in states
    me = client.get("/api/staff/me", **h).json()
    assert me["window_state"] == "closed" and "****" not in me["username"]
    assert client.get("/api/staff/me").status_code == 401


def test_device_token_reads_only_its_outlet(client, demo):
    from yimen.outlets.models import Outlet

    _, raw = issue_token(outlet=Outlet.objects.get(code="XN-CX"))
    h = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client.get("/api/staff/outlets/XN-CX/windows", **h).status_code == 200
    assert client.get("/api/staff/outlets/XN-CD/windows", **h).status_code == 404
    assert client.post("/api/staff/window/resume", **h).status_code == 401


def test_session_api_requires_csrf(w201, clerks):
    from django.test import Client

    a, _ = clerks
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(a.user)
    r = strict.post(
        "/api/staff/window/sign-in", {"window": "CX-ZH-201"}, content_type="application/json"
    )
    assert r.status_code == 403 and r.json()["code"] == "csrf_failed"  # not a misleading 401
    assert selectors.window_state(w201) == "closed"


def test_workbench_shows_role_scope_and_links(client, demo):
    clerk = Staff.objects.get(user__username="cx_zh_201")
    client.force_login(clerk.user)
    page = client.get("/staff/").content.decode()
    assert "窗口人员" in page and "城西区市民服务中心" in page and 'href="/queue/console/"' in page
    assert clerk.phone not in page and "****" in page  # masked
    leader = Staff.objects.get(user__username="cx_leader")
    client.force_login(leader.user)
    page = client.get("/staff/").content.decode()
    assert "区领导" in page and "630104" in page


def test_chief_closes_abandoned_window_from_the_page(client, w201, clerks):
    a, _ = clerks
    services.sign_in_window(a, w201)
    chief = make_staff("chief", outlet="XN-CX")
    client.force_login(chief.user)
    page = client.get("/staff/window/").content.decode()
    assert "强制关闭" in page and "签到201号窗口" not in page
    r = client.post("/staff/window/", {"op": "close", "window": w201.pk, "reason": ""}, follow=True)
    assert "请填写关闭原因" in r.content.decode() and selectors.window_state(w201) == "serving"
    client.post("/staff/window/", {"op": "close", "window": w201.pk, "reason": "离岗未签退"})
    assert selectors.window_state(w201) == "closed"
    assert AuditEntry.objects.filter(action="window.close").exists()
