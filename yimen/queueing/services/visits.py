"""One visit, several queues: a ticket whose stops are in different queues (TicketLeg) moves on
to its next stop's queue when the window of the current stop finishes. It keeps its number and
enters the next queue at the place its issue time gives it (queued_at = issued_at: the dispatch
policy and the positions order by it), not at the back. Runs inside `finish`'s transaction,
under the ticket's row lock: a window calling in the next queue sees the ticket either still
being served (not waiting) or waiting there — never twice, never lost."""

from __future__ import annotations

from yimen.core import clock

from .. import selectors
from ..models import Ticket, TicketLeg
from .common import _event, _record


def stops_of(t: Ticket) -> list[TicketLeg]:
    """The ticket's current and later stops (locked with the ticket: [] for one queue)."""
    if t.stops <= 1:
        return []
    return list(TicketLeg.objects.filter(ticket_id=t.pk, position__gte=t.leg).order_by("position"))


def leg_items(leg: TicketLeg) -> list[tuple[int, str]]:
    return list(leg.items.order_by("code").values_list("pk", "code"))


def advance(t: Ticket, stops: list[TicketLeg], staff, request=None) -> Ticket:
    """The current stop (stops[0]) is finished at t's window: wait in the next stop's queue."""
    now = clock.now()
    current, nxt = stops[0], stops[1]
    current.finished_at, current.window_id = now, t.window_id
    current.save(update_fields=["finished_at", "window"])
    old_window = t.window
    queue = selectors.queue_by_id(nxt.queue_id)
    t.status, t.queue, t.leg, t.window, t.served_by, t.target_window = (
        Ticket.WAITING,
        queue,
        nxt.position,
        None,
        None,
        None,
    )
    t.called_at, t.started_at, t.recall_count = None, None, 0
    t.queued_at = t.issued_at  # its place by issue time, not the back of the line
    t.save(
        update_fields=[
            "status",
            "queue",
            "leg",
            "window",
            "served_by",
            "target_window",
            "called_at",
            "started_at",
            "recall_count",
            "queued_at",
        ]
    )
    why = f"第{current.position + 1}站办结，下一站：{queue.name}"
    _event(t, "advance", staff=staff, window=old_window, from_status=Ticket.SERVING, reason=why)
    _record(
        staff,
        "ticket.advance",
        t,
        Ticket.SERVING,
        reason=why,
        request=request,
        window=old_window.code if old_window else None,
        queue=queue.code,
        leg=nxt.position + 1,
    )
    return t
