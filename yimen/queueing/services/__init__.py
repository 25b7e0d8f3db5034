"""Writes of the queue: issuing tickets, calling, serving, transfers, appointments, remote tickets.

Every function is one transaction and an explicit state transition recorded as a TicketEvent
(who, when, why) and in the audit log. Concurrency (docs/queue.md):
- numbers come from one atomic UPSERT … RETURNING on the per-queue daily counter;
- a call locks its window's row, picks its ticket with the pure dispatch policy, then locks that
  ticket's row while it is still waiting (SELECT … FOR UPDATE, with SKIP LOCKED on PostgreSQL so
  two windows never wait on, or take, the same ticket; a candidate gone meanwhile is skipped) and
  saves it as called; SQLite runs BEGIN IMMEDIATE transactions (settings) so writers are
  serialised;
- unique constraints (number per outlet-day, one active ticket per window, Idempotency-Key)
  are the last line of defence; IntegrityError / lock errors are retried a few times.


A package by concern: common (retries, locks, events, checks shared by every write), issuing
(tickets at the kiosk, remote tickets and their expiry), calls (call_next and the per-window call
serialisation; it lives in the hall's fast-path package, queueing/fastpath/calls.py), serving (call a specific ticket, recall, start, finish,
no-show, reactivate, cancel), appointments; transfers live in queueing/moves.py. Every name is
re-exported here.
"""

from yimen.core.errors import DomainError as DomainError  # in __all__: callers catch it from here

from .appointments import (
    _holder_or_staff as _holder_or_staff,
    book_appointment as book_appointment,
    cancel_appointment as cancel_appointment,
    check_in as check_in,
)
from .calls import (
    IDLE as IDLE,
    STALE as STALE,
    _call_next_locked as _call_next_locked,
    _calls_lock as _calls_lock,
    _calls_under_way as _calls_under_way,
    _counted_call as _counted_call,
    _lock_window as _lock_window,
    _taken_by_others as _taken_by_others,
    call_key as call_key,
    call_next as call_next,
    calling as calling,
    idle_for as idle_for,
    poll_from_cache as poll_from_cache,
)
from .common import (
    _SQLITE_WRITER as _SQLITE_WRITER,
    MAX_ATTEMPTS as MAX_ATTEMPTS,
    NOT_AT_OUTLET as NOT_AT_OUTLET,
    OFF_BOARD_ACTIONS as OFF_BOARD_ACTIONS,
    PUBLIC_CHANNELS as PUBLIC_CHANNELS,
    _actor_label as _actor_label,
    _check_phone as _check_phone,
    _clerk_at as _clerk_at,
    _closed_error as _closed_error,
    _event as _event,
    _held_at as _held_at,
    _is_pg as _is_pg,
    _lock_ticket as _lock_ticket,
    _next_seq as _next_seq,
    _priority_for as _priority_for,
    _record as _record,
    _retrying as _retrying,
    _staff as _staff,
    _transition as _transition,
    _window_bound as _window_bound,
    _with_config as _with_config,
    logger as logger,
)
from .issuing import (
    _check_issuer as _check_issuer,
    _create_ticket as _create_ticket,
    _expire as _expire,
    check_in_remote as check_in_remote,
    expire_remote as expire_remote,
    issue_remote_ticket as issue_remote_ticket,
    issue_ticket as issue_ticket,
)
from .serving import (
    _no_show as _no_show,
    call_specific as call_specific,
    cancel as cancel,
    finish as finish,
    mark_no_show as mark_no_show,
    reactivate as reactivate,
    recall as recall,
    start as start,
)

# isort: split
# Transfers (queueing/moves.py) use the helpers above: imported last.
from ..moves import held_by as held_by, return_to_queue as return_to_queue, transfer as transfer  # noqa: E402

__all__ = [
    "issue_ticket",
    "issue_remote_ticket",
    "check_in_remote",
    "expire_remote",
    "call_next",
    "call_specific",
    "recall",
    "start",
    "finish",
    "mark_no_show",
    "reactivate",
    "transfer",
    "return_to_queue",
    "held_by",
    "cancel",
    "book_appointment",
    "cancel_appointment",
    "check_in",
    "DomainError",
]
