"""Queue triggers through the services: "快到您了" at position ≤ N, the call message, remote
tickets — each (event, ticket) queued once, recalls and re-evaluations included."""

from datetime import date

import pytest

from yimen.core import clock as project_clock
from yimen.core.validators import make_resident_id
from yimen.outreach import rules, selectors
from yimen.outreach.models import Trigger
from yimen.queueing import selectors as queue_selectors, services

pytestmark = pytest.mark.django_db

PHONES = [f"1390000{n:04d}" for n in range(10)]


def test_near_turn_after_calls_once_per_ticket(at_cx, clerk_at, outbox):
    tickets = [services.issue_ticket(at_cx, ["XN-CG-001"], phone=PHONES[i]) for i in range(6)]
    assert outbox("queue.near") == []  # issuing moves nobody forward
    staff, window = clerk_at("CX-ZH-201")
    first = services.call_next(window, staff)
    assert first.pk == tickets[0].pk
    # after the call: tickets 2–4 are at positions 1–3 (N = 3, the default)
    near = outbox("queue.near")
    assert sorted(m.dedupe_key for m in near) == sorted(rules.near_key(t.pk) for t in tickets[1:4])
    for t in tickets[1:4]:
        assert queue_selectors.ticket_status(t)["position"] <= 3
    by_ticket = {m.dedupe_key: m for m in near}
    assert by_ticket[rules.near_key(tickets[1].pk)].params["ahead"] == "0"
    assert by_ticket[rules.near_key(tickets[3].pk)].params["ahead"] == "2"
    # recall: no new message of any kind; the next call adds exactly the 5th ticket
    services.recall(first, staff)
    services.start(first, staff)
    services.finish(first, staff)
    services.call_next(window, staff)
    near = outbox("queue.near")
    assert len(near) == 4 and rules.near_key(tickets[4].pk) in {m.dedupe_key for m in near}
    assert len(outbox("queue.call")) == 2


def test_call_message_once_per_window_and_urgent(at_cx, clerk_at, outbox):
    ticket = services.issue_ticket(at_cx, ["XN-CG-001"], phone=PHONES[0])
    staff, window = clerk_at("CX-ZH-201")
    called = services.call_next(window, staff)
    services.recall(called, staff)
    services.recall(called, staff)
    calls = outbox("queue.call")
    assert len(calls) == 1
    assert calls[0].params == {"number": ticket.number, "window": "201", "outlet": at_cx.name}
    assert calls[0].next_attempt_at == project_clock.now()  # urgent: no quiet-hours delay
    # transferred to window 202 and called there: a new message (another window to go to)
    other, w202 = clerk_at("CX-ZH-202")
    services.transfer(called, staff, window="CX-ZH-202", reason="专业问题")
    services.call_next(w202, other)
    assert sorted(m.params["window"] for m in outbox("queue.call")) == ["201", "202"]


def test_call_is_urgent_near_is_not():
    from yimen.notify import messages

    assert messages.get("queue.call").urgent is True
    assert messages.get("queue.near").urgent is False


def test_no_phone_no_message(at_cx, clerk_at, outbox):
    services.issue_ticket(at_cx, ["XN-CG-001"])
    services.issue_ticket(at_cx, ["XN-CG-001"])
    staff, window = clerk_at("CX-ZH-201")
    services.call_next(window, staff)
    assert outbox() == [] and not Trigger.objects.exists()


def test_near_turn_position_is_an_outlet_setting(at_cx, clerk_at, outbox):
    at_cx.settings = {**(at_cx.settings or {}), "near_turn_position": 1}
    at_cx.save()
    from yimen.core import changes

    changes.reset()
    [services.issue_ticket(at_cx, ["XN-CG-001"], phone=PHONES[i]) for i in range(4)]
    staff, window = clerk_at("CX-ZH-201")
    services.call_next(window, staff)
    assert len(outbox("queue.near")) == 1


def test_cancel_and_expiry_move_positions_too(at_cx, clerk_at, outbox):
    tickets = [services.issue_ticket(at_cx, ["XN-CG-001"], phone=PHONES[i]) for i in range(5)]
    services.cancel(tickets[0], by_holder=True)
    assert {m.dedupe_key for m in outbox("queue.near")} == {
        rules.near_key(t.pk) for t in tickets[1:4]
    }


def test_remote_ticket_near_turn_asks_to_check_in(at_cx, clerk_at, outbox):
    ahead = [services.issue_ticket(at_cx, ["XN-CG-001"], phone=PHONES[i]) for i in range(2)]
    remote = services.issue_remote_ticket(
        at_cx,
        ["XN-CG-001"],
        id_number=make_resident_id("630104", date(1985, 4, 1), 41),
        phone=PHONES[5],
    )
    staff, window = clerk_at("CX-ZH-201")
    first = services.call_next(window, staff)
    (msg,) = outbox("queue.near_remote")
    assert msg.dedupe_key == rules.near_key(remote.pk)
    assert msg.params["ahead"] == "1" and msg.params["deadline"] == "11:00"
    # checked in at the hall and called: the call message, and the remote page lists what was sent
    services.check_in_remote(remote, present_at=remote.outlet_id)  # shown by the hall QR
    for _ in range(2):
        services.start(first, staff)
        services.finish(first, staff)
        first = services.call_next(window, staff)
    assert first.pk == remote.pk and ahead
    sent = selectors.sent_for(ticket=remote)
    assert [s["kind"] for s in sent] == ["queue.near_remote", "queue.call"]
    assert {s["to"] for s in sent} == {"139****0005"} and sent[0]["sent_at"] is None


def test_rollback_removes_the_message(at_cx, clerk_at, outbox):
    from django.db import transaction

    services.issue_ticket(at_cx, ["XN-CG-001"], phone=PHONES[0])
    staff, window = clerk_at("CX-ZH-201")
    with pytest.raises(RuntimeError), transaction.atomic():
        services.call_next(window, staff)
        raise RuntimeError("the caller's transaction fails")
    assert outbox() == [] and not Trigger.objects.exists()


def test_unsubscribed_phone_gets_nothing(at_cx, clerk_at, outbox):
    from yimen.outreach import proactive

    proactive.handle_reply(PHONES[0], " td ")
    services.issue_ticket(at_cx, ["XN-CG-001"], phone=PHONES[0])
    staff, window = clerk_at("CX-ZH-201")
    services.call_next(window, staff)
    assert outbox(phone=PHONES[0]) == []
