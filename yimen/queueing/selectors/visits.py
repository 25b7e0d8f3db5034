"""A visit of several stops (one ticket, several queues): its legs as pages and services read them."""

from __future__ import annotations

from ..models import Ticket, TicketLeg


def legs_of(ticket: Ticket) -> list[dict]:
    """The stops of a ticket's visit, in order ([] for a ticket of one queue): for each, the
    queue, its items and whether it is done, current or still to come."""
    if ticket.stops <= 1:
        return []
    legs = list(
        TicketLeg.objects.filter(ticket_id=ticket.pk)
        .select_related("queue", "window")
        .prefetch_related("items")
        .order_by("position")
    )
    closed = ticket.status in (Ticket.DONE, Ticket.CANCELLED, Ticket.EXPIRED)
    rows = []
    for leg in legs:
        if leg.finished_at is not None:
            state, label = "done", "已办结"
        elif leg.position == ticket.leg and not closed:
            state, label = "current", "当前"
        elif closed:
            state, label = "dropped", "未办理"
        else:
            state, label = "next", "待办"
        rows.append(
            {
                "position": leg.position + 1,
                "queue": leg.queue.code,
                "queue_name": leg.queue.name,
                "prefix": leg.queue.prefix,
                "items": [i.display_name for i in leg.items.all()],
                "item_codes": sorted(i.code for i in leg.items.all()),
                "state": state,
                "state_label": label,
                "window": leg.window.number if leg.window_id else None,
            }
        )
    return rows


def next_stop(legs: list[dict]) -> dict | None:
    """The stop after the current one (the "下一站" shown), if any."""
    current = next((i for i, leg in enumerate(legs) if leg["state"] == "current"), None)
    if current is None or current + 1 >= len(legs):
        return None
    return legs[current + 1]


def current_leg_items(ticket: Ticket) -> list:
    """The ServiceItems of the ticket's current stop (all its items when it has one queue)."""
    if ticket.stops <= 1:
        return list(ticket.items.order_by("code"))
    leg = TicketLeg.objects.filter(ticket_id=ticket.pk, position=ticket.leg).first()
    return list((leg.items if leg is not None else ticket.items).order_by("code"))
