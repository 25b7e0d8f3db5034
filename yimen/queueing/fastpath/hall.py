"""The hall's state (sessions and waiting tickets), cached per outlet and refreshed on changes;
what call_next and the fast lane peek at. Re-exported by `queueing.selectors`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from yimen.core import changes
from yimen.core.refresher import refresher
from yimen.outlets.models import Outlet
from yimen.staff.models import WindowSession

from ..models import Ticket
from ..selectors.config import _config, local_date
from ..selectors.dispatch import WindowSetup


@dataclass(frozen=True)
class HallState:
    """One outlet's hall today, as the fast paths need it: who is signed in where, which windows
    have a ticket in hand, how many callable tickets wait per queue. One query per change."""

    day: object
    sessions: dict  # window id -> (staff id, session state)
    busy_windows: frozenset  # windows with a called/serving ticket
    waiting: dict  # queue code -> callable waiting tickets
    targeted: frozenset  # windows that transferred tickets wait for
    next_lapse: datetime | None  # earliest check-in deadline of a remote ticket not yet checked in
    queued: dict  # queue code -> waiting tickets, remote ones not yet checked in too (boards)

    def waiting_total(self, queue_codes) -> int:
        return sum(self.waiting.get(code, 0) for code in queue_codes)

    def may_have_work(self, window_id: int, queue_codes, now) -> bool:
        return (
            window_id in self.busy_windows
            or window_id in self.targeted
            or any(self.waiting.get(code) for code in queue_codes)
            or (self.next_lapse is not None and self.next_lapse < now)
        )


_halls = changes.VersionedCache()


def _hall_entries(outlet_id: int, day):
    """(topic, key) of the hall's two cache entries: sessions change rarely, tickets many times a second."""
    return (changes.sessions(outlet_id), ("sessions", outlet_id)), (
        changes.hall(outlet_id),
        ("tickets", outlet_id, day),
    )


def _hall(day, sessions, tickets) -> HallState:
    busy, targeted, waiting, lapse, queued = tickets
    return HallState(day, sessions, frozenset(busy), waiting, frozenset(targeted), lapse, queued)


# While core.refresher runs, the fast lane may answer from a hall or board this many seconds old
# even if a ticket has changed since: the refresher is then already recomputing it (its rounds
# are at most MIN_ROUND_SECONDS = 0.2 s apart). It saves every poll during a refresh from waiting
# for it; an idle window answered "nobody" from such a state gets what it would have got 0.4 s
# earlier, and asks again a few seconds later. Who is signed in where (sessions) is always exact.
FAST_LANE_STALENESS = 0.4


def _staleness() -> float:
    return FAST_LANE_STALENESS if refresher.running else 0.0


def peek_hall_state(outlet_id: int, day) -> HallState | None:
    """hall_state if both its parts are cached and current (see FAST_LANE_STALENESS), else None
    (no database)."""
    (sessions_topic, sessions_key), (tickets_topic, tickets_key) = _hall_entries(outlet_id, day)
    sessions = _halls.peek(sessions_topic, sessions_key)
    tickets = _halls.peek(tickets_topic, tickets_key, max_stale=_staleness())
    return None if sessions is None or tickets is None else _hall(day, sessions, tickets)


def keep_hall_fresh(outlet_id: int, day) -> bool:
    """Have core.refresher keep this hall's state current (False when it is off)."""
    return refresher.want(("hall", outlet_id, day), lambda: hall_state(outlet_id, day))


def peek_window_setup(window_id: str) -> WindowSetup | None:
    return _config.peek("config", ("window", str(window_id)))


def peek_outlet(code: str) -> Outlet | None:
    return _config.peek("config", ("outlet", code))


def hall_state(outlet_id: int, day=None) -> HallState:
    day = day or local_date()

    def compute():
        busy, targeted, waiting, lapse, queued = set(), set(), {}, None, {}
        rows = Ticket.objects.filter(
            outlet_id=outlet_id,
            service_date=day,
            status__in=[Ticket.WAITING, *Ticket.ACTIVE_STATES],
        ).values_list(
            "status", "queue__code", "window_id", "target_window_id", "check_in_by", "checked_in_at"
        )
        for status, queue_code, window_id, target, check_in_by, checked_in_at in rows:
            if status != Ticket.WAITING:
                busy.add(window_id)
                continue
            queued[queue_code] = queued.get(queue_code, 0) + 1
            if check_in_by is not None and checked_in_at is None:
                lapse = (
                    check_in_by if lapse is None else min(lapse, check_in_by)
                )  # not callable yet
            else:
                waiting[queue_code] = waiting.get(queue_code, 0) + 1
                if target is not None:
                    targeted.add(target)
        return busy, targeted, waiting, lapse, queued

    (_sessions_topic, _sessions_key), (tickets_topic, tickets_key) = _hall_entries(outlet_id, day)
    return _hall(
        day,
        hall_sessions(outlet_id),
        _halls.get(tickets_topic, tickets_key, compute, serve_stale=True),
    )


def hall_sessions(outlet_id: int) -> dict:
    """Who is signed in at the outlet's windows: window id -> (staff id, session state)."""

    def compute():
        return {
            w: (staff, state)
            for w, staff, state in WindowSession.objects.filter(
                window__outlet_id=outlet_id, ended_at__isnull=True
            ).values_list("window_id", "staff_id", "state")
        }

    (topic, key), _tickets = _hall_entries(outlet_id, None)
    return _halls.get(topic, key, compute, serve_stale=True)
