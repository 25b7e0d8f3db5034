"""Pure rules of outreach: who is near their turn, when an appointment reminder is due, the
dedupe keys, the SMS length. No database, no clock, no HTTP (the tests and the services share
them)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

SMS_LIMIT = 70  # characters of one Chinese SMS (sign included); longer texts are split and billed
DAY_BEFORE_AT = time(10, 0)  # the day-before reminder goes out from 10:00 the day before
HOUR_BEFORE = timedelta(hours=1)
YEARLY_NOTICE_DAYS = 30  # a yearly reminder goes out this many days before its deadline
UNSUBSCRIBE_WORDS = frozenset({"T", "TD", "N", "退订", "取消订阅", "UNSUBSCRIBE"})

NEAR, NEAR_REMOTE, CALL = "queue.near", "queue.near_remote", "queue.call"
BOOKED, DAY_BEFORE, HOUR_BEFORE_KIND = "appt.booked", "appt.day_before", "appt.hour_before"
CANCELLED, CLOSED, YEARLY = "appt.cancelled", "appt.closed", "proactive.yearly"


@dataclass(frozen=True)
class Waiting:
    """A waiting ticket as the position rule sees it."""

    id: int
    queue_id: int
    queued_at: datetime
    priority: bool  # a priority ticket counts only the priority tickets ahead of it
    counted: bool  # checked in (a remote ticket not yet checked in keeps its place uncounted)


def positions(rows: Iterable[Waiting]) -> dict[int, int]:
    """Each waiting ticket's place in its queue, as the ticket's status page shows it
    (queueing.selectors.ticket_status): 1 + the counted tickets ahead (only the priority ones for
    a priority ticket), ahead = earlier queue time, then lower id."""
    out: dict[int, int] = {}
    ahead: dict[int, list[int]] = {}  # queue → [counted ahead, counted priority ahead]
    for row in sorted(rows, key=lambda r: (r.queue_id, r.queued_at, r.id)):
        counts = ahead.setdefault(row.queue_id, [0, 0])
        out[row.id] = (counts[1] if row.priority else counts[0]) + 1
        if row.counted:
            counts[0] += 1
            counts[1] += 1 if row.priority else 0
    return out


def near_turn(rows: Iterable[Waiting], n: int) -> dict[int, int]:
    """The tickets at position ≤ n ({id: position}): the "快到您了" candidates."""
    return {pk: pos for pk, pos in positions(rows).items() if pos <= n}


def near_key(ticket_id: int, leg: int = 0) -> str:
    """Once per ticket — and per stop of a visit of several queues (`leg`: 0 the first)."""
    return f"{NEAR}:{ticket_id}" if not leg else f"{NEAR}:{ticket_id}:{leg}"


def call_key(ticket_id: int, window_id: int) -> str:
    """Once per ticket and window: a recall at the same window is not a new message, a call at
    another window (after a transfer) is."""
    return f"{CALL}:{ticket_id}:{window_id}"


def appointment_key(kind: str, appointment_id: int) -> str:
    return f"{kind}:{appointment_id}"


def reminders_due(
    slot_start: datetime, created_at: datetime, now: datetime, *, cancelled: bool = False
) -> list[str]:
    """Reminders of a booking due at `now` (times aware, in the outlet's zone): the day before
    (from 10:00 the day before) and one hour before the slot — each only when the booking was
    made before that moment (who books at 15:00 for tomorrow has just been told) and the slot has
    not begun. The outbox's quiet hours hold a late one until morning."""
    if cancelled or now >= slot_start:
        return []
    due = []
    day_before = datetime.combine(
        slot_start.date() - timedelta(days=1), DAY_BEFORE_AT, tzinfo=slot_start.tzinfo
    )
    hour_before = slot_start - HOUR_BEFORE
    if created_at < day_before <= now and now < hour_before:
        due.append(DAY_BEFORE)
    if created_at < hour_before <= now:
        due.append(HOUR_BEFORE_KIND)
    return due


def yearly_remind_on(due: date, days: int = YEARLY_NOTICE_DAYS) -> date:
    return due - timedelta(days=days)


def is_unsubscribe(text: str) -> bool:
    """A reply that asks to unsubscribe ("T", "TD", "退订" …; case and spaces ignored)."""
    return (text or "").strip().upper().replace(" ", "") in UNSUBSCRIBE_WORDS


def clip(text: str, limit: int) -> str:
    """A parameter cut to `limit` characters ("…" marks the cut) so a message fits one SMS."""
    text = (text or "").strip()
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def fits_sms(text: str) -> bool:
    return len(text) <= SMS_LIMIT
