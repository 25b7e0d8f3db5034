"""Plumbing shared by the queue's writes: retries, the SQLite writer mutex, events and audit, locks, checks."""

from __future__ import annotations

import logging
import random
import threading
import time

from django.db import IntegrityError, OperationalError, connection, transaction

from yimen.core import audit, changes, clock
from yimen.core.errors import (
    Conflict,
    Forbidden,
    InvalidTransition,
    NotFound,
    OutsideOpeningHours,
    Unauthorized,
    ValidationFailed,
)
from yimen.core.validators import (
    age_on,
    check_mobile,
    check_resident_id,
    normalize_id_number,
    parse_id,
)
from yimen.outlets import selectors as outlet_selectors
from yimen.outlets.models import Window
from yimen.outreach import triggers as outreach
from yimen.staff.authz import authorize, staff_of

from .. import notify, selectors
from ..models import PRIORITY_VALUES, Queue, Ticket, TicketEvent

logger = logging.getLogger(__name__)
PUBLIC_CHANNELS = {"kiosk", "remote", "appointment"}
MAX_ATTEMPTS = 6
OFF_BOARD_ACTIONS = {"start", "finish", "check_in"}  # neither a call nor a waiting count changes


# --- plumbing ---------------------------------------------------------------------------------

# SQLite has one writer at a time; BEGIN IMMEDIATE makes the others wait in SQLite's busy handler,
# which polls with sleeps of up to 100 ms. With dozens of threads in one process that polling
# wastes most of the time, so writers of one process queue on this mutex first (other processes
# still rely on BEGIN IMMEDIATE + busy timeout). PostgreSQL needs no such thing.
_SQLITE_WRITER = threading.RLock()


def _retrying(fn):
    """Run fn() in its own transaction, retrying on lock errors and constraint races. Inside an
    outer transaction (a caller's service) it runs once: the caller owns the retry.

    Audit entries are appended to the chain at the end of the transaction (`audit.deferred`):
    the chain's global lock is then held only for the append and the commit, and the lock order
    is always rows first, chain last — so windows and kiosks do not queue behind each other's
    whole transaction, and no transaction holding the chain lock waits for a row. The change
    notifications (PostgreSQL NOTIFY) of the write ride on the audit append's last statement
    (`changes.notify_at_end`): one round trip less per write."""
    if connection.in_atomic_block:
        with transaction.atomic(), changes.notify_at_end(), audit.deferred():
            return fn()
    sqlite = connection.vendor == "sqlite"
    for attempt in range(MAX_ATTEMPTS):
        try:
            if sqlite:
                with _SQLITE_WRITER, transaction.atomic(), audit.deferred():
                    return fn()
            with transaction.atomic(), changes.notify_at_end(), audit.deferred():
                return fn()
        except (IntegrityError, OperationalError) as exc:
            if attempt == MAX_ATTEMPTS - 1:
                logger.warning("queue write gave up after %s attempts: %r", MAX_ATTEMPTS, exc)
                raise Conflict("系统繁忙，请稍后重试。", code="busy", cause=type(exc).__name__)
            time.sleep(0.005 * (2**attempt) * (1 + random.random()))


def _is_pg() -> bool:
    return connection.vendor == "postgresql"


def _actor_label(actor, outlet=None):
    """Audit actor: a Staff/User, or a label for devices and public kiosks."""
    staff = _staff(actor)
    if staff is not None:
        return staff
    device = getattr(actor, "device_outlet", None)
    if device is not None:
        return f"device:{device.code}"
    return f"kiosk:{outlet.code}" if outlet is not None else "public"


def _staff(actor):
    if actor is None or isinstance(actor, str):
        return None
    if hasattr(actor, "device_outlet") and hasattr(actor, "staff"):  # a tokens.Principal
        return actor.staff
    return staff_of(actor)


def _event(
    ticket: Ticket, action: str, *, staff=None, window=None, from_status="", reason=""
) -> TicketEvent:
    event = TicketEvent.objects.create(
        ticket=ticket,
        outlet_id=ticket.outlet_id,
        action=action,
        at=clock.now(),
        window=window,
        staff=staff,
        from_status=from_status,
        to_status=ticket.status,
        reason=reason[:200],
    )
    notify.changed(ticket.outlet_id, board=action not in OFF_BOARD_ACTIONS)
    # messages to the ticket's holder ("快到您了", "请到 X 号窗口"), in this transaction
    outreach.ticket_event(ticket, action, from_status, window)
    return event


def _record(actor, action, ticket, before, reason="", request=None, **after):
    after = {"number": ticket.number, "status": ticket.status, **after}
    audit.record(
        actor,
        action,
        ticket,
        before={"status": before},
        after=after,
        reason=reason,
        request=request,
    )


def _lock_ticket(ticket) -> Ticket:
    pk = ticket.pk if isinstance(ticket, Ticket) else None
    if pk is None:
        pk = parse_id(str(ticket))
    if pk is None:
        pk = selectors.get_ticket(ticket).pk  # a public id
    locked = Ticket.objects.select_for_update().filter(pk=pk).order_by("pk").first()
    if locked is None:
        raise NotFound(f"找不到排队号：{ticket}")
    return _with_config(locked)


def _with_config(ticket: Ticket) -> Ticket:
    """A locked ticket's outlet, queue and window from the configuration cache (read-only in the
    services), rather than a join in every write."""
    ticket.outlet = selectors.outlet_by_id(ticket.outlet_id)
    ticket.queue = selectors.queue_by_id(ticket.queue_id)
    if ticket.window_id is not None:
        ticket.window = selectors.window_setup(ticket.window_id).window
    return ticket


def _transition(ticket: Ticket, allowed: tuple, action_label: str):
    if ticket.status not in allowed:
        raise InvalidTransition(f"排队号 {ticket.number} ", ticket.status_label, action_label)


def _clerk_at(window: Window, actor, session=None):
    """The clerk signed in (and serving) at `window`; otherwise Forbidden/Conflict. `session`:
    (staff id, state) if already known; by default from the hall's cached sign-ins (exact in this
    process, invalidated by NOTIFY from others — as call_next's own check)."""
    staff = authorize(_staff(actor), "queue.call", outlet=window.outlet_id)
    if session is None:
        session = selectors.hall_sessions(window.outlet_id).get(window.pk, (None, "closed"))
    staff_id, state = session
    if staff_id != staff.pk:
        raise Forbidden(
            f"您没有在 {window.number} 号窗口签到，不能在该窗口叫号或办理。", code="not_signed_in"
        )
    if state != "serving":
        raise Conflict(f"{window.number} 号窗口已暂停服务，请先恢复服务。", code="window_paused")
    return staff


def _window_bound(t: Ticket, actor, action_label: str, *, serving: bool = True):
    """The one check of every action on a ticket that a window holds (called or being served):
    only the clerk signed in at *that* window may act on it — start, finish, recall, 过号,
    transfer, cancel; nobody at another window may take it (call_specific). `serving=False` lets
    the clerk act while the window is paused (transfer, cancel: clearing the counter before a
    break). Returns the Staff, or None for a ticket no window holds (the caller authorises those
    by outlet, as before)."""
    if t.status not in Ticket.ACTIVE_STATES:
        return None
    window = t.window
    staff = _staff(actor)
    if staff is None:
        raise Unauthorized("请先以工作人员身份登录。")
    staff_id, state = selectors.hall_sessions(window.outlet_id).get(window.pk, (None, "closed"))
    if staff_id != staff.pk:
        raise Forbidden(
            f"{t.number} 号{_held_at(t)}，只有在该窗口签到的工作人员可以{action_label}。",
            code="not_signed_in",
        )
    authorize(staff, "queue.call", outlet=window.outlet_id)
    if serving and state != "serving":
        raise Conflict(f"{window.number} 号窗口已暂停服务，请先恢复服务。", code="window_paused")
    return staff


def _held_at(t: Ticket) -> str:
    return f"正在 {t.window.number} 号窗口{'办理' if t.status == Ticket.SERVING else '叫号'}"


def _priority_for(outlet, priority, id_number, today):
    """Explicit priority, or 老年人 when a validated ID number gives an age ≥ priority_age."""
    priority = (priority or "").strip()
    if priority not in PRIORITY_VALUES:
        raise ValidationFailed(
            f"优先类别不正确：{priority}（可选：老年人、残疾人、军人、孕妇、其他）。",
            code="bad_priority",
        )
    id_number = normalize_id_number(id_number)
    if id_number:
        check = check_resident_id(id_number, today)
        if not check.ok:
            raise ValidationFailed(check.message, code="bad_id_number")
        if not priority and age_on(check.birth_date, today) >= outlet.options.priority_age:
            priority = "老年人"
    return priority, id_number


NOT_AT_OUTLET = (
    "请到网点现场签到：在大厅扫描叫号屏或取号机上的「到场签到」二维码，或在取号机、引导台签到。"
    "不在网点时不能签到。"
)


def _require_presence(outlet_id: int, actor, present_at: int | None) -> None:
    """A check-in (remote ticket, appointment) happens at the outlet: staff or a device act there;
    a person without either must show they are in the hall (`present_at`: the outlet whose hall
    code they scanned or whose kiosk they use, hall/presence.py). Forbidden otherwise."""
    if actor is not None or present_at == outlet_id:
        return
    raise Forbidden(NOT_AT_OUTLET, code="not_at_outlet")


def _check_phone(phone):
    phone = (phone or "").strip()
    if phone and not check_mobile(phone):
        raise ValidationFailed("手机号码格式不正确（应为11位手机号）。", code="bad_phone")
    return phone


def _closed_error(outlet, items, now):
    schedule = outlet_selectors.schedule_for(outlet)
    nxt = schedule.next_opening(now)
    alternatives = []
    if items:
        common = None
        for item in items:
            rows = {
                r["outlet"].code: r
                for r in outlet_selectors.outlets_for_item(item, now)
                if r["open_now"]
            }
            common = rows if common is None else {k: v for k, v in common.items() if k in rows}
        for code, row in (common or {}).items():
            if code != outlet.code:
                alternatives.append(
                    {
                        "code": code,
                        "name": row["outlet"].name,
                        "closes_at": row["closes_at"].isoformat() if row["closes_at"] else None,
                        "address": row["outlet"].address,
                    }
                )
    message = f"{outlet.name}当前不在办公时间，暂停取号。"
    if nxt:
        message += f"下次开放时间：{selectors.format_when(nxt)}。"
    if alternatives:
        message += f"现在可前往仍在办公的网点：{'、'.join(a['name'] for a in alternatives[:3])}。"
    return OutsideOpeningHours(
        message,
        next_opening=nxt.isoformat() if nxt else None,
        next_opening_text=selectors.format_when(nxt),
        alternatives=alternatives,
    )


def _next_seq(queue: Queue, day) -> int:
    """Atomic per-queue daily counter (one statement; safe under concurrent kiosks)."""
    table = "queueing_dailycounter"
    sql = (
        f"INSERT INTO {table} (queue_id, service_date, last) VALUES (%s, %s, 1) "
        f"ON CONFLICT (queue_id, service_date) DO UPDATE SET last = {table}.last + 1 RETURNING last"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [queue.pk, day if _is_pg() else day.isoformat()])
        return cursor.fetchone()[0]
