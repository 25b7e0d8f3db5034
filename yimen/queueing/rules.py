"""The queue's two decisions, pure — no database, no clock — so the live system (queueing.selectors
and services), the simulator (insight.simulation) and the property tests run the same code:

- routing (`route_request`): which queue a request joins, over plain `QueueRecord`s;
- a visit's stops (`plan_visit`): the queues, in order, of one ticket for items no single queue
  takes together;
- dispatch (`choose_next`): who is called next at a window.

Times may be datetimes (live) or floats in minutes (simulator); only differences are used.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

GREEN_CHANNEL = "绿色通道"
ASSISTED = "帮办代办"


@dataclass(frozen=True)
class WaitingTicket:
    id: Hashable
    queue: str  # queue code, e.g. "CX-ZH"
    issued_at: Any  # datetime or minutes
    priority: str = ""  # "" = ordinary; else 老年人/残疾人/军人/孕妇 …
    items: frozenset[str] = frozenset()  # item codes
    target_window: Hashable | None = None  # transferred to one window specifically
    appointment_at: Any = None  # slot start of a checked-in appointment

    @property
    def is_priority(self) -> bool:
        return bool(self.priority)


@dataclass(frozen=True)
class WindowProfile:
    id: Hashable
    kind: str  # window kind (综合窗口, 绿色通道, …)
    queues: frozenset[str]  # queues this window serves
    # served only when nothing else waits (green window when idle)
    fallback_queues: frozenset[str] = frozenset()
    items: frozenset[str] | None = None  # the clerk's items; None = any item of its queues
    fallback_items: frozenset[str] | None = (
        None  # items it may take from fallback queues; None = any
    )


@dataclass(frozen=True)
class DispatchPolicy:
    priority_mode: str = "ratio"  # "strict": priority always first; "ratio": see below
    ordinary_per_priority: int = 2  # ratio: after a priority ticket, up to N ordinary ones
    max_ordinary_wait_minutes: float = 30.0  # anti-starvation bound for ordinary tickets
    # a checked-in appointment is due this long before its slot
    appointment_early_minutes: float = 10.0


@dataclass(frozen=True)
class Choice:
    ticket: WaitingTicket
    reason: str  # short Chinese explanation, logged with the call


@dataclass
class WindowHistory:
    """What the policy remembers per window: ordinary tickets served since the last priority one."""

    ordinary_since_priority: int = 0

    def record(self, ticket: WaitingTicket) -> None:
        self.ordinary_since_priority = 0 if ticket.is_priority else self.ordinary_since_priority + 1


# --- routing ---------------------------------------------------------------------------------

# Which kind of queue takes a request when several could (comprehensive first: 一窗无差别受理).
KIND_PREFERENCE: tuple[str, ...] = (
    "综合窗口",
    "专业窗口",
    "银行网点",
    "帮办代办",
    "办不成事窗口",
    GREEN_CHANNEL,
)

NO_ITEM = "no_item"
SPLIT_REQUIRED = "split_required"
NOT_HANDLED_HERE = "not_handled_here"
TOO_MANY_LEGS = "too_many_legs"


@dataclass(frozen=True)
class QueueRecord:
    """A queue as routing sees it. `accepts`: the item codes its windows take (for the live
    system, of the items asked for); `prefix`: the ticket-number prefix, the tie-break between
    queues of the same kind."""

    code: str
    kind: str
    accepts: frozenset[str]
    prefix: str = ""


@dataclass(frozen=True)
class RoutedItem:
    code: str
    green_channel_eligible: bool = False


@dataclass(frozen=True)
class Route:
    """The queue chosen (its code), or why there is none (`problem`: NO_ITEM, SPLIT_REQUIRED,
    NOT_HANDLED_HERE)."""

    queue: str | None
    problem: str = ""


def _kind_rank(kind: str) -> int:
    return KIND_PREFERENCE.index(kind) if kind in KIND_PREFERENCE else len(KIND_PREFERENCE)


def route_request(
    queues: Sequence[QueueRecord], items: Sequence[RoutedItem], priority: bool
) -> Route:
    """The queue a request for `items` joins (docs/queue.md, 分流规则). `queues` in prefix order.

    1. A priority person whose items may all use the green channel goes to the (first) green one.
    2. Otherwise the queue that takes every item, by kind (comprehensive first), then prefix.
    3. Failing that, a priority person goes to the green channel if it takes the items.
    4. Nothing takes them together: split (each item somewhere) or not handled here."""
    if not items:
        return Route(None, NO_ITEM)
    green = [q for q in queues if q.kind == GREEN_CHANNEL]
    if priority and green and all(i.green_channel_eligible for i in items):
        return Route(green[0].code)
    candidates = [
        q for q in queues if q.kind != GREEN_CHANNEL and all(i.code in q.accepts for i in items)
    ]
    if candidates:
        return Route(min(candidates, key=lambda q: (_kind_rank(q.kind), q.prefix)).code)
    if priority and green and all(i.code in green[0].accepts for i in items):
        return Route(green[0].code)
    if len(items) > 1 and all(any(i.code in q.accepts for q in queues) for i in items):
        return Route(None, SPLIT_REQUIRED)
    return Route(None, NOT_HANDLED_HERE)


MAX_LEGS = 4  # a visit of more stops is better planned at the guide desk, item by item


@dataclass(frozen=True)
class Leg:
    """One stop of a visit: the queue (code) and the item codes handled there."""

    queue: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class VisitPlan:
    """The stops of one visit (one ticket), in order, or why there are none (`problem`)."""

    legs: tuple[Leg, ...]
    problem: str = ""


def plan_visit(
    queues: Sequence[QueueRecord], items: Sequence[RoutedItem], priority: bool
) -> VisitPlan:
    """One visit for items no single queue takes together (一次到场，多个队列): each item goes
    where `route_request` sends it alone, items sent to the same queue are one stop. The 帮办代办
    stop comes first (it prepares the file the windows then accept: S04, B1 before 2F); the
    other stops follow the order the items were asked for.
    When one queue takes them all, that is the one stop; otherwise `route_request`'s problem
    (NO_ITEM, NOT_HANDLED_HERE), or TOO_MANY_LEGS beyond MAX_LEGS stops."""
    whole = route_request(queues, items, priority)
    if whole.queue is not None:
        return VisitPlan((Leg(whole.queue, tuple(i.code for i in items)),))
    if whole.problem != SPLIT_REQUIRED:
        return VisitPlan((), whole.problem)
    stops: dict[str, list[str]] = {}
    for item in items:
        alone = route_request(queues, [item], priority)
        if alone.queue is None:  # every item is handled somewhere (SPLIT_REQUIRED says so)
            return VisitPlan((), NOT_HANDLED_HERE)
        stops.setdefault(alone.queue, []).append(item.code)
    if len(stops) > MAX_LEGS:
        return VisitPlan((), TOO_MANY_LEGS)
    kinds = {q.code: q.kind for q in queues}
    ordered = sorted(stops, key=lambda q: kinds.get(q) != ASSISTED)  # stable: asked order kept
    return VisitPlan(tuple(Leg(q, tuple(stops[q])) for q in ordered))


# --- dispatch --------------------------------------------------------------------------------


def _minutes(delta: Any) -> float:
    if isinstance(delta, timedelta):
        return delta.total_seconds() / 60.0
    return float(delta)


def _id_key(ticket_id: Hashable) -> tuple[int, int, str]:
    """Tie-break on equal times: numeric ids numerically (10 after 9), others as text."""
    return (0, ticket_id, "") if isinstance(ticket_id, int) else (1, 0, str(ticket_id))


def _fifo_key(t: WaitingTicket) -> tuple[Any, tuple[int, int, str]]:
    return (t.issued_at, _id_key(t.id))


def can_serve(window: WindowProfile, ticket: WaitingTicket) -> bool:
    """May `window` call `ticket`? A ticket transferred to one window is for that window only; a
    ticket of a fallback queue (e.g. an ordinary ticket at an idle green window) needs known items
    that the window handles."""
    if ticket.target_window is not None:
        return ticket.target_window == window.id
    if ticket.queue not in window.queues and ticket.queue not in window.fallback_queues:
        return False
    if window.items is not None and ticket.items and not ticket.items <= window.items:
        return False
    if ticket.queue not in window.queues and window.fallback_items is not None:
        return bool(ticket.items) and ticket.items <= window.fallback_items
    return True


def choose_next(
    waiting: Iterable[WaitingTicket],
    window: WindowProfile,
    now: Any,
    policy: DispatchPolicy = DispatchPolicy(),
    history: WindowHistory | None = None,
) -> Choice | None:
    """The next ticket for `window`, or None when nobody it can serve is waiting."""
    history = history or WindowHistory()
    eligible = [t for t in waiting if can_serve(window, t)]
    if not eligible:
        return None

    # 1. Checked-in appointments are called at their slot.
    due = [
        t
        for t in eligible
        if t.appointment_at is not None
        and _minutes(t.appointment_at - now) <= policy.appointment_early_minutes
    ]
    if due:
        return Choice(
            min(due, key=lambda t: (t.appointment_at, t.issued_at, _id_key(t.id))), "预约到时"
        )

    # Tickets transferred to this window specifically come before the general queue.
    targeted = [t for t in eligible if t.target_window is not None]
    if targeted:
        return Choice(min(targeted, key=_fifo_key), "转入本窗口")

    own = [t for t in eligible if t.queue in window.queues]
    fallback = [t for t in eligible if t.queue not in window.queues]
    own_priority = sorted((t for t in own if t.is_priority), key=_fifo_key)
    own_ordinary = sorted((t for t in own if not t.is_priority), key=_fifo_key)
    fb_priority = sorted((t for t in fallback if t.is_priority), key=_fifo_key)
    fb_ordinary = sorted((t for t in fallback if not t.is_priority), key=_fifo_key)

    # 2. The green channel: priority tickets first, others only when idle.
    if window.kind == GREEN_CHANNEL:
        for group, reason in (
            (own_priority, "绿色通道优先"),
            (fb_priority, "绿色通道优先"),
            (own_ordinary, "绿色通道空闲"),
            (fb_ordinary, "绿色通道空闲"),
        ):
            if group:
                return Choice(group[0], reason)
        return None

    priority = own_priority or fb_priority
    ordinary = own_ordinary or fb_ordinary
    if not priority:
        return Choice(ordinary[0], "先到先办")
    if not ordinary:
        return Choice(priority[0], "优先对象")

    # 3. Anti-starvation: an ordinary ticket that has waited too long goes next.
    oldest = ordinary[0]
    if _minutes(now - oldest.issued_at) >= policy.max_ordinary_wait_minutes:
        return Choice(oldest, "等候超时保障")

    # 4. Mixing priority and ordinary tickets.
    if policy.priority_mode == "strict":
        return Choice(priority[0], "优先对象")
    if (
        history.ordinary_since_priority >= policy.ordinary_per_priority
        or history.ordinary_since_priority == 0
        and _fifo_key(priority[0]) <= _fifo_key(oldest)
    ):
        return Choice(priority[0], "优先对象（按比例）")
    return Choice(oldest, "先到先办（按比例）")
