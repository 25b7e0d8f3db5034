"""Reads for the citizen pages: which messages were queued for a ticket or a booking."""

from __future__ import annotations

from yimen.core import clock

from . import rules
from .models import Trigger

LABELS = {
    rules.NEAR: "“快到您了”提醒",
    rules.NEAR_REMOTE: "“快到您了”提醒",
    rules.CALL: "叫号通知",
    rules.BOOKED: "预约确认",
    rules.DAY_BEFORE: "预约前一天提醒",
    rules.HOUR_BEFORE_KIND: "预约前一小时提醒",
    rules.CANCELLED: "预约取消通知",
    rules.CLOSED: "闭馆改约通知",
}


def sent_for(*, ticket=None, appointment=None) -> list[dict]:
    """The messages queued for a ticket (or a booking), oldest first: what, when, to whom
    (masked)."""
    qs = Trigger.objects.all()
    if ticket is not None:
        qs = qs.filter(ticket=ticket)
    elif appointment is not None:
        qs = qs.filter(appointment=appointment)
    else:
        return []
    return [
        {
            "kind": t.kind,
            "label": LABELS.get(t.kind, "短信"),
            "at": clock.local(t.created_at),
            "to": t.phone_masked,
        }
        for t in qs.order_by("created_at", "pk")
    ]
