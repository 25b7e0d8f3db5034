"""Shared by the feedback writes: the logger, SMS, actor labels, grievance events and notices, typed times."""

from __future__ import annotations

import logging
from datetime import timedelta

from yimen.core import clock
from yimen.core.errors import ValidationFailed
from yimen.core.validators import (
    check_date_window,
)

from ..models import (
    Grievance,
    GrievanceEvent,
    GrievanceNotice,
)

log = logging.getLogger("yimen.feedback")

TOKEN_SALT = "yimen.feedback.rate"


def _send_sms(phone: str, text: str, *, template: str, ref: str):
    try:
        from yimen.core import notify
    except ImportError:  # notification gateway not installed: the record in our tables stays
        return None
    return notify.send(phone, text, template=template, ref=ref)


# --- grievances: intake ---------------------------------------------------------------------------
def _actor_label(staff, fallback="system"):
    return staff.name if staff is not None else fallback


def _event(
    g: Grievance, action: str, from_status: str, staff=None, note: str = "", label: str = ""
):
    return GrievanceEvent.objects.create(
        grievance=g,
        action=action,
        from_status=from_status,
        to_status=g.status,
        level=g.level,
        note=note,
        by=staff,
        at=clock.now(),
        actor_label=label or _actor_label(staff),
    )


def _notify(g: Grievance, text: str, channel: str = "sms") -> GrievanceNotice:
    receipt = (
        _send_sms(g.phone, text, template=f"grievance.{g.status}", ref=g.number)
        if channel == "sms"
        else None
    )
    return GrievanceNotice.objects.create(
        grievance=g,
        at=clock.now(),
        channel=channel,
        text=text,
        delivered=bool(receipt and receipt.ok) or channel != "sms",
        reference=(getattr(receipt, "message_id", "") or getattr(receipt, "error", ""))[:100]
        if receipt
        else "",
    )


def _typed_time(value, label: str, code: str, *, slack: timedelta = timedelta(0)):
    """A time a person typed: within the sane window (not before 2000, not later than now + `slack`),
    made aware (naive = Shanghai time). None stays None."""
    if value is None:
        return None
    check = check_date_window(value, latest=clock.now() + slack, label=label)
    if not check.ok:
        raise ValidationFailed(check.message, code=code)
    return clock.local(value) if value.tzinfo is None else value
