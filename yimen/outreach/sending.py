"""The one way outreach queues a message: unsubscribed phones are skipped, the outbox is asked
(inside the caller's transaction, so a rollback removes the message too) and the trigger is
recorded for the pages. Never sends anything itself."""

from __future__ import annotations

from datetime import datetime

from yimen.core import clock
from yimen.core.fields import protected_lookup_hash
from yimen.core.masking import mask_phone
from yimen.queueing.models import Appointment, Ticket

from .models import OptOut, Trigger


def opted_out(phone: str) -> bool:
    digest = protected_lookup_hash(phone)
    return bool(digest) and OptOut.objects.filter(phone_hash=digest).exists()


def queue_message(
    *,
    to: str,
    template: str,
    params: dict[str, str],
    dedupe_key: str,
    ticket: Ticket | None = None,
    appointment: Appointment | None = None,
    not_before: datetime | None = None,
) -> Trigger | None:
    """Queue one message for (event, recipient) = `dedupe_key`. None when there is no phone,
    the phone unsubscribed, or the message was queued before (a recall, a retry, a second run).
    `to` may be any stored phone: the outbox normalises it and refuses what is not a mobile."""
    to = (to or "").strip()
    if not to or opted_out(to):
        return None
    from yimen.notify.services import enqueue

    message = enqueue(
        to=to,
        template=template,
        params={k: str(v) for k, v in params.items()},
        dedupe_key=dedupe_key,
        not_before=not_before,
    )
    if message is None:  # not a mobile number, or queued before by another path
        return None
    trigger = Trigger(
        message=message,
        kind=template,
        dedupe_key=dedupe_key,
        phone_masked=mask_phone(to),
        ticket=ticket,
        appointment=appointment,
        created_at=clock.now(),
    )
    # ON CONFLICT DO NOTHING: two windows calling in one queue at once may both find the same
    # ticket near its turn; the outbox's own dedupe key keeps the message single, and neither
    # call fails on the duplicate row
    Trigger.objects.bulk_create([trigger], ignore_conflicts=True)
    return trigger
