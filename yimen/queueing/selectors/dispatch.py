"""Reads of the queue: routing a request to a queue, window profiles for the dispatch policy,
ticket status (position, people ahead, estimated wait), boards, appointment slots."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Subquery

from yimen.catalog.models import ServiceItem
from yimen.core import changes, clock
from yimen.core.errors import NotFound, ValidationFailed
from yimen.core.masking import mask_name
from yimen.core.refresher import refresher
from yimen.core.selectors import work_calendar
from yimen.outlets import selectors as outlet_selectors
from yimen.outlets.models import QUEUE_WINDOW_KINDS, Outlet, Window
from yimen.staff.models import WindowSession

from .. import rules
from ..models import Appointment, Queue, Ticket, TicketEvent

GREEN = rules.GREEN_CHANNEL
_config = changes.VersionedCache(
    maxsize=2048
)  # read-only configuration objects (core.changes "config")
# Which kind of queue takes a request when several could (comprehensive first: 一窗无差别受理).
KIND_PREFERENCE = ["综合窗口", "专业窗口", "银行网点", "帮办代办", "办不成事窗口", GREEN]
DEFAULT_SERVICE_MINUTES = 6.0
WEEKDAYS = "一二三四五六日"


def format_when(dt: datetime | None) -> str:
    if dt is None:
        return ""
    dt = clock.local(dt)
    return f"{dt.year}年{dt.month}月{dt.day}日（周{WEEKDAYS[dt.weekday()]}）{dt:%H:%M}"


def local_date(dt=None):
    return clock.local(dt or clock.now()).date()


# --- outlets, windows, queues ---------------------------------------------------------------


def get_outlet(outlet) -> Outlet:
    if isinstance(outlet, Outlet):
        return outlet
    return outlet_selectors.get_outlet(str(outlet))


def get_window(window, outlet=None) -> Window:
    """A window by object, pk or code (e.g. CX-ZH-203)."""
    if isinstance(window, Window):
        return window
    qs = Window.objects.select_related("outlet")
    if outlet is not None:
        qs = qs.filter(outlet=outlet)
    text = str(window)
    found = qs.filter(pk=int(text)).first() if text.isdigit() else qs.filter(code=text).first()
    if found is None:
        raise NotFound(f"找不到窗口：{text}")
    return found


def schedule(outlet: Outlet):
    """The outlet's opening schedule (hours, exceptions, calendar) through the configuration cache."""
    calendar = (
        work_calendar()
    )  # has its own cache; a rebuilt calendar is a new object, hence a new key
    return _config.get(
        "config",
        ("schedule", outlet.pk, id(calendar)),
        lambda: outlet_selectors.schedule_for(outlet),
    )


def outlet_by_code(code: str) -> Outlet:
    """get_outlet through the per-process configuration cache (read-only use: boards, fast paths)."""
    return _config.get("config", ("outlet", code), lambda: outlet_selectors.get_outlet(code))


def outlet_by_id(pk: int) -> Outlet:
    """An outlet through the configuration cache (read-only use: a locked ticket's outlet)."""
    return _config.get("config", ("outlet_id", pk), lambda: Outlet.objects.get(pk=pk))


def queue_by_id(pk: int) -> Queue:
    """A queue through the configuration cache (read-only use: a locked ticket's queue)."""
    return _config.get("config", ("queue", pk), lambda: Queue.objects.get(pk=pk))


@dataclass(frozen=True)
class WindowSetup:
    """A window with what the dispatch policy needs of it, cached until the configuration changes."""

    window: Window
    profile: rules.WindowProfile
    policy: rules.DispatchPolicy


def window_setup(window_id: int, window: Window | None = None) -> WindowSetup:
    """`window`: the Window (with its outlet) when the caller has already read it."""

    def compute():
        w = window or get_window(window_id)
        return WindowSetup(w, window_profile(w), dispatch_policy(w.outlet))

    return _config.get("config", ("window", str(window_id)), compute)


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


def keep_board_fresh(outlet: Outlet) -> bool:
    """Have core.refresher keep this outlet's board current (False when it is off)."""
    return refresher.want(("board", outlet.pk), lambda: board(outlet))


def peek_window_setup(window_id: str) -> WindowSetup | None:
    return _config.peek("config", ("window", str(window_id)))


def peek_board(code: str, calls: int = 8) -> dict | None:
    """The board of outlet `code` if cached and current, else None (no database). While the
    refresher runs, a board of the minute just ended stands in until it has computed this
    minute's (≤ 1 s; only `open_now` can differ): otherwise every display's read at the turn of
    each minute waited for that round (~0.2 s)."""
    outlet = peek_outlet(code)
    if outlet is None:
        return None
    topic, staleness = changes.board(outlet.pk), _staleness()
    now = clock.now()
    board = _boards.peek(topic, _board_key(outlet, calls, now), max_stale=staleness)
    if board is None and staleness:
        board = _boards.peek(
            topic, _board_key(outlet, calls, now - timedelta(minutes=1)), max_stale=staleness
        )
    return board


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


def get_ticket(ticket) -> Ticket:
    if isinstance(ticket, Ticket):
        return ticket
    text = str(ticket)
    qs = Ticket.objects.select_related("outlet", "queue", "window")
    found = qs.filter(pk=int(text)).first() if text.isdigit() else qs.filter(public_id=text).first()
    if found is None:
        raise NotFound("找不到该排队号。")
    return found


def resolve_items(items) -> list[ServiceItem]:
    """ServiceItems from objects or item codes; unknown codes → a Chinese error. Codes are looked
    up through the configuration cache (kiosks and terminals send the same few codes)."""
    result, missing = [], []
    codes = tuple(sorted({i for i in (items or []) if not isinstance(i, ServiceItem)}))
    found = (
        _config.get(
            "config",
            ("items", codes),
            lambda: {i.code: i for i in ServiceItem.objects.filter(code__in=codes, active=True)},
        )
        if codes
        else {}
    )
    for i in items or []:
        if isinstance(i, ServiceItem):
            result.append(i)
        elif i in found:
            result.append(found[i])
        else:
            missing.append(str(i))
    if missing:
        raise ValidationFailed(
            f"找不到事项：{'、'.join(missing)}", code="unknown_item", items=missing
        )
    unique = {}
    for i in result:
        unique.setdefault(i.pk, i)
    return list(unique.values())


@dataclass
class QueueInfo:
    queue: Queue
    kind: str
    windows: list = field(default_factory=list)
    comprehensive: bool = False  # a window of the group takes every comprehensive item
    departments: set = field(default_factory=set)
    item_ids: set = field(default_factory=set)
    item_codes: set = field(default_factory=set)

    def accepts(self, item: ServiceItem) -> bool:
        return (
            (self.comprehensive and item.comprehensive)
            or item.department_id in self.departments
            or item.pk in self.item_ids
        )


def queue_infos(outlet: Outlet, *, fresh: bool = False) -> list[QueueInfo]:
    """The outlet's queues with what their windows accept. Cached per process until the network's
    configuration changes (core.changes "config"): the kiosk and the API read it on every ticket."""
    if fresh:
        return _queue_infos(outlet)
    return _config.get("config", ("infos", outlet.pk), lambda: _queue_infos(outlet))


def _queue_infos(outlet: Outlet) -> list[QueueInfo]:
    windows = list(
        Window.objects.filter(outlet=outlet, active=True, kind__in=QUEUE_WINDOW_KINDS).only(
            "pk", "group_code", "kind", "scope", "department_id", "number", "code"
        )
    )
    links: dict[int, list] = {}
    for wid, iid, code in Window.items.through.objects.filter(
        window__in=windows, serviceitem__active=True
    ).values_list("window_id", "serviceitem_id", "serviceitem__code"):
        links.setdefault(wid, []).append((iid, code))
    by_group: dict[str, list[Window]] = {}
    for w in windows:
        by_group.setdefault(w.group_code, []).append(w)
    comprehensive_codes = None
    infos = []
    for q in Queue.objects.filter(outlet=outlet, active=True).order_by("prefix"):
        group = by_group.get(q.window_group or q.code, [])
        if not group:
            continue
        info = QueueInfo(queue=q, kind=group[0].kind, windows=group)
        for w in group:
            if w.scope == "comprehensive":
                info.comprehensive = True
            elif w.scope == "department" and w.department_id:
                info.departments.add(w.department_id)
            else:
                for iid, code in links.get(w.pk, []):
                    info.item_ids.add(iid)
                    info.item_codes.add(code)
        if info.comprehensive:
            if comprehensive_codes is None:
                comprehensive_codes = set(
                    ServiceItem.objects.filter(comprehensive=True, active=True).values_list(
                        "code", flat=True
                    )
                )
            info.item_codes |= comprehensive_codes
        if info.departments:
            info.item_codes |= set(
                ServiceItem.objects.filter(
                    department_id__in=info.departments, active=True
                ).values_list("code", flat=True)
            )
        infos.append(info)
    return infos


def route(
    outlet: Outlet, items: list[ServiceItem], priority: str = "", queue: Queue | None = None
) -> Queue:
    """The queue a request goes to (see docs/queue.md, 分流规则)."""
    infos = queue_infos(outlet)
    if queue is not None:
        info = next((i for i in infos if i.queue.pk == queue.pk), None)
        if info is None:
            raise ValidationFailed(
                f"队列「{queue.name}」不属于{outlet.name}或没有在用窗口。", code="no_queue"
            )
        bad = [i for i in items if not info.accepts(i)]
        if bad:
            raise ValidationFailed(
                f"「{queue.name}」不办理：{'、'.join(i.display_name for i in bad)}。",
                code="not_handled_here",
            )
        if info.kind == GREEN and not priority:
            raise ValidationFailed(
                "绿色通道只为老年人、残疾人、军人等优先对象取号。", code="green_needs_priority"
            )
        return info.queue
    if not items:
        raise ValidationFailed("请选择要办理的事项。", code="no_item")
    green = [i for i in infos if i.kind == GREEN]
    if priority and green and all(i.green_channel_eligible for i in items):
        return green[0].queue
    candidates = [i for i in infos if i.kind != GREEN and all(i.accepts(it) for it in items)]
    if candidates:
        candidates.sort(
            key=lambda i: (
                KIND_PREFERENCE.index(i.kind) if i.kind in KIND_PREFERENCE else 99,
                i.queue.prefix,
            )
        )
        return candidates[0].queue
    if priority and green and all(green[0].accepts(it) for it in items):
        return green[0].queue
    names = "、".join(i.display_name for i in items)
    if len(items) > 1 and all(any(q.accepts(it) for q in infos) for it in items):
        raise ValidationFailed(f"{names}不在同一个窗口办理，请分别取号。", code="split_required")
    alternatives = []
    for row in outlet_selectors.outlets_for_item(items[0]):
        o = row["outlet"]
        if o.pk != outlet.pk:
            alternatives.append({"code": o.code, "name": o.name, "open_now": row["open_now"]})
    hint = f"可前往：{'、'.join(a['name'] for a in alternatives[:3])}。" if alternatives else ""
    raise ValidationFailed(
        f"{outlet.name}不办理：{names}。{hint}",
        code="not_handled_here",
        alternatives=alternatives[:5],
    )


def dispatch_policy(outlet: Outlet) -> rules.DispatchPolicy:
    raw = outlet.setting("dispatch", {}) or {}
    base = rules.DispatchPolicy()
    return rules.DispatchPolicy(
        priority_mode=raw.get("priority_mode", base.priority_mode),
        ordinary_per_priority=int(raw.get("ordinary_per_priority", base.ordinary_per_priority)),
        max_ordinary_wait_minutes=float(
            raw.get("max_ordinary_wait_minutes", base.max_ordinary_wait_minutes)
        ),
        appointment_early_minutes=float(
            raw.get("appointment_early_minutes", base.appointment_early_minutes)
        ),
    )


def window_queue(window: Window) -> Queue | None:
    return Queue.objects.filter(
        outlet_id=window.outlet_id, window_group=window.group_code, active=True
    ).first()


def window_profile(window: Window) -> rules.WindowProfile:
    """What the dispatch policy knows about a window. A green-channel window serves its own queue
    (G) and, when idle, ordinary tickets of other queues whose items it handles."""
    own = window_queue(window)
    queues = frozenset([own.code]) if own else frozenset()
    if window.kind == GREEN:
        others = frozenset(
            Queue.objects.filter(outlet_id=window.outlet_id, active=True)
            .exclude(pk=getattr(own, "pk", None))
            .values_list("code", flat=True)
        )
        items = frozenset(outlet_selectors.window_items(window).values_list("code", flat=True))
        return rules.WindowProfile(
            id=window.pk,
            kind=window.kind,
            queues=queues,
            fallback_queues=others,
            items=None,
            fallback_items=items,
        )
    # Routing already sent only suitable tickets to the queue, and a transferred ticket is the
    # transferring clerk's decision: no item filter on the window's own queue.
    return rules.WindowProfile(id=window.pk, kind=window.kind, queues=queues, items=None)


def window_history(window: Window, day=None, depth: int = 20) -> rules.WindowHistory:
    """Ordinary tickets this window called today since its last priority ticket."""
    day = day or local_date()
    recent = (
        Ticket.objects.filter(window=window, service_date=day, called_at__isnull=False)
        .order_by("-called_at")
        .values_list("priority", flat=True)[:depth]
    )
    count = 0
    for priority in recent:
        if priority:
            break
        count += 1
    return rules.WindowHistory(ordinary_since_priority=count)


def _item_codes(ticket_ids) -> dict:
    codes: dict = {}
    rows = Ticket.items.through.objects.filter(ticket_id__in=list(ticket_ids)).values_list(
        "ticket_id", "serviceitem__code"
    )
    for tid, code in rows:
        codes.setdefault(tid, set()).add(code)
    return codes


def needs_items(profile: rules.WindowProfile) -> bool:
    """Does the dispatch policy look at the tickets' items for this window (rules.can_serve)?"""
    return profile.items is not None or (
        bool(profile.fallback_queues) and profile.fallback_items is not None
    )


def waiting_for(
    outlet_id: int, queue_codes, window_id=None, day=None, *, with_items: bool = True
) -> list[rules.WaitingTicket]:
    """Callable waiting tickets (remote tickets not yet checked in are excluded) as WaitingTickets.
    `with_items=False` skips the item codes (one query) for windows whose policy ignores them."""
    from django.db.models import Q

    day = day or local_date()
    cond = Q(queue__code__in=list(queue_codes))
    if window_id is not None:
        cond |= Q(target_window_id=window_id)
    rows = list(
        Ticket.objects.filter(cond, outlet_id=outlet_id, service_date=day, status=Ticket.WAITING)
        .filter(Q(check_in_by__isnull=True) | Q(checked_in_at__isnull=False))
        .values_list(
            "pk", "queue__code", "queued_at", "priority", "target_window_id", "appointment_at"
        )
    )
    codes = _item_codes(r[0] for r in rows) if with_items and rows else {}
    return [
        rules.WaitingTicket(
            id=pk,
            queue=qcode,
            issued_at=queued_at,
            priority=priority or "",
            items=frozenset(codes.get(pk, ())),
            target_window=target,
            appointment_at=appt,
        )
        for pk, qcode, queued_at, priority, target, appt in rows
    ]


def dispatch_order(window: Window, limit: int = 30, now=None) -> list[tuple[Ticket, str]]:
    """The waiting list of a window in the order the dispatch policy would call it (same pure
    function, applied repeatedly), with the reason for each position."""
    now = now or clock.now()
    profile = window_profile(window)
    waiting = waiting_for(window.outlet_id, profile.queues | profile.fallback_queues, window.pk)
    history = window_history(window)
    history = rules.WindowHistory(history.ordinary_since_priority)
    policy = dispatch_policy(window.outlet)
    order = []
    remaining = list(waiting)
    while remaining and len(order) < limit:
        choice = rules.choose_next(remaining, profile, now, policy, history)
        if choice is None:
            break
        order.append((choice.ticket.id, choice.reason))
        history.record(choice.ticket)
        remaining = [t for t in remaining if t.id != choice.ticket.id]
    tickets = (
        Ticket.objects.select_related("queue")
        .prefetch_related("items")
        .in_bulk([i for i, _ in order])
    )
    return [(tickets[i], reason) for i, reason in order if i in tickets]


# --- ticket status ----------------------------------------------------------------------------

_estimates = changes.VersionedCache()  # core.changes "estimates": only the lifetime drops them


def average_service_minutes(queue: Queue, outlet: Outlet, sample: int = 50) -> float:
    """Mean call-to-finish time of the queue's last `sample` finished tickets (default 6 min).
    An estimate over dozens of services: recomputed at most once a minute per process (every
    ticket issued shows it)."""

    def compute():
        rows = list(
            Ticket.objects.filter(
                queue=queue, status=Ticket.DONE, called_at__isnull=False, finished_at__isnull=False
            )
            .order_by("-finished_at")
            .values_list("called_at", "finished_at")[:sample]
        )
        if len(rows) < 5:
            return float(outlet.setting("default_service_minutes", DEFAULT_SERVICE_MINUTES))
        return sum((b - a).total_seconds() for a, b in rows) / 60.0 / len(rows)

    return _estimates.get("estimates", ("service_minutes", queue.pk, sample), compute)


def serving_windows(queue: Queue, outlet: Outlet) -> int:
    """Windows of the queue's group with a clerk signed in and serving (≥ 1 for estimates: during
    opening hours the A/B rota keeps the windows staffed). From the hall's cached sessions."""
    info = next((i for i in queue_infos(outlet) if i.queue.pk == queue.pk), None)
    sessions = hall_sessions(outlet.pk)
    n = sum(
        1
        for w in (info.windows if info else ())
        if sessions.get(w.pk, (None, ""))[1] == WindowSession.SERVING
    )
    return max(n, 1)


_ticket_items = changes.VersionedCache(maxsize=8192)  # core.changes "ticket_items": never bumped


def ticket_items(ticket_id: int) -> list[tuple[int, str]]:
    """(id, code) of a ticket's items, in code order. A ticket's items are set when it is issued
    and never change, so they are cached per process (each call, start and finish shows them)."""
    return _ticket_items.get(
        "ticket_items",
        ticket_id,
        lambda: list(Ticket(pk=ticket_id).items.values_list("pk", "code")),
    )


def remember_ticket_items(ticket_id: int, items: list[ServiceItem]) -> None:
    """Prime ticket_items for a ticket just issued (after its transaction committed)."""
    _ticket_items.put(
        "ticket_items", ticket_id, sorted(((i.pk, i.code) for i in items), key=lambda r: r[1])
    )


def ticket_status(ticket: Ticket) -> dict:
    """Position, people ahead and estimated wait (method in docs/queue.md)."""
    ticket = get_ticket(ticket)
    data = {
        "id": ticket.pk,
        "public_id": ticket.public_id,
        "number": ticket.number,
        "status": ticket.status,
        "status_label": ticket.status_label,
        "queue": ticket.queue.code,
        "queue_name": ticket.queue.name,
        "outlet": ticket.outlet.code,
        "outlet_name": ticket.outlet.name,
        "priority": ticket.priority,
        "issued_at": ticket.issued_at,
        "window": ticket.window.number if ticket.window_id else None,
        "position": None,
        "people_ahead": None,
        "estimated_wait_minutes": None,
        "check_in_by": ticket.check_in_by,
        "checked_in": ticket.checked_in_at is not None or ticket.check_in_by is None,
    }
    if ticket.status == Ticket.WAITING:
        from django.db.models import Q

        ahead = (
            Ticket.objects.filter(
                queue=ticket.queue, service_date=ticket.service_date, status=Ticket.WAITING
            )
            .filter(
                Q(queued_at__lt=ticket.queued_at) | Q(queued_at=ticket.queued_at, pk__lt=ticket.pk)
            )
            .filter(Q(check_in_by__isnull=True) | Q(checked_in_at__isnull=False))
        )
        if ticket.priority:
            ahead = ahead.exclude(priority="")
        n = ahead.count()
        minutes = average_service_minutes(ticket.queue, ticket.outlet)
        windows = serving_windows(ticket.queue, ticket.outlet)
        data.update(
            position=n + 1,
            people_ahead=n,
            estimated_wait_minutes=int(math.ceil(n * minutes / windows)),
        )
    return data


# --- boards -----------------------------------------------------------------------------------

CALL_ACTIONS = ("call", "recall")


def announcement(number: str, window_number: str) -> str:
    return f"请 {number} 号到 {window_number} 号窗口办理"


def call_payload(event: TicketEvent) -> dict:
    ticket = event.ticket
    return _call_payload(
        event.pk,
        event.action,
        event.at,
        ticket.number,
        ticket.applicant_name,
        event.window.number if event.window_id else "",
    )


def _call_payload(event_id, action, at, number, applicant_name, window_number) -> dict:
    window_number = window_number or ""
    return {
        "event_id": event_id,
        "action": action,
        "number": number,
        "window": window_number,
        "name": mask_name(applicant_name),
        "at": clock.local(at).strftime("%H:%M:%S"),
        "text": announcement(number, window_number),
    }


def board_events_after(outlet_id: int, last_id: int, limit: int = 50) -> list[TicketEvent]:
    return list(
        TicketEvent.objects.filter(outlet_id=outlet_id, pk__gt=last_id)
        .select_related("ticket", "window")
        .order_by("pk")[:limit]
    )


def latest_event_id(outlet_id: int) -> int:
    return (
        TicketEvent.objects.filter(outlet_id=outlet_id)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
        or 0
    )


_boards = changes.VersionedCache()


def board(outlet: Outlet, calls: int = 8) -> dict:
    """What a hall display shows: latest calls and waiting counts per queue (masked names only).

    Displays poll it often (100 reads/s in the bench), so the result is cached per process until
    a ticket change the board shows (core.changes "board": not start/finish) or the minute turns
    (`open_now`)."""
    if not isinstance(outlet, Outlet):
        outlet = outlet_by_code(str(outlet))
    return _boards.get(
        changes.board(outlet.pk),
        _board_key(outlet, calls),
        lambda: _board(outlet, calls),
        serve_stale=True,
    )


def warm_up() -> int:
    """Fill the configuration cache of every active outlet (what each ticket issued, each board
    read and each window's poll needs). A server process runs it before its first request:
    otherwise that request computes it (the benchmark: ~50 ms for a hall of 400 windows, the
    slowest ticket of a run). Returns the number of outlets."""
    outlets = list(Outlet.objects.filter(active=True))
    for outlet in outlets:
        outlet_by_code(outlet.code)
        schedule(outlet)
        queue_infos(outlet)
        board_queues(outlet)
    # and each calling window's setup: otherwise each window's first poll after a restart goes
    # through Django to compute it (a few queries each, 400 windows at once in the benchmark)
    windows = (
        Window.objects.filter(outlet__in=outlets, active=True, kind__in=QUEUE_WINDOW_KINDS)
        .select_related("outlet")
        .order_by("pk")
    )
    for window in windows[: _config.maxsize // 2]:
        window_setup(window.pk, window)
    return len(outlets)


def board_queues(outlet: Outlet) -> list[Queue]:
    """The outlet's active queues in board order (cached with the configuration)."""
    return _config.get(
        "config",
        ("board_queues", outlet.pk),
        lambda: list(Queue.objects.filter(outlet=outlet, active=True).order_by("prefix")),
    )


def _board_key(outlet: Outlet, calls: int, now=None) -> tuple:
    return (
        outlet.pk,
        calls,
        clock.local(now or clock.now()).strftime("%Y-%m-%d %H:%M"),
    )  # open_now turns by the minute


def _board(outlet: Outlet, calls: int) -> dict:
    day = local_date()
    # One query, values only (core.refresher recomputes this after every call in every process):
    # today's calls newest first — a datetime range, not at__date, which no index serves — each
    # row carrying the outlet's latest event id of any kind (where a board's event stream starts).
    since = datetime.combine(day, datetime.min.time(), tzinfo=clock.SHANGHAI)
    latest = TicketEvent.objects.filter(outlet=outlet).order_by("-pk").values("pk")[:1]
    rows = list(
        TicketEvent.objects.filter(outlet=outlet, action__in=CALL_ACTIONS, at__gte=since)
        .order_by("-pk")
        .annotate(latest=Subquery(latest))
        .values_list(
            "pk",
            "action",
            "at",
            "ticket__number",
            "ticket__applicant_name",
            "window__number",
            "ticket__service_date",
            "ticket__status",
            "latest",
        )[:calls]
    )
    last_event_id = rows[0][-1] if rows else latest_event_id(outlet.pk)
    # a call whose ticket is back in line (returned to its queue when its window closed, or
    # transferred) no longer stands at that window: the board stops showing it there
    shown = [_call_payload(*row[:6]) for row in rows if row[6] == day and row[7] != Ticket.WAITING]
    counts = hall_state(
        outlet.pk, day
    ).queued  # shared with the windows' polls: no query of its own
    queues = [
        {"code": q.code, "name": q.name, "prefix": q.prefix, "waiting": counts.get(q.code, 0)}
        for q in board_queues(outlet)
    ]
    return {
        "outlet": outlet.code,
        "outlet_name": outlet.name,
        "open_now": schedule(outlet).is_open(clock.now()),
        "calls": shown,
        "queues": queues,
        "waiting_total": sum(q["waiting"] for q in queues),
        "last_event_id": last_event_id,
    }


# --- appointments -----------------------------------------------------------------------------


def slot_minutes(outlet: Outlet) -> int:
    return int(outlet.setting("appointment_slot_minutes", 30))


def available_slots(outlet, item, day) -> list[dict]:
    """Bookable slots of `item` at `outlet` on `day`: inside opening hours, on working days only
    (Saturday opening hours are for walk-ins; a 调休 Saturday is a working day and has slots),
    starting in the future, with the remaining capacity of the queue that handles the item."""
    outlet = get_outlet(outlet)
    item = resolve_items([item])[0]
    cal = work_calendar()
    if not cal.is_workday(day):
        return []
    queue = Queue.objects.get(pk=route(outlet, [item]).pk)  # fresh: the routing table is cached
    if queue.appointment_capacity <= 0:
        return []
    schedule = outlet_selectors.schedule_for(outlet)
    length = timedelta(minutes=slot_minutes(outlet))
    now = clock.now()
    booked = dict(
        Appointment.objects.filter(
            queue=queue, service_date=day, status__in=Appointment.ACTIVE_STATES
        )
        .values("slot_start")
        .annotate(n=Count("pk"))
        .values_list("slot_start", "n")
    )
    slots = []
    for start_t, end_t in schedule.spans_on(day):
        start = datetime.combine(day, start_t, tzinfo=clock.SHANGHAI)
        end = datetime.combine(day, end_t, tzinfo=clock.SHANGHAI)
        while start + length <= end:
            if start > now:
                used = booked.get(start, 0)
                slots.append(
                    {
                        "start": start,
                        "end": start + length,
                        "capacity": queue.appointment_capacity,
                        "booked": used,
                        "available": max(queue.appointment_capacity - used, 0),
                        "queue": queue.code,
                    }
                )
            start += length
    return slots


def get_appointment(appointment) -> Appointment:
    if isinstance(appointment, Appointment):
        return appointment
    text = str(appointment)
    qs = Appointment.objects.select_related("outlet", "queue", "item")
    found = qs.filter(pk=int(text)).first() if text.isdigit() else qs.filter(public_id=text).first()
    if found is None:
        raise NotFound("找不到该预约。")
    return found
