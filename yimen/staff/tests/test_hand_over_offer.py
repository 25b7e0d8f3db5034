"""Issue 14 §1: a window is handed over only to a colleague who agrees. The hand-over is an offer
that takes effect when the colleague confirms (on their window page or by API); the offering clerk
keeps the window until then, may withdraw it; it lapses; both steps are audited."""

from datetime import timedelta

import pytest

from yimen.core import clock as project_clock
from yimen.core.errors import Conflict
from yimen.core.models import AuditEntry
from yimen.outlets.models import Window
from yimen.staff import selectors, services
from yimen.staff.models import HandOverOffer
from yimen.staff.testing import make_staff
from yimen.staff.tokens import issue_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def w201(demo):
    return Window.objects.select_related("outlet").get(code="CX-ZH-201")


@pytest.fixture
def trio(w201):
    """甲 signed in at 201; 乙 and 丙 free colleagues of the same outlet."""
    a, b, c = (make_staff("clerk", outlet="XN-CX", name=n) for n in ("甲", "乙", "丙"))
    services.sign_in_window(a, w201)
    return a, b, c


def holder(window):
    return selectors.current_session(window).staff


def test_offer_changes_nothing_until_the_colleague_confirms(w201, trio):
    a, b, _c = trio
    offer = services.hand_over(a, b, reason="午餐接力")
    assert offer.state == HandOverOffer.PENDING and holder(w201) == a
    assert selectors.offer_made(selectors.session_of(a)) == offer
    assert selectors.offers_for(b) == [offer]
    assert (
        services.hand_over(a, b, reason="午餐接力").pk == offer.pk
    )  # a double click: the same offer
    session = services.accept_hand_over(b)
    assert session.staff == b and holder(w201) == b and selectors.session_of(a) is None
    assert HandOverOffer.objects.get(pk=offer.pk).state == HandOverOffer.ACCEPTED
    assert selectors.offers_for(b) == []
    offered = AuditEntry.objects.get(action="window.hand_over_offer")
    assert offered.actor_label and offered.summary["after"]["to"] == b.user.username
    taken = AuditEntry.objects.get(action="window.hand_over")
    assert (
        taken.summary["before"]["staff"] == a.user.username
        and taken.summary["after"]["staff"] == b.user.username
    )


def test_only_the_named_colleague_can_confirm(w201, trio):
    a, b, c = trio
    offer = services.hand_over(a, b)
    with pytest.raises(Conflict) as refused:
        services.accept_hand_over(c, offer.pk)
    assert refused.value.code == "no_offer"
    with pytest.raises(Conflict):
        services.accept_hand_over(c)
    assert holder(w201) == a


def test_withdraw_decline_and_replace(w201, trio):
    a, b, c = trio
    services.hand_over(a, b)
    services.withdraw_hand_over(a)
    with pytest.raises(Conflict):
        services.accept_hand_over(b)
    with pytest.raises(Conflict):
        services.withdraw_hand_over(a)  # nothing left to withdraw
    first = services.hand_over(a, b)
    second = services.hand_over(a, c)  # a new offer replaces the pending one
    assert HandOverOffer.objects.get(pk=first.pk).state == HandOverOffer.WITHDRAWN
    with pytest.raises(Conflict):
        services.accept_hand_over(b, first.pk)
    services.decline_hand_over(c)
    assert HandOverOffer.objects.get(pk=second.pk).state == HandOverOffer.DECLINED
    with pytest.raises(Conflict):
        services.accept_hand_over(c, second.pk)
    assert holder(w201) == a
    actions = set(
        AuditEntry.objects.filter(object_type="staff.handoveroffer").values_list(
            "action", flat=True
        )
    )
    assert {
        "window.hand_over_offer",
        "window.hand_over_withdrawn",
        "window.hand_over_declined",
    } <= actions


def test_offer_lapses(w201, trio, clock):
    a, b, _c = trio
    clock.freeze(project_clock.now())
    services.hand_over(a, b)
    clock.travel(minutes=services.offer_minutes() + 1)
    assert selectors.offers_for(b) == [] and selectors.offer_made(selectors.session_of(a)) is None
    with pytest.raises(Conflict) as refused:
        services.accept_hand_over(b)
    assert refused.value.code == "offer_expired" and "过期" in refused.value.message
    assert holder(w201) == a
    renewed = services.hand_over(a, b)  # a fresh offer replaces the lapsed one
    assert renewed.expires_at > project_clock.now() + timedelta(minutes=1)
    assert services.accept_hand_over(b).staff == b


def test_offer_dies_with_the_session(w201, trio):
    a, b, _c = trio
    offer = services.hand_over(a, b)
    services.sign_out_window(a)
    assert HandOverOffer.objects.get(pk=offer.pk).state == HandOverOffer.VOID
    with pytest.raises(Conflict):
        services.accept_hand_over(b, offer.pk)
    assert selectors.current_session(w201) is None


def test_a_colleague_who_signed_in_elsewhere_cannot_confirm(w201, trio):
    a, b, _c = trio
    services.hand_over(a, b)
    services.sign_in_window(b, Window.objects.get(code="CX-ZH-202"))
    with pytest.raises(Conflict) as refused:
        services.accept_hand_over(b)
    assert refused.value.code == "already_signed_in"
    assert holder(w201) == a


def test_the_window_s_ticket_goes_with_the_window(w201, trio, clock):
    from yimen.queueing import services as queue
    from yimen.queueing.models import Ticket

    clock.freeze(project_clock.at(2022, 3, 15, 10, 0))  # a Tuesday morning: the outlet is open
    a, b, _c = trio
    ticket = queue.issue_ticket(w201.outlet, ["XN-CG-001"])
    queue.call_next(w201, a)
    services.hand_over(a, b)
    services.accept_hand_over(b)
    assert queue.start(ticket, b).status == Ticket.SERVING  # b now holds the window and its ticket


def test_api_offer_list_accept_decline_withdraw(client, w201, trio):
    a, b, c = trio
    ha = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(staff=a)[1]}"}
    hb = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(staff=b)[1]}"}
    hc = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(staff=c)[1]}"}
    r = client.post(
        "/api/staff/window/hand-over",
        {"to": b.user.username, "reason": "午餐接力"},
        content_type="application/json",
        **ha,
    )
    assert (
        r.status_code == 201
        and r.json()["state"] == "pending"
        and r.json()["window"] == "CX-ZH-201"
    )
    offer_id = r.json()["id"]
    assert (
        client.get("/api/staff/window/hand-over", **ha).json()["made"]["to_staff"]
        == b.user.username
    )
    assert [
        o["id"] for o in client.get("/api/staff/window/hand-over", **hb).json()["received"]
    ] == [offer_id]
    r = client.post(
        "/api/staff/window/hand-over/accept",
        {"offer": offer_id},
        content_type="application/json",
        **hc,
    )
    assert r.status_code == 409 and r.json()["code"] == "no_offer"
    r = client.post("/api/staff/window/hand-over/withdraw", **ha)
    assert r.status_code == 200 and r.json()["state"] == "withdrawn"
    r = client.post("/api/staff/window/hand-over/accept", **hb)
    assert r.status_code == 409 and holder(w201) == a
    client.post(
        "/api/staff/window/hand-over",
        {"to": c.user.username},
        content_type="application/json",
        **ha,
    )
    r = client.post("/api/staff/window/hand-over/decline", **hc)
    assert r.status_code == 200 and r.json()["state"] == "declined"
    client.post(
        "/api/staff/window/hand-over",
        {"to": b.user.username},
        content_type="application/json",
        **ha,
    )
    r = client.post("/api/staff/window/hand-over/accept", **hb)
    assert r.status_code == 200 and r.json()["staff"] == b.user.username and holder(w201) == b
    r = client.post(
        "/api/staff/window/hand-over/accept", "{bad", content_type="application/json", **hb
    )
    assert r.status_code == 400


def test_window_page_shows_the_offer_to_both_and_confirms(client, w201, trio):
    a, b, c = trio
    client.force_login(a.user)
    r = client.post(
        "/staff/window/", {"op": "hand_over", "to": b.pk, "reason": "午餐接力"}, follow=True
    )
    page = r.content.decode()
    assert "已向乙发出交接" in page and "撤回交接" in page and "确认前窗口仍由您值守" in page
    assert holder(w201) == a
    client.force_login(c.user)
    assert "待您确认的交接" not in client.get("/staff/window/").content.decode()
    client.force_login(b.user)
    page = client.get("/staff/window/").content.decode()
    assert "甲请您接岗 <strong>201号窗口</strong>（午餐接力）" in page and "确认接岗" in page
    r = client.post("/staff/window/", {"op": "accept_hand_over", "offer": "abc"}, follow=True)
    assert holder(w201) == b  # a bad id falls back to my newest pending offer
    assert "已接岗 201 号窗口" in r.content.decode()
