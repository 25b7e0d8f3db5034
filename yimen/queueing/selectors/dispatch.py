"""Routing a request to a queue, window profiles for the dispatch policy, the dispatch order."""

from __future__ import annotations

from dataclasses import dataclass

from yimen.catalog.models import ServiceItem
from yimen.core import clock
from yimen.core.errors import ValidationFailed
from yimen.outlets import selectors as outlet_selectors
from yimen.outlets.models import Outlet, Window

from .. import rules
from ..models import Queue, Ticket, TicketLeg
from .config import GREEN, QueueInfo, _config, get_window, local_date, queue_infos


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


def route_records(infos: list[QueueInfo], items: list[ServiceItem]) -> list[rules.QueueRecord]:
    """The outlet's queues as the routing rule sees them (what each takes of `items`)."""
    return [
        rules.QueueRecord(
            code=i.queue.code,
            kind=i.kind,
            accepts=frozenset(it.code for it in items if i.accepts(it)),
            prefix=i.queue.prefix,
        )
        for i in infos
    ]


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
    chosen = rules.route_request(
        route_records(infos, items),
        [rules.RoutedItem(i.code, bool(i.green_channel_eligible)) for i in items],
        bool(priority),
    )
    if chosen.queue is not None:
        return next(i.queue for i in infos if i.queue.code == chosen.queue)
    _no_route(outlet, items, chosen.problem)
    raise AssertionError("unreachable")  # _no_route always raises


def plan_legs(
    outlet: Outlet, items: list[ServiceItem], priority: str = ""
) -> list[tuple[Queue, list[ServiceItem]]]:
    """The stops of one visit (rules.plan_visit): [(queue, its items)], one stop when one queue
    takes every item; the same Chinese errors as `route` when there is no way."""
    infos = queue_infos(outlet)
    plan = rules.plan_visit(
        route_records(infos, items),
        [rules.RoutedItem(i.code, bool(i.green_channel_eligible)) for i in items],
        bool(priority),
    )
    if plan.problem == rules.TOO_MANY_LEGS:
        raise ValidationFailed(
            f"所选事项要到 {rules.MAX_LEGS} 个以上的队列办理，请到引导台分次取号。",
            code="too_many_legs",
        )
    if plan.problem:
        _no_route(outlet, items, plan.problem)
    by_code = {i.queue.code: i.queue for i in infos}
    by_item = {i.code: i for i in items}
    return [(by_code[leg.queue], [by_item[c] for c in leg.items]) for leg in plan.legs]


def _no_route(outlet: Outlet, items: list[ServiceItem], problem: str) -> None:
    """Raise the Chinese error for a request no queue takes (rules.NO_ITEM, SPLIT_REQUIRED,
    NOT_HANDLED_HERE: with the outlets that do handle it)."""
    if problem == rules.NO_ITEM:
        raise ValidationFailed("请选择要办理的事项。", code="no_item")
    names = "、".join(i.display_name for i in items)
    if problem == rules.SPLIT_REQUIRED:
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
    raw = outlet.options.dispatch or {}  # validated when saved (outlets/conf.py)
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


def _item_codes(ticket_ids, several=None) -> dict:
    """{ticket id: its item codes} — of the current stop for a visit of several stops.
    `several`: the ids among them with several stops when the caller knows (none: no query)."""
    from django.db.models import F

    codes: dict = {}
    rows = Ticket.items.through.objects.filter(ticket_id__in=list(ticket_ids)).values_list(
        "ticket_id", "serviceitem__code"
    )
    for tid, code in rows:
        codes.setdefault(tid, set()).add(code)
    # a visit of several stops is served, at each stop, for that stop's items only
    if codes and (several is None or several):
        current: dict = {}
        for tid, code in TicketLeg.items.through.objects.filter(
            ticketleg__ticket_id__in=list(codes if several is None else several),
            ticketleg__position=F("ticketleg__ticket__leg"),
        ).values_list("ticketleg__ticket_id", "serviceitem__code"):
            current.setdefault(tid, set()).add(code)
        codes.update(current)
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
            "pk",
            "queue__code",
            "queued_at",
            "priority",
            "target_window_id",
            "appointment_at",
            "stops",
        )
    )
    several = {r[0] for r in rows if r[-1] > 1}
    codes = _item_codes([r[0] for r in rows], several) if with_items and rows else {}
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
        for pk, qcode, queued_at, priority, target, appt, _stops in rows
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
