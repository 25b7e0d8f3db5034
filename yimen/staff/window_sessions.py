"""Window sessions: sign-in, pause, resume, hand-over (an offer the colleague confirms), sign-out,
and a chief's or the admin's forced close. A session never ends with a ticket stranded at its
window: the clerk's own sign-out is refused while a ticket is called or being served (unless the
clerk returns it to its queue); forced ends return it automatically (docs/staff.md, docs/queue.md).
Every write is one transaction, checks permission through authz, and leaves an audit entry."""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from yimen.core import audit, clock
from yimen.core.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed

from .authz import authorize
from .models import ADMIN, CLERK, HandOverOffer, Staff, WindowSession

PAUSE_REASONS = ["午餐接力", "临时离岗", "系统故障", "业务培训", "其他"]


# --- window sessions ----------------------------------------------------------------------------


def _check_window(window):
    if not window.active:
        raise ValidationFailed(f"{window.number}号窗口已停用。")
    if not window.calls_tickets:
        raise ValidationFailed(f"{window.label or window.kind}不叫号，无需签到。")


@transaction.atomic
def sign_in_window(staff: Staff, window, *, request=None) -> WindowSession:
    """A clerk signs in to a window (one clerk per window, one window per clerk)."""
    authorize(staff, "staff.window.sign_in", outlet=window.outlet_id)
    if staff.role != CLERK and staff.role != ADMIN:
        raise Forbidden("只有窗口人员可以签到窗口。")
    _check_window(window)
    taken = (
        WindowSession.objects.select_for_update()
        .filter(window=window, ended_at__isnull=True)
        .first()
    )
    if taken and taken.staff_id != staff.pk:
        raise Conflict(f"{window.number}号窗口已由{taken.staff.name}签到。", code="window_taken")
    if taken:
        return taken
    mine = WindowSession.objects.filter(staff=staff, ended_at__isnull=True).first()
    if mine:
        raise Conflict(
            f"您已在{mine.window.number}号窗口签到，请先签退。", code="already_signed_in"
        )
    try:
        with transaction.atomic():
            session = WindowSession.objects.create(
                window=window, staff=staff, started_at=clock.now()
            )
    except IntegrityError:
        raise Conflict(f"{window.number}号窗口刚被他人签到。", code="window_taken")
    audit.record(
        staff,
        "window.sign_in",
        session,
        after={"window": window.code, "state": "serving"},
        request=request,
    )
    return session


def _my_session(staff: Staff) -> WindowSession:
    session = (
        WindowSession.objects.select_for_update(of=("self",))
        .select_related("window", "window__outlet")
        .filter(staff=staff, ended_at__isnull=True)
        .first()
    )
    if session is None:
        raise Conflict("您当前没有签到任何窗口。", code="not_signed_in")
    authorize(staff, "staff.window.operate", outlet=session.window.outlet_id)
    return session


@transaction.atomic
def pause_window(staff: Staff, reason: str, *, request=None) -> WindowSession:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请选择或填写暂停原因（如：午餐接力）。")
    session = _my_session(staff)
    if session.state != WindowSession.SERVING:
        raise InvalidTransition("窗口", session.get_state_display(), "暂停")
    session.state, session.pause_reason = WindowSession.PAUSED, reason[:100]
    session.save(update_fields=["state", "pause_reason"])
    audit.record(
        staff,
        "window.pause",
        session,
        before={"state": "serving"},
        after={"state": "paused", "window": session.window.code},
        reason=reason,
        request=request,
    )
    return session


@transaction.atomic
def resume_window(staff: Staff, *, request=None) -> WindowSession:
    session = _my_session(staff)
    if session.state != WindowSession.PAUSED:
        raise InvalidTransition("窗口", session.get_state_display(), "恢复服务")
    session.state, session.pause_reason = WindowSession.SERVING, ""
    session.save(update_fields=["state", "pause_reason"])
    audit.record(
        staff,
        "window.resume",
        session,
        before={"state": "paused"},
        after={"state": "serving", "window": session.window.code},
        request=request,
    )
    return session


def offer_minutes() -> int:
    """How long a hand-over offer waits for the colleague's confirmation (YIMEN["HAND_OVER_OFFER_MINUTES"])."""
    return int(settings.YIMEN.get("HAND_OVER_OFFER_MINUTES", 10))


@transaction.atomic
def hand_over(
    staff: Staff, to_staff: Staff, *, reason: str = "午餐接力", request=None
) -> HandOverOffer:
    """Offer my window to a colleague (交接, step 1 of 2). Nothing changes at the window until the
    colleague confirms (`accept_hand_over`): I keep it, and may withdraw the offer, which lapses
    after `offer_minutes()`. A new offer replaces my pending one; the same offer twice (a double
    click) is answered with the pending one."""
    session = _my_session(staff)  # locks my session row: offers of one session are serialised
    window = session.window
    if to_staff.pk == staff.pk:
        raise ValidationFailed("不能交接给自己。")
    if not to_staff.active or not to_staff.user.is_active:
        raise ValidationFailed(f"{to_staff.name}的账号已停用，不能接岗。")
    if to_staff.role != CLERK:
        raise ValidationFailed(f"{to_staff.name}不是窗口人员，不能接岗。")
    authorize(to_staff, "staff.window.sign_in", outlet=window.outlet_id)
    busy = (
        WindowSession.objects.filter(staff=to_staff, ended_at__isnull=True)
        .select_related("window")
        .first()
    )
    if busy:
        raise Conflict(
            f"{to_staff.name}已在{busy.window.number}号窗口签到，请其先签退。",
            code="already_signed_in",
        )
    now = clock.now()
    reason = (reason or "").strip()[:100] or "交接"
    previous = (
        HandOverOffer.objects.select_for_update()
        .filter(session=session, state=HandOverOffer.PENDING)
        .first()
    )
    if previous is not None:
        if previous.to_staff_id == to_staff.pk and previous.expires_at > now:
            return previous
        _end_offer(
            previous,
            HandOverOffer.EXPIRED if previous.expires_at <= now else HandOverOffer.WITHDRAWN,
            staff,
            request,
            "另行发起交接",
        )
    offer = HandOverOffer.objects.create(
        session=session,
        window=window,
        from_staff=staff,
        to_staff=to_staff,
        reason=reason,
        created_at=now,
        expires_at=now + timedelta(minutes=offer_minutes()),
    )
    audit.record(
        staff,
        "window.hand_over_offer",
        offer,
        after={
            "window": window.code,
            "from": staff.user.username,
            "to": to_staff.user.username,
            "expires_at": offer.expires_at.isoformat(),
        },
        reason=reason,
        request=request,
    )
    return offer


def _end_offer(offer: HandOverOffer, state: str, actor, request, why: str = "") -> HandOverOffer:
    offer.state, offer.decided_at = state, clock.now()
    offer.save(update_fields=["state", "decided_at"])
    audit.record(
        actor,
        f"window.hand_over_{state}",
        offer,
        before={"state": HandOverOffer.PENDING},
        after={"state": state, "window": offer.window.code, "to": offer.to_staff.user.username},
        reason=why,
        request=request,
    )
    return offer


@transaction.atomic
def accept_hand_over(staff: Staff, offer=None, *, request=None) -> WindowSession:
    """The colleague confirms (step 2 of 2): in one transaction the offering clerk's session ends
    and mine starts, so nobody ever sees the window closed in between. A ticket the window holds
    (called or being served) stays at the window and is now mine to finish or transfer.
    `offer`: the offer (or its id); by default my newest pending one."""
    authorize(staff, "staff.window.sign_in", outlet=staff.outlet_id)
    if staff.role != CLERK and staff.role != ADMIN:
        raise Forbidden("只有窗口人员可以接岗。")
    found = HandOverOffer.objects.filter(to_staff=staff)
    found = (
        found.filter(pk=getattr(offer, "pk", offer))
        if offer is not None
        else found.filter(state=HandOverOffer.PENDING).order_by("-created_at")
    )
    row = found.values_list("pk", "session_id").first()
    if row is None:
        raise Conflict("没有待您确认的窗口交接。", code="no_offer")
    offer_id, session_id = row
    # lock order as everywhere: the session first, then its offer
    session = (
        WindowSession.objects.select_for_update(of=("self",))
        .select_related("window", "staff__user")
        .filter(pk=session_id)
        .first()
    )
    offer = (
        HandOverOffer.objects.select_for_update(of=("self",))
        .select_related("window", "from_staff__user")
        .get(pk=offer_id)
    )
    if offer.state != HandOverOffer.PENDING:
        raise Conflict(f"该交接{offer.get_state_display()}，不能确认。", code="offer_closed")
    now = clock.now()
    if offer.expires_at <= now:
        raise Conflict(
            f"该交接已于 {clock.local(offer.expires_at):%H:%M} 过期，请{offer.from_staff.name}重新发起。",
            code="offer_expired",
        )
    if session is None or session.ended_at is not None or session.staff_id != offer.from_staff_id:
        raise Conflict("对方已签退或窗口已交出，该交接已失效。", code="offer_void")
    authorize(staff, "staff.window.sign_in", outlet=offer.window.outlet_id)
    busy = (
        WindowSession.objects.select_for_update().filter(staff=staff, ended_at__isnull=True).first()
    )
    if busy:
        raise Conflict(
            f"您已在{busy.window.number}号窗口签到，请先签退再接岗。", code="already_signed_in"
        )
    window = session.window
    session.ended_at, session.ended_reason = now, f"交接给{staff.name}（{offer.reason}）"[:100]
    session.save(update_fields=["ended_at", "ended_reason"])
    new = WindowSession.objects.create(window=window, staff=staff, started_at=now)
    offer.state, offer.decided_at = HandOverOffer.ACCEPTED, now
    offer.save(update_fields=["state", "decided_at"])
    audit.record(
        staff,
        "window.hand_over",
        new,
        before={"staff": offer.from_staff.user.username, "state": session.state},
        after={
            "staff": staff.user.username,
            "state": "serving",
            "window": window.code,
            "offer": offer.pk,
        },
        reason=offer.reason,
        request=request,
    )
    return new


@transaction.atomic
def withdraw_hand_over(staff: Staff, *, request=None) -> HandOverOffer:
    """The offering clerk takes the offer back (before the colleague confirmed)."""
    session = _my_session(staff)
    offer = (
        HandOverOffer.objects.select_for_update()
        .filter(session=session, state=HandOverOffer.PENDING)
        .first()
    )
    if offer is None:
        raise Conflict("没有待确认的交接可撤回。", code="no_offer")
    return _end_offer(offer, HandOverOffer.WITHDRAWN, staff, request, "交岗人撤回")


@transaction.atomic
def decline_hand_over(staff: Staff, offer=None, *, request=None) -> HandOverOffer:
    """The colleague declines an offer made to them."""
    found = HandOverOffer.objects.filter(to_staff=staff, state=HandOverOffer.PENDING)
    found = (
        found.filter(pk=getattr(offer, "pk", offer))
        if offer is not None
        else found.order_by("-created_at")
    )
    offer = found.select_for_update(of=("self",)).select_related("window", "to_staff__user").first()
    if offer is None:
        raise Conflict("没有待您确认的窗口交接。", code="no_offer")
    return _end_offer(offer, HandOverOffer.DECLINED, staff, request, "接岗人拒绝")


def _void_offers(session: WindowSession) -> None:
    """A session that ends (sign-out, closed, handed over) takes its pending offers with it."""
    HandOverOffer.objects.filter(session=session, state=HandOverOffer.PENDING).update(
        state=HandOverOffer.VOID, decided_at=clock.now()
    )


@transaction.atomic
def sign_out_window(
    staff: Staff, *, reason: str = "签退", return_ticket: bool = False, request=None
) -> WindowSession:
    """Sign out of my window. With a ticket in hand (called or being served) it is refused, naming
    the ticket — finish or transfer it first — unless `return_ticket`: then the ticket goes back
    to its queue at its original place (queueing.services.return_to_queue) and I sign out."""
    from yimen.queueing import services as queue_services

    session = _my_session(staff)
    held = queue_services.held_by(session.window, lock=True)
    if held is not None and not return_ticket:
        doing = "正在办理" if held.status == "serving" else "已叫号"
        raise Conflict(
            f"{session.window.number}号窗口的 {held.number} 号{doing}，请先办结或转办；"
            f"也可选择“退回队列并签退”，该号按原顺序回到队列等候。",
            code="ticket_in_hand",
            ticket=held.number,
        )
    # the ticket in hand (if the clerk chose so) and tickets transferred to this window go back to their line
    returned = queue_services.return_to_queue(
        session.window, staff, f"{staff.name}签退，退回队列", request=request
    )
    _void_offers(session)
    session.ended_at, session.ended_reason = clock.now(), (reason or "签退")[:100]
    session.save(update_fields=["ended_at", "ended_reason"])
    audit.record(
        staff,
        "window.sign_out",
        session,
        before={"state": session.state},
        after={
            "state": "closed",
            "window": session.window.code,
            "returned": [t.number for t in returned],
        },
        reason=reason,
        request=request,
    )
    return session


@transaction.atomic
def close_window(actor, window, *, reason: str, request=None) -> WindowSession | None:
    """A chief or director closes somebody else's session (e.g. a clerk left without signing out).
    A ticket the window holds goes back to its queue at its original place."""
    staff = authorize(actor, "staff.window.close", outlet=window.outlet_id)
    if not (reason or "").strip():
        raise ValidationFailed("请填写关闭原因。")
    session = (
        WindowSession.objects.select_for_update()
        .filter(window=window, ended_at__isnull=True)
        .first()
    )
    if session is None:
        return None
    return _close_session(session, staff, f"由{staff.name}关闭：{reason}", reason, request)


def _close_session(
    session: WindowSession, actor, ended_reason: str, reason: str, request
) -> WindowSession:
    """End somebody's window session (audited as window.close). A ticket the window holds is
    returned to its queue at its original place (never left at a closed window); pending
    hand-over offers of the session lapse."""
    from yimen.queueing import services as queue_services

    returned = queue_services.return_to_queue(
        session.window, actor, f"{ended_reason[:60]}，退回队列", request=request
    )
    _void_offers(session)
    session.ended_at, session.ended_reason = clock.now(), ended_reason[:100]
    session.save(update_fields=["ended_at", "ended_reason"])
    audit.record(
        actor,
        "window.close",
        session,
        before={"staff": session.staff.user.username},
        after={
            "state": "closed",
            "window": session.window.code,
            "returned": [t.number for t in returned],
        },
        reason=reason,
        request=request,
    )
    return session
