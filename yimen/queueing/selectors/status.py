"""A ticket's status: position, people ahead, estimated wait."""

from __future__ import annotations

import math

from yimen.catalog.models import ServiceItem
from yimen.core import changes
from yimen.outlets.models import Outlet
from yimen.staff.models import WindowSession

from ..models import Queue, Ticket
from .config import get_ticket, queue_infos
from .hall import hall_sessions

# --- ticket status ----------------------------------------------------------------------------

_estimates = changes.VersionedCache()  # core.changes "estimates": only the lifetime drops them


def average_service_minutes(queue: Queue, outlet: Outlet, sample: int = 50) -> float:
    """Mean call-to-finish time of the queue's last `sample` finished tickets (default 6 min).
    An estimate over dozens of services: recomputed at most once a minute per process (every
    ticket issued shows it)."""

    def compute():
        rows = list(
            Ticket.objects.filter(
                queue=queue, status=Ticket.DONE, called_at__isnull=False, finished_at__isnull=False
            )
            .order_by("-finished_at")
            .values_list("called_at", "finished_at")[:sample]
        )
        if len(rows) < 5:
            return outlet.options.default_service_minutes
        return sum((b - a).total_seconds() for a, b in rows) / 60.0 / len(rows)

    return _estimates.get("estimates", ("service_minutes", queue.pk, sample), compute)


def serving_windows(queue: Queue, outlet: Outlet) -> int:
    """Windows of the queue's group with a clerk signed in and serving (≥ 1 for estimates: during
    opening hours the A/B rota keeps the windows staffed). From the hall's cached sessions."""
    info = next((i for i in queue_infos(outlet) if i.queue.pk == queue.pk), None)
    sessions = hall_sessions(outlet.pk)
    n = sum(
        1
        for w in (info.windows if info else ())
        if sessions.get(w.pk, (None, ""))[1] == WindowSession.SERVING
    )
    return max(n, 1)


_ticket_items = changes.VersionedCache(maxsize=8192)  # core.changes "ticket_items": never bumped


def ticket_items(ticket_id: int) -> list[tuple[int, str]]:
    """(id, code) of a ticket's items, in code order. A ticket's items are set when it is issued
    and never change, so they are cached per process (each call, start and finish shows them)."""
    return _ticket_items.get(
        "ticket_items",
        ticket_id,
        lambda: list(Ticket(pk=ticket_id).items.values_list("pk", "code")),
    )


def remember_ticket_items(ticket_id: int, items: list[ServiceItem]) -> None:
    """Prime ticket_items for a ticket just issued (after its transaction committed)."""
    _ticket_items.put(
        "ticket_items", ticket_id, sorted(((i.pk, i.code) for i in items), key=lambda r: r[1])
    )


def ticket_status(ticket: Ticket) -> dict:
    """Position, people ahead and estimated wait (method in docs/queue.md)."""
    ticket = get_ticket(ticket)
    data = {
        "id": ticket.pk,
        "public_id": ticket.public_id,
        "number": ticket.number,
        "status": ticket.status,
        "status_label": ticket.status_label,
        "queue": ticket.queue.code,
        "queue_name": ticket.queue.name,
        "outlet": ticket.outlet.code,
        "outlet_name": ticket.outlet.name,
        "priority": ticket.priority,
        "issued_at": ticket.issued_at,
        "window": ticket.window.number if ticket.window_id else None,
        "position": None,
        "people_ahead": None,
        "estimated_wait_minutes": None,
        "check_in_by": ticket.check_in_by,
        "checked_in": ticket.checked_in_at is not None or ticket.check_in_by is None,
        "stops": [],  # a visit of several queues: its stops (selectors/visits.py)
        "next_stop": None,
    }
    if ticket.stops > 1:
        from .visits import legs_of, next_stop

        data["stops"] = legs_of(ticket)
        following = next_stop(data["stops"])
        data["next_stop"] = following["queue_name"] if following else None
    if ticket.status == Ticket.WAITING:
        from django.db.models import Q

        ahead = (
            Ticket.objects.filter(
                queue=ticket.queue, service_date=ticket.service_date, status=Ticket.WAITING
            )
            .filter(
                Q(queued_at__lt=ticket.queued_at) | Q(queued_at=ticket.queued_at, pk__lt=ticket.pk)
            )
            .filter(Q(check_in_by__isnull=True) | Q(checked_in_at__isnull=False))
        )
        if ticket.priority:
            ahead = ahead.exclude(priority="")
        n = ahead.count()
        minutes = average_service_minutes(ticket.queue, ticket.outlet)
        windows = serving_windows(ticket.queue, ticket.outlet)
        data.update(
            position=n + 1,
            people_ahead=n,
            estimated_wait_minutes=int(math.ceil(n * minutes / windows)),
        )
    return data
