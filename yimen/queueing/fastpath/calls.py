"""Calls: call_next, the cached poll the fast lane asks (`poll_from_cache`), the one idle-window
decision both use (`idle_for`), the count of calls under way (`calling`) and the per-window
serialisation (`_lock_window`, also used by `services.serving`). Re-exported by
`queueing.services`."""

from __future__ import annotations

import contextvars
import threading
from contextlib import contextmanager

from django.db.models import OuterRef, Subquery

from yimen.core import clock
from yimen.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
)
from yimen.outlets.models import Window
from yimen.staff import authz
from yimen.staff.models import WindowSession

from .. import rules, selectors
from ..models import Ticket
from ..services.common import _clerk_at, _event, _is_pg, _record, _retrying, _with_config
from ..services.issuing import _expire

# --- calling ----------------------------------------------------------------------------------


def call_next(window, actor, *, request=None) -> Ticket | None:
    """The clerk at `window` calls the next ticket chosen by the dispatch policy (None: nobody)."""
    setup = selectors.window_setup(window.pk if isinstance(window, Window) else window)
    window, profile, policy = setup.window, setup.profile, setup.policy
    # Fast path (idle windows poll): the hall cache (core.changes; exact in this process, ~1 ms
    # behind other processes on PostgreSQL) tells "signed in?" and "anything for this window?"
    # without a query. Any sign of work falls through to the database below.
    now = clock.now()
    hall = selectors.hall_state(window.outlet_id, selectors.local_date(now))
    staff = _clerk_at(window, actor, session=hall.sessions.get(window.pk, (None, "closed")))
    if idle_for(hall, window.pk, profile, 0, now):  # 0: not counted yet, never "taken by others"
        return None
    queues = profile.queues | profile.fallback_queues
    lapsing = hall.next_lapse is not None and hall.next_lapse < now
    with calling(call_key(window, profile)) as contenders:
        if idle_for(hall, window.pk, profile, contenders, now):
            return None
        # Lock-free pre-check: when the policy would call nobody, answer without taking locks.
        # Only a window with fallback queues (the green channel taking others' tickets when idle)
        # can see waiting tickets it may not take; any other window takes what its queues hold.
        if window.pk not in hall.busy_windows and not lapsing and profile.fallback_queues:
            waiting = selectors.waiting_for(
                window.outlet_id, queues, window.pk, selectors.local_date(now)
            )
            if rules.choose_next(waiting, profile, now, policy) is None:
                return None
        return _call_next_locked(window, staff, profile, policy, lapsing, request)


IDLE, STALE = "idle", "stale"


def poll_from_cache(window_id, staff):
    """What call_next(window_id, staff) would do, judged from the per-process caches alone (no
    database, no waiting), for the ASGI fast lane (fastpath/lane.py):
    - IDLE: it would certainly return None — the clerk is signed in and serving at that window
      and nothing waits for it (or this process already has as many calls under way for those
      tickets as there are tickets);
    - STALE: the hall's cached state is being refreshed (core.refresher): ask again after its
      next round;
    - a call_key: there may be a ticket for this window; call_next must run (count it under
      that key from now on, see `calling`);
    - None: ask call_next (it is never an error)."""
    setup = selectors.peek_window_setup(window_id)
    if setup is None or staff is None or staff.role in authz.ACTIONS["queue.call"].district_roles:
        return None  # (district roles: region checks query the database)
    window, profile = setup.window, setup.profile
    now = clock.now()
    day = selectors.local_date(now)
    refreshing = selectors.keep_hall_fresh(window.outlet_id, day)  # each read keeps it wanted
    hall = selectors.peek_hall_state(window.outlet_id, day)
    if hall is None:
        return STALE if refreshing else None
    try:  # the same check as call_next's own fast path
        _clerk_at(window, staff, session=hall.sessions.get(window.pk, (None, "closed")))
    except DomainError:
        return None
    key = call_key(window, profile)
    contenders = _calls_under_way.get(key, 0) + 1  # were it to call
    return IDLE if idle_for(hall, window.pk, profile, contenders, now) else key


def idle_for(hall, window_id, profile, contenders: int, now) -> bool:
    """The idle-window decision — one rule for call_next and the fast lane (poll_from_cache):
    True when call_next would certainly call nobody at this window, judged from the hall's cached
    state: nothing in the hall may be for it, or this process already has `contenders` calls
    under way (this one included) for as many tickets as wait in its queues."""
    queues = profile.queues | profile.fallback_queues
    return not hall.may_have_work(window_id, queues, now) or _taken_by_others(
        hall, window_id, queues, contenders, now
    )


def call_key(window, profile) -> tuple:
    """Windows of one outlet serving the same queues compete for the same tickets."""
    return window.outlet_id, profile.queues | profile.fallback_queues


def _taken_by_others(hall, window_id, queues, contenders: int, now) -> bool:
    """Many idle windows see the same new ticket at once. When this process already has as many
    calls under way as there are tickets waiting, the others would only queue for the same rows
    and find them taken: answer "nobody" now (the window asks again in a moment). Not for a
    window with a ticket of its own (transferred to it, or active there) or lapses to process."""
    lapsing = hall.next_lapse is not None and hall.next_lapse < now
    return (
        contenders > hall.waiting_total(queues)
        and window_id not in hall.targeted
        and window_id not in hall.busy_windows
        and not lapsing
    )


_calls_lock = threading.Lock()
_calls_under_way: dict[tuple, int] = {}
_counted_call: contextvars.ContextVar[tuple | None] = contextvars.ContextVar(
    "yimen_counted_call", default=None
)


@contextmanager
def calling(key: tuple):
    """Count this process's call-next requests under way per call_key. Yields the count, this
    request included. The ASGI fast lane counts a request it hands to Django from that moment
    (it waits in the admission queue, too); call_next inside it then does not count it again."""
    if _counted_call.get() == key:
        yield _calls_under_way.get(key, 1)
        return
    with _calls_lock:
        _calls_under_way[key] = count = _calls_under_way.get(key, 0) + 1
    token = _counted_call.set(key)
    try:
        yield count
    finally:
        _counted_call.reset(token)
        with _calls_lock:
            _calls_under_way[key] -= 1
            if not _calls_under_way[key]:
                del _calls_under_way[key]


def _lock_window(window: Window, staff=None) -> str | None:
    """Serialise what puts a ticket at one window or ends its session (calls, sign-out, close):
    lock only its row (`of=("self",)`: never a related row, whatever a query joins). In the same
    statement: the number of the ticket the window holds (returned, None if none) and, with
    `staff`, their session there — checked again under the lock, so a call that raced a sign-out
    or a close never leaves a ticket at a closed window.

    PostgreSQL: the reads are a statement of their own after the lock. A statement that waited
    for a row lock re-reads only that row; its subqueries keep the snapshot taken when it began,
    and would miss the sign-out it waited for. (SQLite: BEGIN IMMEDIATE serialises writers.)"""
    if _is_pg():
        list(
            Window.objects.select_for_update(of=("self",))
            .filter(pk=window.pk)
            .order_by()
            .values_list("pk")
        )
    active = (
        Ticket.objects.filter(window=OuterRef("pk"), status__in=Ticket.ACTIVE_STATES)
        .order_by()
        .values("number")[:1]
    )
    rows = Window.objects.filter(pk=window.pk).order_by().annotate(active_number=Subquery(active))
    if staff is None:
        return rows.values_list("active_number", flat=True).first()
    session = (
        WindowSession.objects.filter(
            window=OuterRef("pk"), staff_id=staff.pk, ended_at__isnull=True
        )
        .order_by()
        .values("state")[:1]
    )
    row = (
        rows.annotate(session_state=Subquery(session))
        .values_list("active_number", "session_state")
        .first()
    )
    busy_with, state = row if row is not None else (None, None)
    if state is None:
        raise Forbidden(
            f"您没有在 {window.number} 号窗口签到，不能在该窗口叫号或办理。", code="not_signed_in"
        )
    if state != "serving":
        raise Conflict(f"{window.number} 号窗口已暂停服务，请先恢复服务。", code="window_paused")
    return busy_with


def _call_next_locked(window, staff, profile, policy, lapsing, request):
    def attempt():
        busy_with = _lock_window(window, staff)
        if busy_with is not None:
            raise Conflict(
                f"本窗口的 {busy_with} 号尚未办结，请先办结、转办或标记过号。", code="window_busy"
            )
        now = clock.now()
        day = selectors.local_date(now)
        if lapsing:  # remote tickets whose holders did not check in in time lapse first
            lapsed = Ticket.objects.filter(
                outlet_id=window.outlet_id,
                service_date=day,
                status=Ticket.WAITING,
                check_in_by__lt=now,
                checked_in_at__isnull=True,
            )
            for t in lapsed.select_for_update(of=("self",)).order_by("pk"):
                _expire(t)
        waiting = selectors.waiting_for(
            window.outlet_id,
            profile.queues | profile.fallback_queues,
            window.pk,
            day,
            with_items=selectors.needs_items(profile),
        )
        # the window's history only matters when priority and ordinary tickets wait together
        history = (
            selectors.window_history(window, day)
            if any(t.is_priority for t in waiting) and not all(t.is_priority for t in waiting)
            else None
        )
        skipped = set()
        while True:
            choice = rules.choose_next(
                [t for t in waiting if t.id not in skipped], profile, now, policy, history
            )
            if choice is None:
                return None
            pk = choice.ticket.id
            # lock the candidate (PostgreSQL: skipping one another window is taking right now)
            candidates = Ticket.objects.select_for_update(of=("self",), skip_locked=_is_pg())
            ticket = candidates.filter(pk=pk, status=Ticket.WAITING).order_by("pk").first()
            if ticket is None:
                skipped.add(pk)
                continue
            _with_config(ticket)
            (
                ticket.status,
                ticket.window,
                ticket.served_by,
                ticket.called_at,
                ticket.recall_count,
            ) = (Ticket.CALLED, window, staff, now, 0)
            ticket.save(
                update_fields=["status", "window", "served_by", "called_at", "recall_count"]
            )
            _event(
                ticket,
                "call",
                staff=staff,
                window=window,
                from_status=Ticket.WAITING,
                reason=choice.reason,
            )
            _record(
                staff,
                "ticket.call",
                ticket,
                Ticket.WAITING,
                reason=choice.reason,
                request=request,
                window=window.code,
            )
            return ticket

    return _retrying(attempt)
