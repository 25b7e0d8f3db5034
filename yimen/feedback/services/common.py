"""Shared by the feedback writes: the logger, notices (SMS through the outbox), actor labels, grievance events and notices, typed times."""

from __future__ import annotations

import logging
from datetime import timedelta

from yimen.core import clock
from yimen.core.errors import ValidationFailed
from yimen.core.validators import (
    check_date_window,
)
from yimen.exchange import hooks as exchange
from yimen.notify.services import enqueue

from ..models import (
    Grievance,
    GrievanceEvent,
    GrievanceNotice,
)

log = logging.getLogger("yimen.feedback")

TOKEN_SALT = "yimen.feedback.rate"


# --- grievances: intake ---------------------------------------------------------------------------
def _actor_label(staff, fallback="system"):
    return staff.name if staff is not None else fallback


def _event(
    g: Grievance, action: str, from_status: str, staff=None, note: str = "", label: str = ""
):
    exchange.grievance_changed(g, action)  # a 12345 work order's result, after commit
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


def _notify(
    g: Grievance,
    text: str,
    channel: str = "sms",
    *,
    template: str = "",
    params: dict[str, str] | None = None,
) -> GrievanceNotice:
    """Record a notice to the person; an SMS notice also queues `template` in the outbox (in this
    transaction; the worker delivers it after commit, `reference` names the outbox row)."""
    notice = GrievanceNotice.objects.create(
        grievance=g, at=clock.now(), channel=channel, text=text, delivered=channel != "sms"
    )
    if channel == "sms":
        queued = enqueue(
            to=g.phone,
            template=template,
            params={"number": g.number, **(params or {})},
            dedupe_key=f"grievance.notice:{notice.pk}",
        )
        notice.reference = f"outbox:{queued.pk}" if queued else "无可用手机号"
        notice.save(update_fields=["reference"])
    return notice


def _typed_time(value, label: str, code: str, *, slack: timedelta = timedelta(0)):
    """A time a person typed: within the sane window (not before 2000, not later than now + `slack`),
    made aware (naive = Shanghai time). None stays None."""
    if value is None:
        return None
    check = check_date_window(value, latest=clock.now() + slack, label=label)
    if not check.ok:
        raise ValidationFailed(check.message, code=code)
    return clock.local(value) if value.tzinfo is None else value
