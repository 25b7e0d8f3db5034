"""Issue 14 §1: rating links only from the window that served the ticket, the holder's own slip,
or the case's own outlet — so nobody can file a 差评 against another outlet's window."""

import pytest

from yimen.core.errors import Forbidden, NotFound
from yimen.feedback import services
from yimen.feedback.models import Rating, Rectification
from yimen.staff.testing import make_staff
from yimen.staff.tokens import issue_token

from .conftest import make_ticket


def _link(client, raw, **subject):
    query = "&".join(f"{k}={v}" for k, v in subject.items())
    return client.get(f"/api/feedback/rating-link?{query}", HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def served(db, demo, clock, cx_staff):
    clock.freeze(clock.at(2022, 3, 24, 14, 30))
    return make_ticket(staff=cx_staff["clerk"])  # served (and still signed in) at CX-ZY-RS-304


def test_only_the_serving_window_mints_a_ticket_link(client, served, cx_staff):
    # the clerk signed in at the window that served the ticket: yes
    r = _link(client, issue_token(staff=cx_staff["clerk"])[1], ticket=served.pk)
    assert (
        r.status_code == 200 and services.resolve_rating_token(r.json()["token"])[1].pk == served.pk
    )
    # a colleague of the same outlet who is not at that window: no (any role)
    for who in (
        cx_staff["bbcs_clerk"],
        cx_staff["chief"],
        cx_staff["director"],
        cx_staff["leader"],
    ):
        r = _link(client, issue_token(staff=who)[1], ticket=served.pk)
        assert r.status_code == 403 and r.json()["code"] in (
            "forbidden",
            "not_your_window",
            "scope_missing",
        ), who
        assert r.json()["message"]
    # staff of another outlet / district: no
    for who in (cx_staff["other_chief"], make_staff("clerk", outlet="XN-CD"), make_staff("admin")):
        assert _link(client, issue_token(staff=who)[1], ticket=served.pk).status_code == 403
    # the outlet's own devices (the kiosk printing the slip): yes; another outlet's: no
    from yimen.outlets.models import Outlet

    assert _link(client, issue_token(outlet=served.outlet)[1], ticket=served.pk).status_code == 200
    assert (
        _link(
            client, issue_token(outlet=Outlet.objects.get(code="XN-CD"))[1], ticket=served.pk
        ).status_code
        == 404
    )


def test_service_refuses_a_link_for_a_window_one_is_not_signed_in_to(served, cx_staff):
    services.authorize_rating_link(cx_staff["clerk"], served)
    with pytest.raises(Forbidden):
        services.authorize_rating_link(cx_staff["bbcs_clerk"], served)
    with pytest.raises(Forbidden):
        services.authorize_rating_link(cx_staff["other_chief"], served)


def test_case_link_only_from_the_cases_outlet(client, demo, clock, cx_staff):
    from yimen.cases.models import Case
    from yimen.catalog.models import ServiceItem

    clock.freeze(clock.at(2022, 3, 24, 14, 30))
    case = Case.objects.create(
        receipt_number="XN-CX-LINK-1",
        outlet=cx_staff["clerk"].outlet,
        item=ServiceItem.objects.get(code="XN-RS-004"),
        status="accepted",
        applicant_name="张三",
        opened_by=cx_staff["clerk"],
        opened_at=clock.now(),
        accepted_at=clock.now(),
    )
    assert (
        _link(client, issue_token(staff=cx_staff["bbcs_clerk"])[1], case=case.pk).status_code == 200
    )
    r = _link(client, issue_token(staff=make_staff("clerk", outlet="XN-NSH-01"))[1], case=case.pk)
    assert r.status_code == 403 and r.json()["message"]
    assert (
        _link(
            client, issue_token(staff=make_staff("director", outlet="XN-CD"))[1], case=case.pk
        ).status_code
        == 403
    )


def test_an_anonymous_post_with_a_forged_or_foreign_link_files_no_bad_rating(
    client, served, cx_staff
):
    before = (Rating.objects.count(), Rectification.objects.count())
    # another outlet's staff cannot obtain the link …
    r = _link(client, issue_token(staff=make_staff("chief", outlet="XN-CD"))[1], ticket=served.pk)
    assert r.status_code == 403 and "token" not in r.json()
    # … and a forged one (or one signed for something else) is refused without writing anything
    genuine = services.rating_token(ticket=served)
    for forged in (genuine[:-2] + ("AA" if not genuine.endswith("AA") else "BB"), "t.1", "x" * 40):
        r = client.post(
            "/api/feedback/ratings",
            {"token": forged, "score": 1, "reasons": ["attitude"], "comment": "恶意差评"},
            content_type="application/json",
        )
        assert r.status_code == 404 and r.json()["code"] == "bad_token"
        r = client.post(
            f"/feedback/rate/{forged}/",
            {"score": "1", "reasons": ["attitude"], "comment": "恶意差评"},
        )
        assert r.status_code == 404
    assert (Rating.objects.count(), Rectification.objects.count()) == before


def test_the_holders_own_slip_still_rates(client, served):
    """The portal finds the ticket by the slip's own code and rates it (no staff involved)."""
    r = client.post("/portal/rate/", {"slip": served.public_id})
    assert r.status_code == 302
    r = client.post(r["Location"], {"score": "5"})
    assert r.status_code == 200 and Rating.objects.filter(ticket=served, score=5).exists()


def test_unknown_subject_is_404(client, served, cx_staff):
    r = _link(client, issue_token(staff=cx_staff["clerk"])[1], ticket=999999)
    assert r.status_code == 404 and r.json()["message"]
    with pytest.raises(NotFound):
        services.resolve_rating_token("nope")


def test_window_tablet_only_in_the_session_of_that_windows_clerk(client, served, cx_staff):
    """The counter's tablet shows and rates the ticket the window just finished: an anonymous
    caller elsewhere, or anybody not signed in at that window, can neither see nor rate it."""
    url = "/feedback/rate/window/CX-ZY-RS-304/"
    bad = {"ticket": served.pk, "score": "1", "reasons": ["attitude"], "comment": "恶意差评"}
    r = client.get(url)
    assert r.status_code == 401 and served.number not in r.content.decode()
    assert client.post(url, bad).status_code == 401
    for who in (
        cx_staff["bbcs_clerk"],
        cx_staff["chief"],
        cx_staff["leader"],
        make_staff("clerk", outlet="XN-CD"),
    ):
        client.force_login(who.user)
        assert client.get(url).status_code == 403
        assert client.post(url, bad).status_code == 403
    assert not Rating.objects.filter(ticket=served).exists()
    client.force_login(cx_staff["clerk"].user)  # signed in at CX-ZY-RS-304, which served it
    assert served.number in client.get(url).content.decode()
    assert client.post(url, {"ticket": served.pk, "score": "5"}).status_code == 302
    assert Rating.objects.get(ticket=served).channel == "window"
