"""Writes of the queue: issuing tickets, calling, serving, transfers, appointments, remote tickets.

Every function is one transaction and an explicit state transition recorded as a TicketEvent
(who, when, why) and in the audit log. Concurrency (docs/queue.md):
- numbers come from one atomic UPSERT … RETURNING on the per-queue daily counter;
- a call picks its ticket with the pure dispatch policy, then claims it with a conditional
  UPDATE (… WHERE status='waiting'); on PostgreSQL the candidate is first locked with
  SELECT … FOR UPDATE SKIP LOCKED so two windows never wait on, or take, the same ticket;
  SQLite runs BEGIN IMMEDIATE transactions (settings) so writers are serialised;
- unique constraints (number per outlet-day, one active ticket per window, Idempotency-Key)
  are the last line of defence; IntegrityError / lock errors are retried a few times.
"""

from __future__ import annotations

import contextvars
import logging
import random
import threading
import time
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import OuterRef, Subquery

from yimen.core import audit, changes, clock, idempotency
from yimen.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidTransition,
    NotFound,
    OutsideOpeningHours,
    Unauthorized,
    ValidationFailed,
)
from yimen.core.masking import mask_id_number, mask_name, mask_phone
from yimen.core.validators import age_on, check_mobile, check_resident_id, normalize_id_number
from yimen.outlets import selectors as outlet_selectors
from yimen.outlets.models import Outlet, Window
from yimen.staff import authz
from yimen.staff.authz import authorize, staff_of
from yimen.staff.models import WindowSession

from .. import notify, rules, selectors
from ..models import PRIORITY_VALUES, Appointment, Queue, Ticket, TicketEvent

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
    if pk is None and str(ticket).isdigit():
        pk = int(str(ticket))
    if pk is None:
        pk = selectors.get_ticket(ticket).pk  # a public id
    locked = (
        Ticket.objects.select_for_update().filter(pk=pk).order_by().first()
    )  # (Meta.ordering joins)
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
        if not priority and age_on(check.birth_date, today) >= int(
            outlet.setting("priority_age", 65)
        ):
            priority = "老年人"
    return priority, id_number


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


# --- issuing ----------------------------------------------------------------------------------


def _check_issuer(actor, outlet, channel):
    device = getattr(actor, "device_outlet", None)
    staff = _staff(actor)
    if staff is not None:
        return authorize(staff, "queue.issue", outlet=outlet.pk)
    if device is not None:
        if device.pk != outlet.pk:
            raise Forbidden("该设备只能为本网点取号。")
        return None
    if channel not in PUBLIC_CHANNELS:
        raise Unauthorized("请先以工作人员或设备身份登录。")
    return None


def _create_ticket(
    outlet,
    items,
    *,
    queue,
    priority,
    channel,
    actor,
    applicant_name,
    id_number,
    phone,
    idempotency_key=None,
    appointment_at=None,
    check_in_by=None,
    request=None,
    idempotency_fingerprint="",
) -> Ticket:
    now = clock.now()
    day = selectors.local_date(now)
    seq = _next_seq(queue, day)
    ticket = Ticket.objects.create(
        outlet=outlet,
        queue=queue,
        service_date=day,
        seq=seq,
        number=f"{queue.prefix}{seq:03d}",
        priority=priority,
        channel=channel,
        issued_at=now,
        queued_at=now,
        applicant_name=applicant_name,
        id_number=id_number,
        phone=phone,
        idempotency_key=idempotency_key,
        appointment_at=appointment_at,
        check_in_by=check_in_by,
        idempotency_fingerprint=idempotency_fingerprint if idempotency_key else "",
    )
    if items:  # a new ticket: plain inserts (items.set() would first read what is there)
        Ticket.items.through.objects.bulk_create(
            [Ticket.items.through(ticket=ticket, serviceitem=i) for i in items]
        )
    _event(ticket, "issue", staff=_staff(actor), reason=channel)
    audit.record(
        _actor_label(actor, outlet),
        "ticket.issue",
        ticket,
        request=request,
        after={
            "number": ticket.number,
            "queue": queue.code,
            "priority": priority,
            "channel": channel,
            "items": [i.code for i in items],
            "name": mask_name(applicant_name),
            "id_number": mask_id_number(id_number),
            "phone": mask_phone(phone),
        },
    )
    return ticket


def issue_ticket(
    outlet,
    items,
    *,
    priority="",
    channel="kiosk",
    actor=None,
    applicant_name="",
    id_number="",
    phone="",
    idempotency_key=None,
    queue=None,
    request=None,
    check_in_by=None,
) -> Ticket:
    """Issue a ticket (取号) at `outlet` for `items` (ServiceItems or codes).

    Routing: green-channel-eligible items + a priority person → the 绿色通道 queue; otherwise the
    queue whose windows accept all the items (综合 first); `queue` forces one (the kiosk's group
    button). Priority from `priority` or an ID number's age ≥ the outlet's `priority_age`.
    Closed outlet → OutsideOpeningHours with the next opening and open alternatives. The same
    `idempotency_key` with the same request returns the same ticket (attribute `replayed` is True
    then); with a different request (method, path, body — or, called directly, other arguments)
    it is refused, 422 `idempotency_key_reused` (core.idempotency)."""
    outlet = outlet if isinstance(outlet, Outlet) else selectors.outlet_by_code(str(outlet))
    items = selectors.resolve_items(items)
    if channel not in {c for c, _ in Ticket._meta.get_field("channel").choices}:
        raise ValidationFailed(f"取号渠道不正确：{channel}", code="bad_channel")
    key = (idempotency_key or "").strip() or None
    if key and len(key) > idempotency.MAX_KEY_LENGTH:
        raise ValidationFailed(
            "Idempotency-Key 过长（最多100个字符）。", code="bad_idempotency_key"
        )
    if queue is not None and not isinstance(queue, Queue):
        code = str(queue)
        queue = Queue.objects.filter(outlet=outlet, code=code).first()
        if queue is None:
            raise NotFound(f"找不到队列：{code}")
    _check_issuer(actor, outlet, channel)
    applicant_name = (applicant_name or "").strip()[:50]
    phone = _check_phone(phone)
    fingerprint = ""
    if key:
        fingerprint = (
            idempotency.request_fingerprint(request)
            if request is not None
            else idempotency.call_fingerprint(
                "issue_ticket",
                outlet=outlet.code,
                items=sorted(i.code for i in items),
                priority=priority,
                channel=channel,
                name=applicant_name,
                id_number=id_number,
                phone=phone,
                queue=queue.code if queue else None,
                check_in_by=check_in_by,
            )
        )
        # a key reused for another request is refused before anything else is checked
        stored = (
            Ticket.objects.filter(idempotency_key=key)
            .values_list("idempotency_fingerprint", flat=True)
            .first()
        )
        idempotency.check(stored, fingerprint)

    def replay():
        existing = Ticket.objects.filter(idempotency_key=key).order_by().first() if key else None
        if existing is not None:
            idempotency.check(existing.idempotency_fingerprint, fingerprint)
            if existing.outlet_id != outlet.pk:
                raise Conflict(
                    "该 Idempotency-Key 已用于其他网点的取号。", code="idempotency_conflict"
                )
            existing.replayed = True
        return existing

    # Reads (hours, priority, routing: all cached) happen before the write transaction to keep
    # it short; a replay is answered from inside it (the unique key settles concurrent retries).
    now = clock.now()
    is_open = selectors.schedule(outlet).is_open(now)
    prio, idn = _priority_for(outlet, priority, id_number, selectors.local_date(now))
    target = selectors.route(outlet, items, prio, queue) if is_open else None

    def attempt():
        existing = replay()
        if existing is not None:
            return existing
        if not is_open:  # a replay of a ticket issued before closing time still gets its ticket
            raise _closed_error(outlet, items, now)
        ticket = _create_ticket(
            outlet,
            items,
            queue=target,
            priority=prio,
            channel=channel,
            actor=actor,
            applicant_name=applicant_name,
            id_number=idn,
            phone=phone,
            idempotency_key=key,
            request=request,
            check_in_by=check_in_by,
            idempotency_fingerprint=fingerprint,
        )
        ticket.replayed = False
        return ticket

    ticket = _retrying(attempt)
    if not ticket.replayed and not connection.in_atomic_block:  # committed: its items are known
        selectors.remember_ticket_items(ticket.pk, items)
    return ticket


def issue_remote_ticket(
    outlet,
    items,
    *,
    id_number,
    applicant_name="",
    phone="",
    priority="",
    actor=None,
    idempotency_key=None,
    request=None,
) -> Ticket:
    """A ticket taken online (远程取号) while the outlet is open. It keeps its place in line but is
    only called after the holder checks in at the outlet, within `remote_check_in_minutes`
    (outlet setting, default 60, never after closing); otherwise it lapses (`expire_remote`)."""
    outlet = selectors.get_outlet(outlet)
    if not (id_number or "").strip():
        raise ValidationFailed("远程取号须填写身份证号码。", code="id_required")
    now = clock.now()
    schedule = outlet_selectors.schedule_for(outlet)
    items_list = selectors.resolve_items(items)
    if not schedule.is_open(now):
        raise _closed_error(outlet, items_list, now)
    minutes = int(outlet.setting("remote_check_in_minutes", 60))
    deadline = min(now + timedelta(minutes=minutes), schedule.closes_at(now))
    from yimen.core.fields import protected_lookup_hash

    id_hash = protected_lookup_hash(normalize_id_number(id_number))
    same_day = Ticket.objects.filter(
        outlet=outlet,
        service_date=selectors.local_date(now),
        channel="remote",
        id_number_hash=id_hash,
        status__in=[Ticket.WAITING, Ticket.CALLED],
    )
    key = (idempotency_key or "").strip()
    if key:  # a retry of the request that issued it is a replay (or refused by issue_ticket), not a duplicate
        same_day = same_day.exclude(idempotency_key=key)
    if same_day.exists():
        raise Conflict(
            "您今天在本网点已有一个未办理的远程号，请勿重复取号。", code="remote_duplicate"
        )
    ticket = issue_ticket(
        outlet,
        items_list,
        priority=priority,
        channel="remote",
        actor=actor,
        applicant_name=applicant_name,
        id_number=id_number,
        phone=phone,
        idempotency_key=idempotency_key,
        request=request,
        check_in_by=deadline,
    )
    return ticket


def check_in_remote(ticket, *, actor=None, request=None) -> Ticket:
    """The holder of a remote ticket arrives: the ticket becomes callable at its original place."""

    def attempt():
        t = _lock_ticket(ticket)
        if t.check_in_by is None:
            raise ValidationFailed("该号不是远程取号，无需签到。", code="not_remote")
        if t.checked_in_at is not None:
            return t
        _transition(t, (Ticket.WAITING,), "到场签到")
        now = clock.now()
        if now > t.check_in_by:
            _expire(t, actor)
            raise Conflict(
                f"远程号 {t.number} 已超过签到时间（{clock.local(t.check_in_by):%H:%M}）失效，请重新取号。",
                code="remote_lapsed",
            )
        t.checked_in_at = now
        t.save(update_fields=["checked_in_at"])
        _event(t, "check_in", staff=_staff(actor))
        _record(
            _actor_label(actor, t.outlet), "ticket.check_in", t, Ticket.WAITING, request=request
        )
        return t

    return _retrying(attempt)


def _expire(t: Ticket, actor=None):
    before = t.status
    t.status = Ticket.EXPIRED
    t.save(update_fields=["status"])
    _event(t, "expire", from_status=before, reason="远程取号未按时到场签到")
    _record(
        _actor_label(actor) if actor else "system",
        "ticket.expire",
        t,
        before,
        reason="远程取号未按时到场签到",
    )


def expire_remote(now=None, run=None):
    """Lapse remote tickets whose holders did not check in in time (`yimen queue expire`). Each
    ticket in its own transaction (`_retrying`); one that fails is logged and skipped
    (`run.failed`), the others lapse. Returns the JobRun; `run.done`: the numbers lapsed."""
    from yimen.core.jobs import JobRun

    now = now or clock.now()
    run = run or JobRun("queue.expire")
    candidates = list(
        Ticket.objects.filter(
            status=Ticket.WAITING, check_in_by__lt=now, checked_in_at__isnull=True
        )
        .order_by("pk")
        .values_list("pk", "number")
    )

    def one(candidate):
        def attempt():
            t = Ticket.objects.select_for_update().get(pk=candidate[0])
            if t.status == Ticket.WAITING and t.checked_in_at is None and t.check_in_by < now:
                _expire(t)
                return t.number
            return None

        return _retrying(attempt)

    # _retrying owns each ticket's transaction (and its retries): no extra savepoint around it
    run.done.extend(run.each(candidates, one, label=lambda c: f"{c[1]}（#{c[0]}）", atomic=False))
    return run


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
    queues = profile.queues | profile.fallback_queues
    if not hall.may_have_work(window.pk, queues, now):
        return None
    lapsing = hall.next_lapse is not None and hall.next_lapse < now
    with calling(call_key(window, profile)) as contenders:
        if _taken_by_others(hall, window.pk, queues, contenders, now):
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
    database, no waiting), for the ASGI fast lane (queueing/fastlane.py):
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
    refreshing = selectors.keep_hall_fresh(
        window.outlet_id, day
    )  # each read keeps the entry wanted
    hall = selectors.peek_hall_state(window.outlet_id, day)
    if hall is None:
        return STALE if refreshing else None
    try:  # the same check as call_next's own fast path
        _clerk_at(window, staff, session=hall.sessions.get(window.pk, (None, "closed")))
    except DomainError:
        return None
    queues = profile.queues | profile.fallback_queues
    if not hall.may_have_work(window.pk, queues, now):
        return IDLE
    key = call_key(window, profile)
    contenders = _calls_under_way.get(key, 0) + 1  # were it to call
    return IDLE if _taken_by_others(hall, window.pk, queues, contenders, now) else key


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
    lock only its row (Window's default ordering joins the outlet, and a plain FOR UPDATE would
    then lock the outlet row for every call of the hall). In the same statement: the number of
    the ticket the window holds (returned, None if none) and, with `staff`, their session there —
    checked again under the lock, so a call that raced a sign-out or a close never leaves a
    ticket at a closed window.

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
            items=frozenset(t.items.values_list("code", flat=True)),
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
        limit = int(t.outlet.setting("max_recalls", 3))
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
    """Finish service, recording the items actually handled (default: the ticket's items)."""

    def attempt():
        t = _lock_ticket(ticket)
        _transition(t, (Ticket.SERVING,), "办结")
        staff = _window_bound(t, actor, "办结")
        handled = (
            [(i.pk, i.code) for i in selectors.resolve_items(handled_items)]
            if handled_items is not None
            else selectors.ticket_items(t.pk)
        )
        t.status, t.finished_at = Ticket.DONE, clock.now()
        t.save(update_fields=["status", "finished_at"])
        # a ticket is finished once (SERVING → DONE), so there is nothing to replace: plain inserts
        Ticket.handled_items.through.objects.bulk_create(
            [
                Ticket.handled_items.through(ticket_id=t.pk, serviceitem_id=pk)
                for pk, _code in handled
            ]
        )
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


# --- appointments -----------------------------------------------------------------------------


def book_appointment(
    outlet, item, slot_start, name, id_number, phone, *, actor=None, request=None
) -> Appointment:
    """Book a slot (预约). One active booking per person per item and day and per slot; the
    queue's capacity per slot is enforced under concurrency (queue row lock / IMMEDIATE)."""
    outlet = selectors.get_outlet(outlet)
    item = selectors.resolve_items([item])[0]
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("请填写姓名。", code="name_required")
    check = check_resident_id(id_number, clock.today())
    if not check.ok:
        raise ValidationFailed(check.message, code="bad_id_number")
    phone = _check_phone(phone)
    if not phone:
        raise ValidationFailed("请填写手机号码，用于预约提醒。", code="phone_required")
    slot_start = clock.local(slot_start)
    day = slot_start.date()
    from yimen.core.fields import protected_lookup_hash

    id_hash = protected_lookup_hash(normalize_id_number(id_number))

    def attempt():
        slots = selectors.available_slots(outlet, item, day)
        slot = next((s for s in slots if s["start"] == slot_start), None)
        if slot is None:
            raise ValidationFailed(
                f"{selectors.format_when(slot_start)} 不是可预约的时段。", code="bad_slot"
            )
        queue = Queue.objects.select_for_update().get(code=slot["queue"], outlet=outlet)
        active = Appointment.objects.filter(
            id_number_hash=id_hash, status__in=Appointment.ACTIVE_STATES
        )
        if (
            active.filter(item=item, service_date=day).exists()
            or active.filter(slot_start=slot_start).exists()
        ):
            raise Conflict(
                "您在该日已预约过此事项或该时段已有预约，请勿重复预约。", code="duplicate_booking"
            )
        used = Appointment.objects.filter(
            queue=queue, slot_start=slot_start, status__in=Appointment.ACTIVE_STATES
        ).count()
        if used >= queue.appointment_capacity:
            raise Conflict("该时段已约满，请选择其他时段。", code="slot_full")
        appt = Appointment.objects.create(
            outlet=outlet,
            queue=queue,
            item=item,
            service_date=day,
            slot_start=slot_start,
            slot_end=slot["end"],
            name=name,
            id_number=normalize_id_number(id_number),
            phone=phone,
            created_at=clock.now(),
        )
        audit.record(
            _staff(actor) or "public",
            "appointment.book",
            appt,
            request=request,
            after={
                "slot": slot_start.isoformat(),
                "item": item.code,
                "name": mask_name(name),
                "id_number": mask_id_number(id_number),
                "phone": mask_phone(phone),
            },
        )
        return appt

    try:
        return _retrying(attempt)
    except Conflict as exc:
        if exc.code == "busy":
            raise Conflict(
                "您在该日已预约过此事项或该时段已有预约，请勿重复预约。", code="duplicate_booking"
            )
        raise


def _holder_or_staff(appt: Appointment, actor, id_number, action):
    if id_number is not None:
        from yimen.core.fields import protected_lookup_hash

        if protected_lookup_hash(normalize_id_number(id_number)) != appt.id_number_hash:
            raise Forbidden("证件号码与预约人不符。", code="not_holder")
        return None
    return authorize(_staff(actor), action, outlet=appt.outlet_id)


def cancel_appointment(
    appointment, actor=None, reason="", *, id_number=None, request=None
) -> Appointment:
    """Cancel a booking: staff, or the person (who proves it with the booking's ID number)."""

    def attempt():
        appt = Appointment.objects.select_for_update().get(
            pk=selectors.get_appointment(appointment).pk
        )
        staff = _holder_or_staff(appt, actor, id_number, "appointment.manage")
        if appt.status != Appointment.BOOKED:
            raise InvalidTransition("预约", appt.status_label, "取消")
        appt.status, appt.cancelled_at, appt.cancel_reason = (
            Appointment.CANCELLED,
            clock.now(),
            (reason or "")[:200],
        )
        appt.save(update_fields=["status", "cancelled_at", "cancel_reason"])
        audit.record(
            staff or "holder",
            "appointment.cancel",
            appt,
            before={"status": Appointment.BOOKED},
            after={"status": appt.status},
            reason=reason,
            request=request,
        )
        return appt

    return _retrying(attempt)


def check_in(appointment, actor=None, *, request=None) -> Ticket:
    """The person arrives: a ticket (channel 预约签到) that the dispatch calls at its slot.
    Check-in opens `appointment_check_in_early_minutes` (default 30) before the slot and closes
    `appointment_grace_minutes` (default 15) after its start; later the booking is 爽约."""

    def attempt():
        appt = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("outlet", "queue", "item")
            .get(pk=selectors.get_appointment(appointment).pk)
        )
        if appt.status == Appointment.CHECKED_IN and appt.ticket_id:
            return appt.ticket
        if appt.status != Appointment.BOOKED:
            raise InvalidTransition("预约", appt.status_label, "签到")
        now = clock.now()
        early = timedelta(
            minutes=int(appt.outlet.setting("appointment_check_in_early_minutes", 30))
        )
        grace = timedelta(minutes=int(appt.outlet.setting("appointment_grace_minutes", 15)))
        if now < appt.slot_start - early:
            raise ValidationFailed(
                f"签到时间未到：请于 {clock.local(appt.slot_start - early):%H:%M} 之后签到。",
                code="too_early",
            )
        if now > appt.slot_start + grace:
            appt.status = Appointment.MISSED
            appt.save(update_fields=["status"])
            audit.record("system", "appointment.missed", appt, after={"status": appt.status})
            return None
        outlet = appt.outlet
        if not outlet_selectors.schedule_for(outlet).is_open(now):
            raise _closed_error(outlet, [appt.item], now)
        prio, idn = _priority_for(outlet, "", appt.id_number, selectors.local_date(now))
        ticket = _create_ticket(
            outlet,
            [appt.item],
            queue=appt.queue,
            priority=prio,
            channel="appointment",
            actor=actor,
            applicant_name=appt.name,
            id_number=idn,
            phone=appt.phone,
            appointment_at=appt.slot_start,
            request=request,
        )
        appt.status, appt.checked_in_at, appt.ticket = Appointment.CHECKED_IN, now, ticket
        appt.save(update_fields=["status", "checked_in_at", "ticket"])
        audit.record(
            _staff(actor) or "public", "appointment.check_in", appt, after={"ticket": ticket.number}
        )
        return ticket

    ticket = _retrying(attempt)
    if ticket is None:
        raise Conflict(
            "已超过预约时段的签到时间，预约已记为爽约，请现场取号。", code="appointment_missed"
        )
    return ticket


from ..moves import held_by, return_to_queue, transfer  # noqa: E402  (they use the helpers above)

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
