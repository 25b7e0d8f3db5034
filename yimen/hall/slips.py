"""The ticket slip: what it says (one Slip for the page and the thermal printer) and printing it
on the paired device's printer."""

from __future__ import annotations

import logging

from django.urls import reverse

from yimen.core import clock
from yimen.queueing import selectors as queue_selectors

from . import printing
from .devices import HallDevice

logger = logging.getLogger(__name__)


def status_url(request, ticket) -> str:
    return request.build_absolute_uri(reverse("queueing:ticket_status", args=[ticket.public_id]))


def slip_for(ticket, url: str) -> printing.Slip:
    status = queue_selectors.ticket_status(ticket)
    notes = []
    if ticket.check_in_by and not ticket.checked_in_at:
        notes.append(f"远程取号：请于 {clock.local(ticket.check_in_by):%H:%M} 前到场签到")
    if status["stops"]:  # one visit, several queues: the thermal slip lists the stops too
        route = " → ".join(f"{n}. {s['queue_name']}" for n, s in enumerate(status["stops"], 1))
        notes.append(f"分 {len(status['stops'])} 站办理：{route}；第一站办结后自动排入下一站")
    return printing.Slip(
        outlet=ticket.outlet.name,
        number=ticket.number,
        queue=ticket.queue.name,
        priority=ticket.priority,
        items=[i.display_name for i in ticket.items.all()],
        people_ahead=status.get("people_ahead") or 0,
        wait_minutes=status.get("estimated_wait_minutes") or 0,
        issued_at=f"{clock.local(ticket.issued_at):%Y-%m-%d %H:%M}",
        status_url=url,
        code=ticket.public_id,
        notes=notes,
    )


def print_on_device(ticket, url: str, device: HallDevice | None) -> tuple[bool, str]:
    """Print the slip on the device's thermal printer: (printed, message). Not printed when the
    device has no printer (the page prints) or the printer does not answer (logged)."""
    if device is None or device.printer is None:
        return False, ""
    try:
        printing.send(printing.escpos_job(slip_for(ticket, url)), device.printer)
    except printing.PrinterUnavailable as exc:
        logger.warning("slip %s on %s: %s", ticket.number, device.printer, exc.__cause__)
        return False, str(exc)
    return True, "凭条已打印，请取走凭条。"
