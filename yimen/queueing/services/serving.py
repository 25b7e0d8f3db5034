"""At the window: call a specific ticket, recall, start, finish, no-show, reactivate, cancel."""

from __future__ import annotations

from yimen.core import clock
from yimen.core.errors import (
    Conflict,
    ValidationFailed,
)
from yimen.staff.authz import authorize

from .. import rules, selectors
from ..models import Ticket
from . import visits
from .calls import _lock_window
from .common import (
    _clerk_at,
    _event,
    _held_at,
    _lock_ticket,
    _record,
    _retrying,
    _staff,
    _transition,
    _window_bound,
)


def call_specific(ticket, window, actor, reason, *, request=None) -> Ticket:
    """Call a particular waiting ticket out of order (the reason is logged)."""
    window = selectors.get_window(window)
    staff = _clerk_at(window, actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("跳号呼叫须填写原因。", code="reason_required")

    def attempt():
        busy_with = _lock_window(window, staff)  # the window first, then the ticket: as call_next
        t = _lock_ticket(ticket)
        if t.outlet_id != window.outlet_id:
            raise ValidationFailed("该号不属于本网点。", code="other_outlet")
        if t.status in Ticket.ACTIVE_STATES and t.window_id != window.pk:
            raise Conflict(
                f"{t.number} 号{_held_at(t)}，不能被其他窗口叫走。", code="held_by_other_window"
            )
        _transition(t, (Ticket.WAITING,), "叫号")
        if t.is_remote_pending:
            raise Conflict(f"远程号 {t.number} 尚未到场签到，不能叫号。", code="not_checked_in")
        if busy_with is not None:
            raise Conflict(
                f"本窗口的 {busy_with} 号尚未办结，请先办结、转办或标记过号。", code="window_busy"
            )
        profile = selectors.window_profile(window)
        wt = rules.WaitingTicket(
            id=t.pk,
            queue=t.queue.code,
            issued_at=t.queued_at,
            priority=t.priority,
            items=frozenset(selectors._item_codes([t.pk]).get(t.pk, ())),  # the current stop's
            target_window=t.target_window_id,
            appointment_at=t.appointment_at,
        )
        if not rules.can_serve(profile, wt):
            raise ValidationFailed(
                f"{window.number} 号窗口不能办理 {t.number} 号的事项，请转办。", code="cannot_serve"
            )
        t.status, t.window, t.served_by, t.called_at, t.recall_count = (
            Ticket.CALLED,
            window,
            staff,
            clock.now(),
            0,
        )
        t.save(update_fields=["status", "window", "served_by", "called_at", "recall_count"])
        _event(
            t,
            "call",
            staff=staff,
            window=window,
            from_status=Ticket.WAITING,
            reason=f"跳号：{reason}",
        )
        _record(
            staff,
            "ticket.call_specific",
            t,
            Ticket.WAITING,
            reason=reason,
            request=request,
            window=window.code,
        )
        return t

    return _retrying(attempt)


def recall(ticket, actor, *, request=None) -> Ticket:
    """Call again (重呼). After `max_recalls` recalls (outlet setting, default 3) the next recall
    marks the ticket 过号 instead."""

    def attempt():
        t = _lock_ticket(ticket)
        _transition(t, (Ticket.CALLED,), "重呼")
        staff = _window_bound(t, actor, "重呼")
        limit = t.outlet.options.max_recalls
        if t.recall_count >= limit:
            return _no_show(t, staff, f"重呼{limit}次未到，自动过号", request)
        t.recall_count += 1
        t.save(update_fields=["recall_count"])
        _event(
            t,
            "recall",
            staff=staff,
            window=t.window,
            from_status=Ticket.CALLED,
            reason=f"第{t.recall_count}次重呼",
        )
        _record(
            staff, "ticket.recall", t, Ticket.CALLED, request=request, recall_count=t.recall_count
        )
        return t

    return _retrying(attempt)


def start(ticket, actor, *, request=None) -> Ticket:
    def attempt():
        t = _lock_ticket(ticket)
        _transition(t, (Ticket.CALLED,), "开始办理")
        staff = _window_bound(t, actor, "开始办理")
        t.status, t.started_at, t.served_by = Ticket.SERVING, clock.now(), staff
        t.save(update_fields=["status", "started_at", "served_by"])
        _event(t, "start", staff=staff, window=t.window, from_status=Ticket.CALLED)
        _record(staff, "ticket.start", t, Ticket.CALLED, request=request)
        return t

    return _retrying(attempt)


def finish(ticket, actor, handled_items=None, *, request=None) -> Ticket:
    """Finish service, recording the items actually handled (default: the ticket's items, or the
    current stop's). A visit with a further stop is not done: it moves to that stop's queue
    (services/visits.py), keeping its number and its place by issue time."""

    def attempt():
        t = _lock_ticket(ticket)
        _transition(t, (Ticket.SERVING,), "办结")
        staff = _window_bound(t, actor, "办结")
        stops = visits.stops_of(t)  # [] unless the visit has several stops
        handled = (
            [(i.pk, i.code) for i in selectors.resolve_items(handled_items)]
            if handled_items is not None
            else visits.leg_items(stops[0])
            if stops
            else selectors.ticket_items(t.pk)
        )
        # a ticket is finished once (SERVING → DONE), so there is nothing to replace: plain
        # inserts (a visit of several stops adds each stop's items; one named twice is kept once)
        Ticket.handled_items.through.objects.bulk_create(
            [
                Ticket.handled_items.through(ticket_id=t.pk, serviceitem_id=pk)
                for pk, _code in handled
            ],
            ignore_conflicts=bool(stops),
        )
        if len(stops) > 1:  # on to the next stop's queue, keeping number and place
            return visits.advance(t, stops, staff, request)
        if stops:
            stops[0].finished_at, stops[0].window_id = clock.now(), t.window_id
            stops[0].save(update_fields=["finished_at", "window"])
        t.status, t.finished_at = Ticket.DONE, clock.now()
        t.save(update_fields=["status", "finished_at"])
        _event(t, "finish", staff=staff, window=t.window, from_status=Ticket.SERVING)
        _record(
            staff,
            "ticket.finish",
            t,
            Ticket.SERVING,
            request=request,
            handled_items=[code for _pk, code in handled],
        )
        return t

    return _retrying(attempt)


def _no_show(t: Ticket, staff, reason, request=None) -> Ticket:
    window = t.window
    t.status = Ticket.NO_SHOW
    t.save(update_fields=["status"])
    _event(t, "no_show", staff=staff, window=window, from_status=Ticket.CALLED, reason=reason)
    _record(staff, "ticket.no_show", t, Ticket.CALLED, reason=reason, request=request)
    return t


def mark_no_show(ticket, actor, reason="", *, request=None) -> Ticket:
    def attempt():
        t = _lock_ticket(ticket)
        _transition(t, (Ticket.CALLED,), "过号")
        staff = _window_bound(t, actor, "标记过号")
        return _no_show(t, staff, (reason or "叫号未到").strip(), request)

    return _retrying(attempt)


def reactivate(ticket, actor, reason="", *, request=None) -> Ticket:
    """A 过号 ticket comes back the same day; it re-enters the line at the back (queued now)."""

    def attempt():
        t = _lock_ticket(ticket)
        staff = authorize(_staff(actor), "queue.reactivate", outlet=t.outlet_id)
        _transition(t, (Ticket.NO_SHOW,), "过号恢复")
        if t.service_date != selectors.local_date():
            raise Conflict("只能恢复当天的过号。", code="not_today")
        t.status, t.window, t.served_by, t.recall_count, t.queued_at, t.called_at = (
            Ticket.WAITING,
            None,
            None,
            0,
            clock.now(),
            None,
        )
        t.save(
            update_fields=[
                "status",
                "window",
                "served_by",
                "recall_count",
                "queued_at",
                "called_at",
            ]
        )
        _event(t, "reactivate", staff=staff, from_status=Ticket.NO_SHOW, reason=reason)
        _record(staff, "ticket.reactivate", t, Ticket.NO_SHOW, reason=reason, request=request)
        return t

    return _retrying(attempt)


def cancel(ticket, actor=None, reason="", *, by_holder=False, request=None) -> Ticket:
    """Cancel a waiting (or called) ticket: by staff, or by its holder from the status page."""

    def attempt():
        t = _lock_ticket(ticket)
        staff = None
        if not by_holder:
            staff = authorize(_staff(actor), "queue.cancel", outlet=t.outlet_id)
        _transition(t, (Ticket.WAITING, Ticket.CALLED), "取消")
        if not by_holder:
            staff = _window_bound(t, actor, "取消", serving=False) or staff
        before = t.status
        t.status = Ticket.CANCELLED
        t.save(update_fields=["status"])
        why = (reason or ("本人取消" if by_holder else "工作人员取消")).strip()
        _event(t, "cancel", staff=staff, window=t.window, from_status=before, reason=why)
        _record(staff or "holder", "ticket.cancel", t, before, reason=why, request=request)
        return t

    return _retrying(attempt)
