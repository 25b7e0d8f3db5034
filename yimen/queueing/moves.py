"""Tickets leaving a window other than by being finished: a transfer (转办) to another queue or
window, and the return to the queue when a window's session ends with a ticket in hand. Part of
the queue's services (re-exported by queueing.services): the same transactions, events, audit
entries and change notifications."""

from __future__ import annotations

from yimen.core.errors import Conflict, ValidationFailed
from yimen.outlets import selectors as outlet_selectors
from yimen.outlets.models import Window
from yimen.staff.authz import authorize
from yimen.staff.models import WindowSession

from . import selectors
from .models import Queue, Ticket
from .services import (
    _actor_label,
    _event,
    _lock_ticket,
    _lock_window,
    _record,
    _retrying,
    _staff,
    _transition,
    _window_bound,
    _with_config,
)


def transfer(ticket, actor, queue=None, window=None, reason="", *, request=None) -> Ticket:
    """Send a ticket to another queue or to one window, keeping its number and its place (the
    original queue time); a ticket sent to a window is that window's next call.

    A ticket a window holds (called or serving) is transferred only by the clerk signed in at that
    window (`_window_bound`); a waiting one by any guide, clerk or director of its outlet. The
    target must be able to take it (`_check_target`): a window that is open, staffed and serving
    and handles the ticket's items, or a queue with a signed-in window that handles them."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("转办须填写原因。", code="reason_required")
    if (queue is None) == (window is None):
        raise ValidationFailed("请指定转入的队列或窗口（二选一）。", code="bad_target")

    target_window = None
    if (
        window is not None
    ):  # window codes are unique per outlet: look it up in the ticket's (which never changes)
        outlet_id = (
            ticket.outlet_id
            if isinstance(ticket, Ticket)
            else selectors.get_ticket(ticket).outlet_id
        )
        target_window = selectors.get_window(window, outlet=outlet_id)

    def attempt():
        if target_window is not None:
            # the target window's row first (as calls and the end of a session lock it, then tickets):
            # it cannot close between the check below and the commit
            _lock_window(target_window)
        t = _lock_ticket(ticket)
        staff = authorize(_staff(actor), "queue.transfer", outlet=t.outlet_id)
        _transition(t, (Ticket.WAITING, Ticket.CALLED, Ticket.SERVING), "转办")
        staff = _window_bound(t, actor, "转办", serving=False) or staff
        if target_window is not None:
            if not target_window.calls_tickets or not target_window.active:
                raise ValidationFailed(
                    f"{target_window.number} 号不是叫号窗口。", code="bad_target"
                )
            if target_window.pk == t.window_id:
                raise ValidationFailed(
                    f"{t.number} 号已在 {target_window.number} 号窗口，不能转给本窗口。",
                    code="bad_target",
                )
            new_queue = selectors.window_queue(target_window)
            if new_queue is None:
                raise ValidationFailed(
                    f"{target_window.number} 号窗口没有队列。", code="bad_target"
                )
        else:
            new_queue = (
                queue
                if isinstance(queue, Queue)
                else Queue.objects.filter(outlet=t.outlet, code=str(queue), active=True).first()
            )
            if new_queue is None or new_queue.outlet_id != t.outlet_id:
                raise ValidationFailed(f"找不到本网点的队列：{queue}", code="bad_target")
        _check_target(t, new_queue, target_window)
        before, old_window = t.status, t.window
        t.status, t.window, t.queue, t.target_window, t.recall_count = (
            Ticket.WAITING,
            None,
            new_queue,
            target_window,
            0,
        )
        t.save(update_fields=["status", "window", "queue", "target_window", "recall_count"])
        to = f"{target_window.number}号窗口" if target_window else new_queue.name
        _event(
            t,
            "transfer",
            staff=staff,
            window=old_window,
            from_status=before,
            reason=f"转至{to}：{reason}",
        )
        _record(
            staff,
            "ticket.transfer",
            t,
            before,
            reason=reason,
            request=request,
            queue=new_queue.code,
            window=target_window.code if target_window else None,
        )
        return t

    return _retrying(attempt)


def _check_target(t: Ticket, new_queue: Queue, target_window: Window | None) -> None:
    """A transfer must not strand the ticket: refuse (with the reason, in Chinese) a window that is
    closed (nobody signed in) or paused, a queue none of whose windows has anybody signed in, and
    a window or queue that does not handle all of the ticket's items. Uses the routing data
    (selectors.queue_infos, outlets.window_accepts) and the hall's sessions."""
    info = next((i for i in selectors.queue_infos(t.outlet) if i.queue.pk == new_queue.pk), None)
    if info is None:
        raise ValidationFailed(
            f"「{new_queue.name}」没有在用的窗口，不能转入。", code="target_closed"
        )
    sessions = selectors.hall_sessions(t.outlet_id)
    if target_window is not None:
        where = f"{target_window.number} 号窗口"
        # read under the window's row lock (transfer took it): exact, not the hall cache
        state = (
            WindowSession.objects.filter(window=target_window, ended_at__isnull=True)
            .values_list("state", flat=True)
            .first()
        )
        if state is None:
            raise Conflict(
                f"{where}当前无人签到（已关闭），不能转入，请转至其他窗口或队列。",
                code="target_closed",
            )
        if state != "serving":
            raise Conflict(
                f"{where}暂停服务中，不能转入，请转至其他窗口或队列。", code="target_paused"
            )
    else:
        where = f"「{new_queue.name}」"
        if not any(sessions.get(w.pk, (None, ""))[0] is not None for w in info.windows):
            raise Conflict(
                f"{where}的窗口当前都无人签到，不能转入，请转至其他队列。", code="target_closed"
            )
    # a visit of several stops: the current stop's items (selectors._item_codes knows the stop)
    codes = sorted(selectors._item_codes([t.pk]).get(t.pk, ()))
    items = selectors.resolve_items(codes) if codes else []
    # as routing does (selectors.route): the green channel takes green-channel-eligible items too
    green = info.kind == selectors.GREEN
    if target_window is not None:
        bad = [
            i
            for i in items
            if not (
                outlet_selectors.window_accepts(target_window, i)
                or green
                and i.green_channel_eligible
            )
        ]
    else:
        bad = [i for i in items if not (info.accepts(i) or green and i.green_channel_eligible)]
    if bad:
        raise ValidationFailed(
            f"{where}不办理：{'、'.join(i.display_name for i in bad)}，不能转入。",
            code="target_cannot_serve",
        )


def return_to_queue(window, actor, reason, *, request=None) -> list[Ticket]:
    """Put the ticket a window holds (called or being served) back in line, at its original place:
    its queue, its priority and its queue time (`queued_at`) are kept, so the dispatch policy calls
    it where it stood. Used when the window's session ends with a ticket in hand (the clerk's
    sign-out with 退回队列, a chief's close_window, the admin taking a clerk off duty): the ticket
    is never left at a closed window. Runs in the caller's transaction when there is one."""
    reason = (reason or "").strip() or "窗口关闭，退回队列"
    window = window if isinstance(window, Window) else selectors.get_window(window)
    window_id = window.pk

    def attempt():
        _lock_window(
            window
        )  # a call racing the end of the session comes before or after, never between
        held = list(
            Ticket.objects.select_for_update(of=("self",))
            .filter(window_id=window_id, status__in=Ticket.ACTIVE_STATES)
            .order_by("pk")
        )
        for t in held:
            _with_config(t)
            before, old_window = t.status, t.window
            t.status, t.window, t.served_by, t.target_window = Ticket.WAITING, None, None, None
            t.called_at, t.started_at, t.recall_count = None, None, 0
            t.save(
                update_fields=[
                    "status",
                    "window",
                    "served_by",
                    "target_window",
                    "called_at",
                    "started_at",
                    "recall_count",
                ]
            )
            _event(
                t,
                "requeue",
                staff=_staff(actor),
                window=old_window,
                from_status=before,
                reason=reason,
            )
            who = _staff(actor) or (
                actor if hasattr(actor, "username") else _actor_label(actor, t.outlet)
            )
            _record(
                who,
                "ticket.requeue",
                t,
                before,
                reason=reason,
                request=request,
                window=old_window.code,
                queue=t.queue.code,
            )
        # tickets transferred to this window specifically would wait for it alone: back to its line
        targeted = list(
            Ticket.objects.select_for_update(of=("self",))
            .filter(target_window_id=window_id, status=Ticket.WAITING)
            .order_by("pk")
        )
        for t in targeted:
            _with_config(t)
            t.target_window = None
            t.save(update_fields=["target_window"])
            why = f"转入的{window.number}号窗口已关闭，回到队列"
            _event(
                t,
                "requeue",
                staff=_staff(actor),
                window=window,
                from_status=Ticket.WAITING,
                reason=why,
            )
            who = _staff(actor) or (
                actor if hasattr(actor, "username") else _actor_label(actor, t.outlet)
            )
            _record(
                who,
                "ticket.requeue",
                t,
                Ticket.WAITING,
                reason=why,
                request=request,
                window=window.code,
                queue=t.queue.code,
            )
        return held

    return _retrying(attempt)


def held_by(window, *, lock: bool = False) -> Ticket | None:
    """The ticket a window holds now (called or being served), if any. `lock`: lock the window's
    row first (in the caller's transaction), so no call can put a ticket there until it ends."""
    window = window if isinstance(window, Window) else selectors.get_window(window)
    if lock:
        _lock_window(window)
    return (
        Ticket.objects.filter(window_id=window.pk, status__in=Ticket.ACTIVE_STATES)
        .order_by()
        .first()
    )
