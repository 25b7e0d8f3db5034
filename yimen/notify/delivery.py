"""Delivery of due outbox messages by a worker: claim a batch, send each, settle each.

Claiming is one short transaction: the due rows are selected `FOR UPDATE SKIP LOCKED` on
PostgreSQL (on SQLite the transaction is BEGIN IMMEDIATE, so claims are serialised) and marked
with the claim's token and a lease (`claimed_until`) by a conditional UPDATE — a row is only ever
claimed by one worker at a time, whatever the number of workers and machines. Each message is
then sent outside any transaction and settled by an UPDATE on (id, token).

A worker that dies (kill -9, power) leaves its claimed rows `in_flight`; when the lease runs out
another worker claims them again and, for each, first asks the provider whether it already
accepted that message (`Provider.find`, by our reference) before sending — so a message whose
send reached the provider just before the crash is recorded as sent, not sent twice.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F, Q

from yimen.core import clock
from yimen.core.masking import mask_phone

from . import conf, messages, rules
from .backends import Outgoing, Provider, ProviderUnavailable, SendResult, get_provider
from .backends.http import TIMEOUT
from .models import DEAD, FAILED, PENDING, SENT, OutboxMessage

log = logging.getLogger("yimen.notify")


@dataclass
class DeliveryStats:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    deferred: int = 0
    recovered: int = 0  # in doubt after a crash, found at the provider: recorded, not resent
    errors: list[str] = field(default_factory=list)

    def add(self, other: DeliveryStats) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.dead += other.dead
        self.deferred += other.deferred
        self.recovered += other.recovered
        self.errors += other.errors

    @property
    def handled(self) -> int:
        return self.sent + self.failed + self.dead + self.deferred + self.recovered

    def as_dict(self) -> dict[str, int]:
        return {
            "sent": self.sent,
            "failed": self.failed,
            "dead": self.dead,
            "deferred": self.deferred,
            "recovered": self.recovered,
        }


def urgent_codes() -> list[str]:
    return [code for code, t in messages.TEMPLATES.items() if t.urgent]


def _free(now: datetime) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)


def due_messages(now: datetime):
    qs = OutboxMessage.objects.filter(status__in=[PENDING, FAILED], next_attempt_at__lte=now)
    qs = qs.filter(_free(now))
    if rules.in_quiet_hours(clock.local(now), conf.quiet_hours()):
        # the others wait for the morning; pushes to other systems (exchange) never do
        qs = qs.filter(Q(template__in=urgent_codes()) | Q(channel="exchange"))
    return qs


def claim(worker_id: str, limit: int | None = None) -> tuple[str, list[OutboxMessage]]:
    """Claim up to `limit` due messages for this worker: (token, rows)."""
    now = clock.now()
    limit = limit or conf.batch_size()
    token = f"{worker_id[:28]}:{uuid.uuid4().hex[:8]}"
    with transaction.atomic():
        candidates = due_messages(now).order_by("next_attempt_at", "id")
        if connection.vendor == "postgresql":
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("pk", flat=True)[:limit])
        if not ids:
            return token, []
        OutboxMessage.objects.filter(pk__in=ids).filter(_free(now)).update(
            claimed_by=token,
            claimed_until=now + timedelta(seconds=conf.lease_seconds()),
            in_doubt=F("in_flight"),
            in_flight=True,
            attempts=F("attempts") + 1,
        )
    return token, list(OutboxMessage.objects.filter(claimed_by=token).order_by("id"))


def _settle(msg: OutboxMessage, token: str, **changes) -> bool:
    changes.setdefault("in_flight", False)
    changes.setdefault("in_doubt", False)
    changes.setdefault("claimed_by", "")
    changes.setdefault("claimed_until", None)
    updated = OutboxMessage.objects.filter(pk=msg.pk, claimed_by=token).update(**changes)
    if not updated:
        log.warning("outbox #%s: the claim was lost before it was settled", msg.pk)
    return bool(updated)


def _release(msg: OutboxMessage, token: str, until: datetime, why: str) -> None:
    """Give the claim back without counting an attempt (quiet hours, daily limit)."""
    _settle(
        msg,
        token,
        attempts=F("attempts") - 1,
        next_attempt_at=until,
        last_error=why[:500],
        in_flight=F("in_doubt"),  # still in doubt if it was
    )


def _sent_today(msg: OutboxMessage, now: datetime) -> int:
    start = clock.local(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return OutboxMessage.objects.filter(
        recipient_hash=msg.recipient_hash, status=SENT, sent_at__gte=start
    ).count()


def _record(msg: OutboxMessage, token: str, result: SendResult, provider: Provider) -> str:
    now = clock.now()
    wipe = {"params": {}} if msg.sensitive else {}
    if result.ok:
        _settle(
            msg,
            token,
            status=SENT,
            sent_at=now,
            provider=provider.name,
            provider_message_id=result.message_id[:100],
            last_error="",
            **wipe,
        )
        log.info("outbox #%s %s → %s sent", msg.pk, msg.template, mask_phone(msg.recipient))
        return SENT
    error = result.error[:500] or "发送失败"
    if not result.retry or msg.attempts >= conf.max_attempts():
        _settle(msg, token, status=DEAD, last_error=error, provider=provider.name, **wipe)
        log.warning(
            "outbox #%s %s → %s dead after %s attempt(s): %s",
            msg.pk,
            msg.template,
            mask_phone(msg.recipient),
            msg.attempts,
            error,
        )
        return DEAD
    template = messages.TEMPLATES.get(msg.template)
    later = now + rules.backoff(msg.attempts, conf.backoff_base(), conf.backoff_cap())
    from .services import first_allowed

    _settle(
        msg,
        token,
        status=FAILED,
        last_error=error,
        provider=provider.name,
        next_attempt_at=first_allowed(
            later, bool(template and template.urgent) or msg.channel == "exchange"
        ),
    )
    log.info("outbox #%s → %s failed, retry later: %s", msg.pk, mask_phone(msg.recipient), error)
    return FAILED


def _count(outcome: str, stats: DeliveryStats) -> None:
    if outcome == SENT:
        stats.sent += 1
    elif outcome == DEAD:
        stats.dead += 1
    else:
        stats.failed += 1


def deliver_exchange(msg: OutboxMessage, token: str, stats: DeliveryStats) -> None:
    """A push to an external system (yimen/exchange): its receiver is idempotent on the document
    id, so a push in doubt after a crash is simply sent again."""
    from yimen.exchange.delivery import EXCHANGE, send

    try:
        result = send(msg)
    except Exception as exc:  # noqa: BLE001 — an adapter bug must not stop the batch
        log.exception("outbox #%s: exchange push raised", msg.pk)
        result = SendResult(False, error=f"{type(exc).__name__}: {exc}", retry=True)
    _count(_record(msg, token, result, EXCHANGE), stats)


def deliver_one(msg: OutboxMessage, token: str, provider: Provider, stats: DeliveryStats) -> None:
    if msg.channel == "exchange":
        return deliver_exchange(msg, token, stats)
    now = clock.now()
    try:
        template = messages.check(msg.template, msg.params)
        text = messages.render(msg.template, msg.params)
    except messages.TemplateError as exc:
        _record(msg, token, SendResult(False, error=str(exc), retry=False), provider)
        stats.dead += 1
        return
    limit = conf.daily_limit()
    if not template.urgent and limit > 0 and _sent_today(msg, now) >= limit:
        until = rules.next_day_start(clock.local(now), conf.quiet_hours())
        _release(msg, token, until, f"已达每日上限 {limit} 条，顺延至次日")
        stats.deferred += 1
        return
    outgoing = Outgoing(
        id=msg.pk,
        to=msg.recipient,
        template=template,
        params=dict(msg.params),
        text=text,
        sensitive=msg.sensitive,
    )
    if msg.in_doubt:
        found = _ask(provider, outgoing)
        if found is not None and found.ok:
            _record(msg, token, found, provider)
            stats.recovered += 1
            return
    try:
        result = provider.send(outgoing)
    except ProviderUnavailable as exc:
        result = SendResult(False, error=f"通道不可用：{exc}", retry=True)
    except Exception as exc:  # noqa: BLE001 — an adapter bug must not stop the batch
        log.exception("outbox #%s: provider %s raised", msg.pk, provider.name)
        result = SendResult(False, error=f"{type(exc).__name__}: {exc}", retry=True)
    _count(_record(msg, token, result, provider), stats)


def _ask(provider: Provider, outgoing: Outgoing) -> SendResult | None:
    try:
        return provider.find(outgoing)
    except Exception:  # noqa: BLE001 — cannot tell: send again
        log.warning("outbox #%s: could not ask %s about it", outgoing.id, provider.name)
        return None


def deliver_batch(
    worker_id: str,
    provider: Provider | None = None,
    limit: int | None = None,
    should_stop=lambda: False,
) -> DeliveryStats:
    """Claim one batch and deliver it. Messages not reached (stop asked, lease running out) are
    released at once for the next claim."""
    stats = DeliveryStats()
    token, batch = claim(worker_id, limit)
    if not batch:
        return stats
    provider = provider or get_provider()
    for i, msg in enumerate(batch):
        lease_left = (msg.claimed_until or clock.now()) - clock.now()
        if should_stop() or lease_left.total_seconds() < TIMEOUT:
            for rest in batch[i:]:
                _release(rest, token, rest.next_attempt_at, rest.last_error)
            break
        try:
            deliver_one(msg, token, provider, stats)
        except Exception as exc:  # noqa: BLE001 — one bad row never stops the batch
            log.exception("outbox #%s could not be delivered and was skipped", msg.pk)
            stats.errors.append(f"#{msg.pk}: {exc}")
    return stats


def deliver_due(
    worker_id: str,
    provider: Provider | None = None,
    *,
    max_batches: int = 1000,
    should_stop=lambda: False,
) -> DeliveryStats:
    """Deliver everything due now (batch after batch) and return the counts."""
    total = DeliveryStats()
    provider = provider or get_provider()
    for _ in range(max_batches):
        stats = deliver_batch(worker_id, provider, should_stop=should_stop)
        total.add(stats)
        if stats.handled == 0 and not stats.errors or should_stop():
            break
    return total
