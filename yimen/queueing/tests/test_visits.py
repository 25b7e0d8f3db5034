"""One visit, several queues (#17 part 6): one ticket for items of different queues moves on to
the next queue when the first window finishes, keeping its number and its place by issue time."""

from datetime import date

import pytest

from yimen.core import clock as project_clock
from yimen.core.errors import ValidationFailed
from yimen.core.validators import make_resident_id
from yimen.queueing import rules, selectors, services
from yimen.queueing.models import Ticket, TicketEvent, TicketLeg
from yimen.staff.testing import make_staff

pytestmark = pytest.mark.django_db


# --- the pure rule -------------------------------------------------------------------------------


def _q(code, kind, accepts, prefix):
    return rules.QueueRecord(code, kind, frozenset(accepts), prefix)


QUEUES = [
    _q("ZH", "综合窗口", {"WS"}, "A"),
    _q("BB", "帮办代办", {"ZW"}, "B"),
    _q("RS", "专业窗口", {"RS"}, "C"),
    _q("SW", "专业窗口", {"MZ"}, "D"),
    _q("G", rules.GREEN_CHANNEL, {"MZ", "RS"}, "G"),
]


def test_plan_visit_assisted_stop_first_then_the_order_asked():
    items = [rules.RoutedItem("ZW"), rules.RoutedItem("WS")]
    plan = rules.plan_visit(QUEUES, items, False)
    assert plan.legs == (rules.Leg("BB", ("ZW",)), rules.Leg("ZH", ("WS",)))
    # 帮办代办 prepares the file: first whatever order the items came in (kiosk, desk)
    reverse = rules.plan_visit(QUEUES, list(reversed(items)), False)
    assert [leg.queue for leg in reverse.legs] == ["BB", "ZH"]
    three = [rules.RoutedItem("RS"), rules.RoutedItem("WS"), rules.RoutedItem("MZ")]
    assert [leg.queue for leg in rules.plan_visit(QUEUES, three, False).legs] == ["RS", "ZH", "SW"]


def test_plan_visit_one_queue_is_one_stop_and_green_stays_one_stop():
    assert rules.plan_visit(QUEUES, [rules.RoutedItem("WS")], False).legs == (
        rules.Leg("ZH", ("WS",)),
    )
    both = [rules.RoutedItem("MZ", True), rules.RoutedItem("RS", True)]
    assert [leg.queue for leg in rules.plan_visit(QUEUES, both, True).legs] == ["G"]
    # not a priority person: the two department queues, one ticket
    assert [leg.queue for leg in rules.plan_visit(QUEUES, both, False).legs] == ["SW", "RS"]


def test_plan_visit_problems():
    assert rules.plan_visit(QUEUES, [], False).problem == rules.NO_ITEM
    assert rules.plan_visit(QUEUES, [rules.RoutedItem("XX")], False).problem == (
        rules.NOT_HANDLED_HERE
    )
    assert rules.plan_visit(QUEUES, [rules.RoutedItem("WS"), rules.RoutedItem("XX")], False).problem
    many = [_q(f"Q{n}", "专业窗口", {f"I{n}"}, f"P{n}") for n in range(rules.MAX_LEGS + 1)]
    items = [rules.RoutedItem(f"I{n}") for n in range(rules.MAX_LEGS + 1)]
    assert rules.plan_visit(many, items, False).problem == rules.TOO_MANY_LEGS


# --- the services ----------------------------------------------------------------------------------


@pytest.fixture
def s04(demo, clock):
    """Wed 2022-03-16 12:05 at 城西区市民服务中心 (scenario S04)."""
    clock.freeze(project_clock.at(2022, 3, 16, 12, 5))
    from yimen.outlets.models import Outlet

    return Outlet.objects.get(code="XN-CX")


def _serve(ticket, window, staff):
    called = services.call_next(window, staff)
    assert called is not None and called.pk == ticket.pk, (called, ticket)
    services.start(called, staff)
    return services.finish(called, staff)


def test_without_the_flag_items_of_two_queues_are_still_refused(s04):
    with pytest.raises(ValidationFailed) as err:
        services.issue_ticket(s04, ["XN-ZW-001", "XN-WS-001"])
    assert err.value.code == "split_required"


def test_s04_one_ticket_two_queues_keeps_number_and_place(s04, clerk_at, clock):
    guide = make_staff("guide", outlet="XN-CX", password=None)
    # two people already wait at the 2F windows when the company's admin arrives
    before = services.issue_ticket(s04, ["XN-CG-001"])
    visit = services.issue_ticket(
        s04, ["XN-ZW-001", "XN-WS-001"], channel="guide", actor=guide, several_queues=True
    )
    project_clock.travel(minutes=4)
    after = [services.issue_ticket(s04, ["XN-WS-002"]) for _ in range(2)]
    assert visit.queue.code == "CX-BANGBAN" and visit.number.startswith("B")
    assert visit.stops == 2 and visit.leg == 0
    assert sorted(visit.items.values_list("code", flat=True)) == ["XN-WS-001", "XN-ZW-001"]
    status = selectors.ticket_status(visit)
    assert [s["queue"] for s in status["stops"]] == ["CX-BANGBAN", "CX-ZH"]
    assert [s["state"] for s in status["stops"]] == ["current", "next"]
    assert status["next_stop"] == "综合一窗无差别受理窗口"
    assert status["people_ahead"] == 0

    # B1 帮办代办 serves the first stop; the ticket moves to the 2F queue
    bb_staff, bb = clerk_at("CX-BANGBAN")
    project_clock.travel(minutes=6)
    moved = _serve(visit, bb, bb_staff)
    assert moved.status == Ticket.WAITING and moved.queue.code == "CX-ZH" and moved.leg == 1
    assert moved.number == visit.number and moved.window is None
    assert moved.queued_at == moved.issued_at == visit.issued_at
    assert list(moved.handled_items.values_list("code", flat=True)) == ["XN-ZW-001"]
    leg0 = TicketLeg.objects.get(ticket=visit, position=0)
    assert leg0.finished_at is not None and leg0.window_id == bb.pk
    event = TicketEvent.objects.filter(ticket=visit).latest("pk")
    assert event.action == "advance" and event.from_status == "serving"
    assert "下一站" in event.reason
    # its place by issue time: behind the one issued before it, ahead of those issued after
    status = selectors.ticket_status(moved)
    assert status["people_ahead"] == 1 and status["next_stop"] is None
    assert [s["state"] for s in status["stops"]] == ["done", "current"]
    order = [t.pk for t, _r in selectors.dispatch_order(clerk_at("CX-ZH-201")[1])]
    assert order == [before.pk, visit.pk, after[0].pk, after[1].pk]

    # the 2F window: the one before first, then the visit, for its own item only
    zh_staff, zh = clerk_at("CX-ZH-202")
    _serve(before, zh, zh_staff)
    done = _serve(visit, zh, zh_staff)
    assert done.status == Ticket.DONE and done.number == visit.number
    assert sorted(done.handled_items.values_list("code", flat=True)) == [
        "XN-WS-001",
        "XN-ZW-001",
    ]
    assert TicketLeg.objects.filter(ticket=visit, finished_at__isnull=False).count() == 2
    assert [s["state"] for s in selectors.ticket_status(done)["stops"]] == ["done", "done"]
    assert Ticket.objects.filter(outlet=s04, service_date=date(2022, 3, 16)).count() == 4


def test_s01_couple_without_the_green_channel_is_one_ticket_for_two_departments(
    demo, clock, clerk_at
):
    clock.freeze(project_clock.at(2022, 3, 15, 10, 0))
    guide = make_staff("guide", outlet="XN-CX", password=None)
    from yimen.outlets.models import Outlet

    cx = Outlet.objects.get(code="XN-CX")
    # the elderly couple with the green channel: still one stop at window 101
    green = services.issue_ticket(
        cx,
        ["XN-MZ-003", "XN-RS-002"],
        channel="guide",
        actor=guide,
        id_number=make_resident_id("630104", date(1948, 1, 2), 11),
        several_queues=True,
    )
    assert green.queue.code == "CX-GREEN" and green.stops == 1
    assert not TicketLeg.objects.filter(ticket=green).exists()
    # a younger relative doing both certifications: 社会事务 then 人社, one ticket
    visit = services.issue_ticket(
        cx, ["XN-MZ-003", "XN-RS-002"], channel="guide", actor=guide, several_queues=True
    )
    assert visit.stops == 2 and visit.queue.code == "CX-ZY-SW"
    sw_staff, sw = clerk_at("CX-ZY-SW-308")
    rs_staff, rs = clerk_at("CX-ZY-RS-304")
    assert services.call_next(rs, rs_staff) is None  # not its stop yet
    moved = _serve(visit, sw, sw_staff)
    assert moved.queue.code == "CX-ZY-RS"
    done = _serve(visit, rs, rs_staff)
    assert done.status == Ticket.DONE
    assert sorted(done.handled_items.values_list("code", flat=True)) == ["XN-MZ-003", "XN-RS-002"]


def test_console_transfer_sign_out_and_no_show_keep_the_visit(s04, clerk_at):
    guide = make_staff("guide", outlet="XN-CX", password=None)
    visit = services.issue_ticket(
        s04, ["XN-ZW-001", "XN-WS-001"], channel="guide", actor=guide, several_queues=True
    )
    bb_staff, bb = clerk_at("CX-BANGBAN")
    _serve(visit, bb, bb_staff)
    zh_staff, zh = clerk_at("CX-ZH-203")
    called = services.call_next(zh, zh_staff)
    assert called.pk == visit.pk
    # the clerk signs out with it in hand: back in the 2F line at its place, not orphaned
    from yimen.staff.services import sign_out_window

    sign_out_window(zh_staff, return_ticket=True)
    back = Ticket.objects.get(pk=visit.pk)
    assert back.status == Ticket.WAITING and back.queue.code == "CX-ZH" and back.leg == 1
    assert back.queued_at == back.issued_at
    # a transfer checks the current stop's items (XN-WS-001), not the first stop's
    zh2_staff, zh2 = clerk_at("CX-ZH-204")
    moved = services.transfer(back, zh2_staff, window="CX-ZH-204", reason="窗口调整")
    assert moved.target_window_id == zh2.pk
    called = services.call_next(zh2, zh2_staff)
    assert called.pk == visit.pk
    services.mark_no_show(called, zh2_staff)
    again = services.reactivate(visit, zh2_staff, "回来了")
    assert again.status == Ticket.WAITING and again.leg == 1
    # cancelled by the holder: the stop still to come is shown as not handled
    services.cancel(again, by_holder=True)
    stops = selectors.ticket_status(Ticket.objects.get(pk=visit.pk))["stops"]
    assert [s["state"] for s in stops] == ["done", "dropped"]


def test_near_turn_is_sent_again_for_the_next_stop(s04, clerk_at):
    from yimen.outreach.models import Trigger

    guide = make_staff("guide", outlet="XN-CX", password=None)
    first = services.issue_ticket(s04, ["XN-ZW-001"])  # ahead of it at B1
    ahead = [services.issue_ticket(s04, ["XN-WS-001"]) for _ in range(4)]  # ahead of it at 2F
    visit = services.issue_ticket(
        s04,
        ["XN-ZW-001", "XN-WS-001"],
        channel="guide",
        actor=guide,
        phone="13900001234",
        several_queues=True,
    )

    def near():
        return sorted(
            Trigger.objects.filter(ticket=visit, kind="queue.near").values_list(
                "dedupe_key", flat=True
            )
        )

    bb_staff, bb = clerk_at("CX-BANGBAN")
    _serve(first, bb, bb_staff)  # it is now first at B1: 快到您了
    assert len(near()) == 1
    _serve(visit, bb, bb_staff)
    assert len(near()) == 1  # fifth at 2F (near_turn_position 3): not yet
    zh_staff, zh = clerk_at("CX-ZH-201")
    _serve(ahead[0], zh, zh_staff)
    _serve(ahead[1], zh, zh_staff)  # third now: told again, for this stop
    assert len(near()) == 2, near()
    _serve(ahead[2], zh, zh_staff)
    assert len(near()) == 2  # once per stop


def test_twin_routes_each_stop_as_the_live_visit_plan(demo):
    """The digital twin (insight.simulation) models one item per arrival; a visit of several
    queues is, stop by stop, what the twin routes each of its items to — the same rule."""
    from yimen.insight import simulation
    from yimen.outlets.models import Outlet

    cx = Outlet.objects.get(code="XN-CX")
    for codes in (["XN-ZW-001", "XN-WS-001"], ["XN-MZ-003", "XN-RS-002"]):
        items = selectors.resolve_items(codes)
        stops = selectors.plan_legs(cx, items)
        data = {
            "seed": 1,
            "duration_minutes": 60,
            "windows": simulation.live_windows("XN-CX"),
            "arrivals": [{"item": c, "rate_per_hour": 1, "priority_share": 0} for c in codes],
            "service_minutes": {"default": {"dist": "fixed", "mean": 5}},
        }
        twin = simulation.layout(simulation.load_scenario(data)).queue_of
        assert len(stops) == 2
        for queue, stop_items in stops:
            for item in stop_items:
                assert twin[(item.code, False)] == queue.code
