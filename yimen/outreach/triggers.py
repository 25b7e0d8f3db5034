"""Queue triggers, evaluated by the queue's services inside the transaction of each ticket event
(queueing.services.common._event): "请到 X 号窗口办理" when a ticket is called, "快到您了" when a
waiting ticket with a phone reaches position ≤ `near_turn_position` (outlet setting, default 3).

Positions move forward only when a ticket leaves the waiting line (called, cancelled, expired,
过号 …) or moves to another queue (transfer): those events re-evaluate the queue (a transfer:
every queue of the outlet, the ticket's old one included). Each (event, ticket) is queued once
(dedupe keys in rules.py): recalls, retries and re-evaluations send nothing new."""

from __future__ import annotations

from yimen.core import clock
from yimen.outlets.models import Window
from yimen.queueing.models import Ticket

from . import rules
from .models import Trigger
from .sending import queue_message

NEAR_KINDS = (rules.NEAR, rules.NEAR_REMOTE)
SCAN_LIMIT = 200  # waiting tickets read when evaluating (then the first 200 priority ones too)


def ticket_event(
    ticket: Ticket, action: str, from_status: str, window: Window | None = None
) -> None:
    """Called by the queue's `_event` for every ticket event, inside its transaction."""
    if action == "call" and window is not None:
        _call_message(ticket, window)
    if action == "transfer":
        _evaluate(ticket.outlet_id, None, ticket)
    elif action == "advance":  # on to the next stop's queue, at its place by issue time
        _evaluate(ticket.outlet_id, ticket.queue_id, ticket)
    elif from_status == Ticket.WAITING and ticket.status != Ticket.WAITING:
        _evaluate(ticket.outlet_id, ticket.queue_id, ticket)


def _call_message(ticket: Ticket, window: Window) -> None:
    if not ticket.phone:
        return
    queue_message(
        to=ticket.phone,
        template=rules.CALL,
        params={
            "number": ticket.number,
            "window": str(window.number),
            "outlet": rules.clip(ticket.outlet.name, 14),
        },
        dedupe_key=rules.call_key(ticket.pk, window.pk),
        ticket=ticket,
    )


def _evaluate(outlet_id: int, queue_id: int | None, ticket: Ticket) -> None:
    """Queue "快到您了" for every waiting ticket of the queue (all the outlet's queues when None)
    now at position ≤ N that has a phone and was not told yet."""
    outlet = ticket.outlet
    n = outlet.options.near_turn_position
    base = Ticket.objects.filter(
        outlet_id=outlet_id, service_date=ticket.service_date, status=Ticket.WAITING
    )
    if queue_id is not None:
        base = base.filter(queue_id=queue_id)
    fields = ("pk", "queue_id", "queued_at", "priority", "check_in_by", "checked_in_at")
    order = ("queue_id", "queued_at", "pk")
    seen = {row[0]: row for row in base.order_by(*order).values_list(*fields)[:SCAN_LIMIT]}
    if len(seen) == SCAN_LIMIT:  # a long line: priority tickets further back may be near too
        for row in base.exclude(priority="").order_by(*order).values_list(*fields)[:SCAN_LIMIT]:
            seen[row[0]] = row
    waiting = [
        rules.Waiting(
            id=pk,
            queue_id=q,
            queued_at=at,
            priority=bool(prio),
            counted=check_in_by is None or checked_in is not None,
        )
        for pk, q, at, prio, check_in_by, checked_in in seen.values()
    ]
    near = rules.near_turn(waiting, n)
    if not near:
        return
    # the near tickets with a phone not told yet (at this stop of their visit)
    todo = list(Ticket.objects.filter(pk__in=list(near)).exclude(phone="").order_by("pk"))
    told = set(
        Trigger.objects.filter(
            dedupe_key__in=[rules.near_key(t.pk, t.leg) for t in todo], kind__in=NEAR_KINDS
        ).values_list("dedupe_key", flat=True)
    )
    for t in todo:
        if rules.near_key(t.pk, t.leg) in told:
            continue
        remote = t.check_in_by is not None and t.checked_in_at is None
        deadline = t.check_in_by
        params = {
            "number": t.number,
            "ahead": str(near[t.pk] - 1),
            "outlet": rules.clip(outlet.name, 14),
        }
        if deadline is not None and t.checked_in_at is None:
            params["deadline"] = f"{clock.local(deadline):%H:%M}"
        queue_message(
            to=t.phone,
            template=rules.NEAR_REMOTE if remote else rules.NEAR,
            params=params,
            dedupe_key=rules.near_key(t.pk, t.leg),
            ticket=t,
        )
