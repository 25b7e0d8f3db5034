"""Writes of the outbox: enqueue (inside the caller's transaction), retry, delivery receipts.

    from yimen.notify.services import enqueue
    enqueue(to=phone, template="case.ready", params={...}, dedupe_key=f"case.ready:{case.pk}")

The message is a row of the caller's transaction: a rollback removes it, a commit makes it due
for `yimen worker`, which delivers it (services never send anything themselves).
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

from django.db import IntegrityError, transaction

from yimen.core import audit, clock
from yimen.core.errors import Conflict, NotFound
from yimen.core.fields import protected_lookup_hash
from yimen.core.masking import mask_phone

from . import conf, messages, rules
from .models import DEAD, PENDING, SENT, OutboxMessage

log = logging.getLogger("yimen.notify")

CHANNELS = {"sms"}
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalize_phone(value: str) -> str:
    """'+86 138-0013-8000' → '13800138000'; '' when it is not a mainland mobile number."""
    digits = re.sub(r"[\s\-()]", "", value or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits if _MOBILE.match(digits) else ""


def first_allowed(at: datetime, urgent: bool) -> datetime:
    """`at`, or the end of the quiet hours when `at` falls inside them (urgent: always `at`)."""
    if urgent:
        return at
    return rules.quiet_hours_end(clock.local(at), conf.quiet_hours())


def enqueue(
    *,
    to: str,
    template: str,
    params: dict[str, str],
    dedupe_key: str,
    channel: str = "sms",
    not_before: datetime | None = None,
    sensitive: bool = False,
) -> OutboxMessage | None:
    """Queue one message in the current transaction. Returns None when a message with this
    `dedupe_key` is already queued, or when `to` is not a mobile number (logged, masked).
    An unknown template or a missing parameter raises messages.TemplateError."""
    tpl = messages.check(template, params)
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    if not dedupe_key or len(dedupe_key) > 200:
        raise ValueError("dedupe_key must be 1–200 characters")
    phone = normalize_phone(to)
    if not phone:
        log.warning("outbox: %s not queued, no mobile number (%s)", template, mask_phone(to))
        return None
    if OutboxMessage.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    now = clock.now()
    due = first_allowed(max(now, not_before or now), tpl.urgent)
    try:
        with transaction.atomic():  # a savepoint: a concurrent duplicate leaves the caller's work
            return OutboxMessage.objects.create(
                channel=channel,
                recipient=phone,
                template=template,
                params={k: str(v) for k, v in params.items()},
                dedupe_key=dedupe_key,
                sensitive=sensitive,
                status=PENDING,
                next_attempt_at=due,
                created_at=now,
            )
    except IntegrityError:
        return None


def enqueue_exchange(
    *, system: str, kind: str, params: dict[str, str], dedupe_key: str
) -> OutboxMessage | None:
    """Queue one push to an external system (yimen/exchange) in the current transaction: the
    recipient is the system's code, the template `exchange.<system>.<kind>`, the params name the
    exchange document. Not held by quiet hours nor the daily limit. None when already queued."""
    if not dedupe_key or len(dedupe_key) > 200:
        raise ValueError("dedupe_key must be 1–200 characters")
    if OutboxMessage.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    now = clock.now()
    try:
        with transaction.atomic():
            return OutboxMessage.objects.create(
                channel="exchange",
                recipient=system,
                template=f"exchange.{system}.{kind}"[:64],
                params={k: str(v) for k, v in params.items()},
                dedupe_key=dedupe_key,
                status=PENDING,
                next_attempt_at=now,
                created_at=now,
            )
    except IntegrityError:
        return None


def for_phone(phone: str):
    return OutboxMessage.objects.filter(
        recipient_hash=protected_lookup_hash(normalize_phone(phone))
    )


@transaction.atomic
def retry(message_id: int, actor="system") -> OutboxMessage:
    """An administrator sends a dead (or failed) message again: due now, attempts from zero."""
    msg = OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
    if msg is None:
        raise NotFound(f"没有编号为 {message_id} 的消息。")
    if msg.status == SENT:
        raise Conflict("该消息已发送，不能重发。", code="already_sent")
    if msg.status == DEAD and msg.sensitive and not msg.params:
        raise Conflict("敏感消息的参数已清除，不能重发。", code="params_wiped")
    before = msg.status
    msg.status, msg.attempts, msg.last_error = PENDING, 0, ""
    msg.next_attempt_at = clock.now()
    msg.claimed_by, msg.claimed_until, msg.in_flight, msg.in_doubt = "", None, False, False
    msg.save()
    audit.record(actor, "notify.retry", msg, before={"status": before}, after={"status": PENDING})
    return msg


@transaction.atomic
def record_receipt(provider: str, message_id: str, status: str, at: datetime | None = None) -> int:
    """A delivery receipt from a provider (its message id and status): returns the rows updated."""
    return OutboxMessage.objects.filter(provider=provider, provider_message_id=message_id).update(
        receipt_status=status[:40], receipt_at=at or clock.now()
    )
