"""What a citizen holding a slip, a QR code or a booking link may open: a ticket or an appointment
looked up by its unguessable public id only — never by the sequential primary key or the ticket
number (both can be enumerated). Every holder page (status page, print page, portal ticket and
appointment pages, rating by slip) goes through these two functions."""

from __future__ import annotations

import re

from yimen.core.errors import NotFound

from ..models import Appointment, Ticket

# models.new_public_id: secrets.token_urlsafe(12) → 16 characters of the URL-safe alphabet
# (the column allows 24). Anything else is not a public id, whatever it happens to match.
PUBLIC_ID = re.compile(r"[A-Za-z0-9_-]{16,24}")


def is_public_id(text: str) -> bool:
    return isinstance(text, str) and PUBLIC_ID.fullmatch(text) is not None


def holder_ticket(public_id: str) -> Ticket:
    """The ticket whose slip/QR carries `public_id`; NotFound (404) for anything else."""
    if is_public_id(public_id):
        found = (
            Ticket.objects.select_related("outlet", "queue", "window")
            .filter(public_id=public_id)
            .first()
        )
        if found is not None:
            return found
    raise NotFound("找不到该排队号。", code="not_found")


def holder_appointment(public_id: str) -> Appointment:
    """The appointment whose confirmation carries `public_id`; NotFound (404) for anything else."""
    if is_public_id(public_id):
        found = (
            Appointment.objects.select_related("outlet", "queue", "item")
            .filter(public_id=public_id)
            .first()
        )
        if found is not None:
            return found
    raise NotFound("找不到该预约。", code="not_found")
