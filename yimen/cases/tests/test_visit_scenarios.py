"""Acceptance walks of S01 and S04 as one visit (#17 part 6): the guide desk issues one ticket,
the windows take the cases in from it, and the trip counts once (最多跑一次)."""

from datetime import date

import pytest

from yimen.cases import rules, services
from yimen.catalog.models import ServiceItem
from yimen.core.validators import make_resident_id
from yimen.guide import services as desk
from yimen.outlets.models import Outlet
from yimen.queueing import selectors as queue_selectors, services as queue
from yimen.queueing.models import Ticket
from yimen.staff.testing import make_staff

from .conftest import clerk_at, company, mark_all, person

pytestmark = pytest.mark.django_db
MA_DAYE = make_resident_id("630104", date(1948, 1, 2), 11, "男")
MA_NAINAI = make_resident_id("630104", date(1948, 6, 9), 12, "女")


def item(code):
    return ServiceItem.objects.get(code=code)


def _accepted(clerk, code, ticket, applicant, **kw):
    case = services.open_case(clerk, item=item(code), ticket=ticket, applicant=applicant, **kw)
    mark_all(case)
    services.accept(clerk, case)
    case.refresh_from_db()
    return case


def test_s01_couple_four_certifications_one_visit(demo, clock):
    clock.freeze(clock.at(2022, 3, 15, 10, 0))
    cx = Outlet.objects.get(code="XN-CX")
    guide = make_staff("guide", outlet=cx, password=None)
    ordinary = queue.issue_ticket(cx, ["XN-RS-004"])  # someone already waiting
    ticket = desk.issue_ticket(
        guide, cx, ["XN-MZ-003", "XN-RS-002"], elderly=True, applicant_name="马大爷"
    )
    assert ticket.queue.code == "CX-GREEN" and ticket.priority == "老年人" and ticket.stops == 1
    assert queue_selectors.ticket_status(ticket)["position"] == 1  # next served
    clerk, green = clerk_at("CX-GREEN")
    called = queue.call_next(green, clerk)
    assert called.pk == ticket.pk and called.pk != ordinary.pk and green.number == "101"
    queue.start(called, clerk)
    cases = []
    for name, idn in (("马大爷", MA_DAYE), ("马奶奶", MA_NAINAI)):
        for code in ("XN-MZ-003", "XN-RS-002"):
            applicant = person(applicant_name=name, applicant_id_number=idn, applicant_phone="")
            case = _accepted(clerk, code, called, applicant)
            required = [m.name for m in case.materials.all() if m.required]
            assert required == ["申请人居民身份证"], required  # 社会保障卡 optional
            cases.append(case)
            clock.travel(minutes=2)
    done = queue.finish(called, clerk)
    # 4 completion records, one trip: every visit record is this ticket's
    assert len(cases) == 4 and all(c.status == rules.CLOSED for c in cases)
    trips = {v.ticket_id for c in cases for v in c.visits.all()}
    assert trips == {ticket.pk} and all(c.visits.count() == 1 for c in cases)
    assert done.status == Ticket.DONE
    assert (done.finished_at - done.issued_at).total_seconds() <= 15 * 60


def test_s01_relative_without_green_channel_one_ticket_two_windows(demo, clock):
    """The couple's son does both certifications for them: no priority, so 社会事务 and 人社 —
    still one ticket, moving on from one window to the other."""
    clock.freeze(clock.at(2022, 3, 15, 10, 0))
    cx = Outlet.objects.get(code="XN-CX")
    guide = make_staff("guide", outlet=cx, password=None)
    ticket = desk.issue_ticket(guide, cx, ["XN-MZ-003", "XN-RS-002"])
    assert ticket.stops == 2 and ticket.queue.code == "CX-ZY-SW"
    sw_clerk, sw = clerk_at("CX-ZY-SW-308")
    rs_clerk, rs = clerk_at("CX-ZY-RS-304")
    cases = []
    for clerk, w, code in ((sw_clerk, sw, "XN-MZ-003"), (rs_clerk, rs, "XN-RS-002")):
        called = queue.call_next(w, clerk)
        assert called.pk == ticket.pk and called.number == ticket.number
        queue.start(called, clerk)
        for name, idn in (("马大爷", MA_DAYE), ("马奶奶", MA_NAINAI)):
            applicant = person(applicant_name=name, applicant_id_number=idn)
            cases.append(_accepted(clerk, code, called, applicant))
        queue.finish(called, clerk)
    assert len(cases) == 4 and all(c.status == rules.CLOSED for c in cases)
    assert {v.ticket_id for c in cases for v in c.visits.all()} == {ticket.pk}
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.DONE


def test_s04_b1_then_2f_one_ticket_one_trip(demo, clock):
    clock.freeze(clock.at(2022, 3, 16, 12, 5))
    cx = Outlet.objects.get(code="XN-CX")
    guide = make_staff("guide", outlet=cx, password=None)
    earlier = queue.issue_ticket(cx, ["XN-CG-001"])  # waiting at 2F before the company came
    ticket = desk.issue_ticket(guide, cx, ["XN-WS-001", "XN-ZW-001"], phone="13900139000")
    later = queue.issue_ticket(cx, ["XN-WS-002"])
    # open at 12:05, no lunch break; B1 first, then 2F, one number
    assert ticket.issued_at == clock.at(2022, 3, 16, 12, 5)
    assert [s["queue"] for s in queue_selectors.ticket_status(ticket)["stops"]] == [
        "CX-BANGBAN",
        "CX-ZH",
    ]
    assert item("XN-ZW-001").fee == 0  # free 帮办代办
    helper, b1 = clerk_at("CX-BANGBAN")
    called = queue.call_next(b1, helper)
    assert called.pk == ticket.pk
    queue.start(called, helper)
    bank_file = services.open_case(
        helper,
        item=item("XN-ZW-001"),
        ticket=called,
        applicant=company(),
        helper=helper,
        helper_consent=True,
        helper_consent_note="经办人当面签字同意",
    )
    clock.travel(minutes=10)
    moved = queue.finish(called, helper)
    assert moved.status == Ticket.WAITING and moved.queue.code == "CX-ZH"
    # 2F: behind the one who came earlier, ahead of the one who came later
    clerk, w2f = clerk_at("CX-ZH-201")
    assert queue.call_next(w2f, clerk).pk == earlier.pk
    queue.start(earlier, clerk)
    queue.finish(earlier, clerk)
    called = queue.call_next(w2f, clerk)
    assert called.pk == ticket.pk and called.number == ticket.number
    assert called.pk != later.pk
    queue.start(called, clerk)
    permit = services.open_case(clerk, item=item("XN-WS-001"), ticket=called, applicant=company())
    done = queue.finish(called, clerk)
    assert done.status == Ticket.DONE
    assert sorted(done.handled_items.values_list("code", flat=True)) == ["XN-WS-001", "XN-ZW-001"]
    visits = [v for c in (bank_file, permit) for v in c.visits.all()]
    assert {v.ticket_id for v in visits} == {ticket.pk}  # one trip
    assert {v.outlet.code for v in visits} == {"XN-CX"}
    assert bank_file.window == b1 and permit.window == w2f


def test_intake_page_offers_this_stops_item_and_finish_sends_the_ticket_on(demo, clock, client):
    clock.freeze(clock.at(2022, 3, 16, 12, 5))
    cx = Outlet.objects.get(code="XN-CX")
    ticket = queue.issue_ticket(cx, ["XN-ZW-001", "XN-WS-001"], several_queues=True)
    helper, b1 = clerk_at("CX-BANGBAN")
    queue.call_next(b1, helper)
    client.force_login(helper.user)
    page = client.get("/cases/intake/")
    assert [i.code for i in page.context["items"]][:1] == ["XN-ZW-001"]
    r = client.post("/cases/intake/finish/", follow=True)
    assert "本站已办结，已排入下一站：综合一窗无差别受理窗口" in r.content.decode()
    clerk, w2f = clerk_at("CX-ZH-203")
    assert queue.call_next(w2f, clerk).pk == ticket.pk
    client.force_login(clerk.user)
    items = [i.code for i in client.get("/cases/intake/").context["items"]]
    assert items[0] == "XN-WS-001" and "XN-ZW-001" not in items
