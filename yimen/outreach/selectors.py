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
    """The messages queued for a ticket (or a booking), oldest first: what, to whom (masked),
    when it was queued and — once the worker delivered it — when it was sent."""
    qs = Trigger.objects.all()
    if ticket is not None:
        qs = qs.filter(ticket=ticket)
    elif appointment is not None:
        qs = qs.filter(appointment=appointment)
    else:
        return []
    out = []
    for t in qs.select_related("message").order_by("created_at", "pk"):
        sent_at = t.message.sent_at if t.message is not None else None
        out.append(
            {
                "kind": t.kind,
                "label": LABELS.get(t.kind, "短信"),
                "queued_at": clock.local(t.created_at),
                "sent_at": clock.local(sent_at) if sent_at else None,
                "status": t.message.status if t.message is not None else "",
                "to": t.phone_masked,
            }
        )
    return out


def unsubscribe_token_for(phone: str) -> str:
    """The unsubscribe link's token for a page that shows messages sent to `phone` ('' without
    one)."""
    if not (phone or "").strip():
        return ""
    from .proactive import unsubscribe_token

    return unsubscribe_token(phone.strip())
