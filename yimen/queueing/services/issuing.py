"""Issuing: tickets at the kiosk or by staff, remote tickets, their check-in and expiry."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection

from yimen.core import audit, clock, idempotency
from yimen.core.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationFailed,
)
from yimen.core.masking import mask_id_number, mask_name, mask_phone
from yimen.core.validators import normalize_id_number
from yimen.outlets import selectors as outlet_selectors
from yimen.outlets.models import Outlet
from yimen.staff.authz import authorize

from .. import selectors
from ..models import Queue, Ticket, TicketLeg
from .common import (
    PUBLIC_CHANNELS,
    _actor_label,
    _check_phone,
    _closed_error,
    _event,
    _lock_ticket,
    _next_seq,
    _priority_for,
    _record,
    _require_presence,
    _retrying,
    _staff,
    _transition,
)

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
    legs=None,
) -> Ticket:
    """`legs`: [(queue, items)] of a visit of several stops (the first is `queue`), else None."""
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
        stops=len(legs) if legs else 1,
    )
    if items:  # a new ticket: plain inserts (items.set() would first read what is there)
        Ticket.items.through.objects.bulk_create(
            [Ticket.items.through(ticket=ticket, serviceitem=i) for i in items]
        )
    if legs:
        _create_legs(ticket, legs)
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
            **({"legs": [q.code for q, _i in legs]} if legs else {}),
            "name": mask_name(applicant_name),
            "id_number": mask_id_number(id_number),
            "phone": mask_phone(phone),
        },
    )
    return ticket


def _create_legs(ticket: Ticket, legs) -> None:
    rows = TicketLeg.objects.bulk_create(
        [TicketLeg(ticket=ticket, position=n, queue=q) for n, (q, _items) in enumerate(legs)]
    )
    TicketLeg.items.through.objects.bulk_create(
        [
            TicketLeg.items.through(ticketleg_id=row.pk, serviceitem_id=i.pk)
            for row, (_q, items) in zip(rows, legs, strict=True)
            for i in items
        ]
    )


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
    several_queues=False,
) -> Ticket:
    """Issue a ticket (取号) at `outlet` for `items` (ServiceItems or codes).

    Routing: green-channel-eligible items + a priority person → the 绿色通道 queue; otherwise the
    queue whose windows accept all the items (综合 first); `queue` forces one (the kiosk's group
    button). Priority from `priority` or an ID number's age ≥ the outlet's `priority_age`.
    Closed outlet → OutsideOpeningHours with the next opening and open alternatives. The same
    `idempotency_key` with the same request returns the same ticket (attribute `replayed` is True
    then); with a different request (method, path, body — or, called directly, other arguments)
    it is refused, 422 `idempotency_key_reused` (core.idempotency).

    `several_queues` (guide desk, kiosk): items no single queue takes together make one ticket
    for one visit of several stops (rules.plan_visit) instead of the error 请分别取号; the ticket
    moves to the next stop's queue when a window finishes the current one (services.finish)."""
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
                caller=idempotency.caller_of(actor),
                outlet=outlet.code,
                items=sorted(i.code for i in items),
                priority=priority,
                channel=channel,
                name=applicant_name,
                id_number=id_number,
                phone=phone,
                queue=queue.code if queue else None,
                check_in_by=check_in_by,
                **({"several_queues": True} if several_queues else {}),
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
    target, legs = None, None
    if is_open and several_queues and queue is None:
        legs = selectors.plan_legs(outlet, items, prio)
        target, legs = legs[0][0], (legs if len(legs) > 1 else None)
    elif is_open:
        target = selectors.route(outlet, items, prio, queue)

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
            legs=legs,
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
    minutes = outlet.options.remote_check_in_minutes
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


def check_in_remote(ticket, *, actor=None, present_at=None, request=None) -> Ticket:
    """The holder of a remote ticket arrives: the ticket becomes callable at its original place.
    Only at the outlet: staff, a device, or a holder whose presence there is shown (`present_at`,
    see common._require_presence)."""

    def attempt():
        t = _lock_ticket(ticket)
        _require_presence(t.outlet_id, actor, present_at)
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
