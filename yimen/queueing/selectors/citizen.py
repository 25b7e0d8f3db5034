"""A citizen's own tickets and bookings, by the keyed hash of their ID number (portal “我的”)."""

from __future__ import annotations

from ..models import Appointment, Ticket

LIMIT = 50


def tickets_of_person(id_hash: str) -> list[Ticket]:
    if not id_hash:
        return []
    return list(
        Ticket.objects.filter(id_number_hash=id_hash)
        .select_related("outlet", "queue", "window")
        .order_by("-issued_at", "-pk")[:LIMIT]
    )


def appointments_of_person(id_hash: str) -> list[Appointment]:
    if not id_hash:
        return []
    return list(
        Appointment.objects.filter(id_number_hash=id_hash)
        .select_related("outlet", "item")
        .order_by("-slot_start", "-pk")[:LIMIT]
    )


def phones_of_person(id_hash: str) -> set[str]:
    """The phones given with this ID number on tickets and bookings (decrypted, for matching)."""
    phones = {t.phone for t in Ticket.objects.filter(id_number_hash=id_hash).only("phone")[:200]}
    phones |= {
        a.phone for a in Appointment.objects.filter(id_number_hash=id_hash).only("phone")[:200]
    }
    return {p for p in phones if p}
