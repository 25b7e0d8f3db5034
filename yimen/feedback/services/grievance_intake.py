"""Writes of 好差评 and 办不成事. Each public function is one transaction, checks permissions,
records an explicit transition (who / when / why) and an audit entry."""

from __future__ import annotations

import logging
import secrets
from datetime import date, datetime, timedelta

from django.core import signing
from django.db import IntegrityError, transaction

from yimen.core import audit, clock
from yimen.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from yimen.core.jobs import JobRun
from yimen.core.masking import mask_name, mask_phone
from yimen.core.selectors import work_calendar
from yimen.core.validators import (
    check_date_window,
    check_mobile,
    check_resident_id,
    normalize_id_number,
)
from yimen.staff.authz import authorize, staff_of

from .. import conf, rules
from ..models import (
    ConductFinding,
    EscalationLevel,
    Grievance,
    GrievanceEvent,
    GrievanceNotice,
    Rating,
    Rectification,
    RectificationStep,
)

log = logging.getLogger("yimen.feedback")

TOKEN_SALT = "yimen.feedback.rate"


# --- rating links (QR codes on tickets and notices) -------------------------------------------
def rating_token(*, ticket=None, case=None) -> str:
    """A signed, unguessable token naming one ticket or one case (no database write)."""
    if (ticket is None) == (case is None):
        raise ValueError("rating_token needs exactly one of ticket / case")
    payload = ["t", ticket.pk] if ticket is not None else ["c", case.pk]
    return signing.dumps(payload, salt=TOKEN_SALT, compress=True)


def authorize_rating_link(principal, obj) -> None:
    """Who may have the rating link (QR) of a ticket or a case made: for a ticket, only the clerk
    signed in at the window that served it (or a device of its outlet: the kiosk printing the
    holder's slip, the counter's tablet); for a case, staff of the case's own outlet (or its
    devices). The holder's own slip and the portal (by the slip's code or the receipt number and
    查询码) make theirs without a principal. Anything else: refused, so no link — and no 差评 —
    can be made for another outlet's window."""
    from yimen.queueing.models import Ticket

    device_outlet = getattr(principal, "device_outlet", None)
    if device_outlet is not None:
        if obj.outlet_id != device_outlet.pk:
            raise NotFound("评价对象不存在。")
        return
    staff = staff_of(principal)
    if isinstance(obj, Ticket):
        if obj.window_id is None:
            raise Forbidden("该排队号尚未在窗口办理，不能生成评价链接。", code="not_your_window")
        authorize(staff, "feedback.rating.link_ticket", obj, window=obj.window_id)
    else:
        authorize(staff, "feedback.rating.link_case", obj)


def resolve_rating_token(token: str):
    """(subject, object) for a token; NotFound for a forged or unknown one."""
    from yimen.cases.models import Case
    from yimen.queueing.models import Ticket

    try:
        kind, pk = signing.loads(token, salt=TOKEN_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        raise NotFound("评价链接无效，请扫描排队凭条或告知书上的二维码。", code="bad_token")
    if kind == "t":
        obj = Ticket.objects.select_related("outlet", "window", "served_by").filter(pk=pk).first()
        subject = Rating.TICKET
    else:
        obj = Case.objects.select_related("outlet", "window", "item").filter(pk=pk).first()
        subject = Rating.CASE
    if obj is None:
        raise NotFound("评价对象不存在。", code="bad_token")
    return subject, obj


# --- ratings -------------------------------------------------------------------------------------
def _snapshot_ticket(ticket):
    item = (
        ticket.handled_items.select_related("department").first()
        or ticket.items.select_related("department").first()
    )
    department = (
        item.department if item else (ticket.window.department if ticket.window_id else None)
    )
    return {
        "outlet": ticket.outlet,
        "window": ticket.window,
        "staff": ticket.served_by,
        "item": item,
        "department": department,
    }


def _snapshot_case(case):
    staff = getattr(case, "accepted_by", None) or getattr(case, "opened_by", None)
    return {
        "outlet": case.outlet,
        "window": case.window,
        "staff": staff,
        "item": case.item,
        "department": case.item.department,
    }


def rating_state(*, ticket=None, case=None) -> dict:
    """Whether the person may rate now, and which round: {"can_rate", "round", "message", "ratings"}."""
    ratings = list(
        Rating.objects.filter(ticket=ticket)
        if ticket is not None
        else Rating.objects.filter(case=case)
    )
    ratings.sort(key=lambda r: r.round)
    if ticket is not None and ticket.status != "done":
        return {
            "can_rate": False,
            "round": 1,
            "ratings": ratings,
            "message": "本次服务尚未办结，办结后即可评价。",
        }
    if case is not None and case.status == "draft":
        return {
            "can_rate": False,
            "round": 1,
            "ratings": ratings,
            "message": "办件尚未受理，暂不能评价。",
        }
    if not ratings:
        return {"can_rate": True, "round": 1, "ratings": ratings, "message": ""}
    first = ratings[0]
    if len(ratings) >= 2:
        return {
            "can_rate": False,
            "round": 2,
            "ratings": ratings,
            "message": "您已评价过两次（含整改后复评），感谢您的监督。",
        }
    rect = Rectification.objects.filter(rating=first).first()
    if rect is not None and not rect.is_open:
        return {
            "can_rate": True,
            "round": 2,
            "ratings": ratings,
            "message": "您的差评已整改完毕，欢迎对整改结果再评价一次。",
        }
    if rect is not None:
        return {
            "can_rate": False,
            "round": 1,
            "ratings": ratings,
            "message": "您的差评正在整改中，整改完成后可再评价一次。",
        }
    return {
        "can_rate": False,
        "round": 1,
        "ratings": ratings,
        "message": "本次服务已评价，一事一评，感谢您的评价。",
    }


@transaction.atomic
def submit_rating(
    *,
    ticket=None,
    case=None,
    score,
    reasons=None,
    comment: str = "",
    channel: str = "qr",
    actor=None,
    request=None,
) -> Rating:
    """Rate a visit (ticket) or a case. A 差评 opens a Rectification at once."""
    from yimen.cases.models import Case
    from yimen.queueing.models import Ticket

    if (ticket is None) == (case is None):
        raise ValidationFailed("请指定评价的排队号或办件。", code="subject_required")
    if channel not in dict(Rating._meta.get_field("channel").choices):
        raise ValidationFailed("评价渠道不正确。", code="channel_invalid")
    # Lock the subject row: concurrent submissions for one service event queue up here.
    if ticket is not None:
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("outlet", "window", "served_by")
            .get(pk=ticket.pk)
        )
    else:
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("outlet", "window", "item__department")
            .get(pk=case.pk)
        )
    score, reasons, comment = rules.check_rating(score, reasons, comment)
    state = rating_state(ticket=ticket, case=case)
    if not state["can_rate"]:
        raise Conflict(state["message"], code="already_rated")
    if actor is not None and channel in ("window", "callback", "api"):
        if staff_of(actor) is not None:
            authorize(actor, "feedback.rating.record", ticket or case)
    snap = _snapshot_ticket(ticket) if ticket is not None else _snapshot_case(case)
    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                subject=Rating.TICKET if ticket is not None else Rating.CASE,
                ticket=ticket,
                case=case,
                round=state["round"],
                score=score,
                reasons=reasons,
                comment=comment,
                channel=channel,
                created_at=clock.now(),
                **snap,
            )
    except IntegrityError:
        raise Conflict("本次服务已评价，一事一评。", code="already_rated")
    audit.record(
        staff_of(actor) or "citizen",
        "rating.submit",
        rating,
        request=request,
        after={
            "score": score,
            "round": rating.round,
            "channel": channel,
            "subject": f"{rating.subject}:{(ticket or case).pk}",
        },
    )
    if rating.is_bad:
        _open_rectification(rating, request=request)
    return rating


def _open_rectification(rating: Rating, request=None) -> Rectification:
    cal = work_calendar()
    opened = clock.now()
    deadlines = rules.rectification_deadlines(
        clock.local(opened).date(),
        cal,
        conf.rectify_workdays(rating.outlet),
        conf.callback_workdays(rating.outlet),
    )
    rect = Rectification.objects.create(
        rating=rating,
        outlet=rating.outlet,
        window=rating.window,
        department=rating.department,
        staff=rating.staff,
        state=rules.R_VERIFY,
        callback_due=deadlines.callback_due,
        rectify_due=deadlines.rectify_due,
        created_at=opened,
    )
    RectificationStep.objects.create(
        rectification=rect,
        action="open",
        to_state=rules.R_VERIFY,
        note=f"差评自动生成整改任务：{rating.get_score_display()}",
        at=opened,
    )
    audit.record(
        "system",
        "rectification.open",
        rect,
        request=request,
        after={
            "state": rect.state,
            "callback_due": str(rect.callback_due),
            "rectify_due": str(rect.rectify_due),
        },
    )
    return rect


# --- rectification transitions --------------------------------------------------------------
_RECT_PERMISSION = {
    "callback": "feedback.rectification.handle",
    "appeal": "feedback.rectification.appeal",
    "approve_appeal": "feedback.rectification.decide_appeal",
    "reject_appeal": "feedback.rectification.decide_appeal",
    "complete": "feedback.rectification.handle",
    "unfixable": "feedback.rectification.handle",
}


@transaction.atomic
def act_on_rectification(
    rect: Rectification,
    actor,
    action: str,
    note: str = "",
    *,
    reported_back: bool = False,
    request=None,
) -> Rectification:
    """One transition of a rectification (see rules.RECTIFICATION_TRANSITIONS)."""
    if action not in _RECT_PERMISSION:
        raise ValidationFailed(f"未知的整改操作：{action}")
    rect = (
        Rectification.objects.select_for_update(of=("self",))
        .select_related("outlet", "rating")
        .get(pk=rect.pk)
    )
    staff = authorize(actor, _RECT_PERMISSION[action], rect)
    note = (note or "").strip()
    callback_note = note if action == "callback" else rect.callback_note
    to = rules.rectification_next(rect.state, action, callback_note=callback_note, note=note)
    if action == "complete" and not reported_back:
        raise ValidationFailed(
            "请先将整改结果反馈给群众，再关闭整改任务。", code="report_back_required"
        )
    now = clock.now()
    before = rect.state
    if action == "callback":
        rect.callback_note, rect.callback_at, rect.callback_by = note, now, staff
    elif action == "appeal":
        rect.appeal_reason = note
    elif action in ("approve_appeal", "reject_appeal"):
        rect.appeal_decision, rect.appeal_decided_by = note, staff
    elif action == "complete":
        rect.rectification_note, rect.reported_back = note, True
    elif action == "unfixable":
        rect.unfixable_reason = note
    rect.state = to
    if to in rules.RECTIFICATION_CLOSED:
        rect.closed_at, rect.closed_by = now, staff
    rect.save()
    RectificationStep.objects.create(
        rectification=rect,
        action=action,
        from_state=before,
        to_state=to,
        note=note,
        by=staff,
        at=now,
    )
    audit.record(
        staff,
        f"rectification.{action}",
        rect,
        before={"state": before},
        after={"state": to},
        reason=note,
        request=request,
    )
    if to in rules.RECTIFICATION_CLOSED:
        _invite_rerating(rect)
    return rect


def _invite_rerating(rect: Rectification) -> None:
    """Tell the person the outcome and invite the one re-rating (when a phone is known)."""
    rating = rect.rating
    subject = rating.ticket if rating.ticket_id else rating.case
    phone = getattr(subject, "phone", "") or getattr(subject, "applicant_phone", "")
    if not phone or rating.round >= 2:
        return
    from ..selectors import rating_url

    url = rating_url(ticket=rating.ticket) if rating.ticket_id else rating_url(case=rating.case)
    text = (
        f"【{rect.outlet.name}】您反映的问题已处理：{rules.RECTIFICATION_LABELS[rect.state]}。"
        f"欢迎对整改结果再评价一次：{url}"
    )
    _send_sms(phone, text, template="feedback.rectified", ref=f"R{rect.pk}")


def _send_sms(phone: str, text: str, *, template: str, ref: str):
    try:
        from yimen.core import notify
    except ImportError:  # notification gateway not installed: the record in our tables stays
        return None
    return notify.send(phone, text, template=template, ref=ref)


# --- grievances: intake ---------------------------------------------------------------------------
def _actor_label(staff, fallback="system"):
    return staff.name if staff is not None else fallback


def _event(
    g: Grievance, action: str, from_status: str, staff=None, note: str = "", label: str = ""
):
    return GrievanceEvent.objects.create(
        grievance=g,
        action=action,
        from_status=from_status,
        to_status=g.status,
        level=g.level,
        note=note,
        by=staff,
        at=clock.now(),
        actor_label=label or _actor_label(staff),
    )


def _notify(g: Grievance, text: str, channel: str = "sms") -> GrievanceNotice:
    receipt = (
        _send_sms(g.phone, text, template=f"grievance.{g.status}", ref=g.number)
        if channel == "sms"
        else None
    )
    return GrievanceNotice.objects.create(
        grievance=g,
        at=clock.now(),
        channel=channel,
        text=text,
        delivered=bool(receipt and receipt.ok) or channel != "sms",
        reference=(getattr(receipt, "message_id", "") or getattr(receipt, "error", ""))[:100]
        if receipt
        else "",
    )


def _next_number(outlet, day: date) -> tuple[int, str]:
    last = (
        Grievance.objects.filter(outlet=outlet, received_date=day)
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    ) or 0
    seq = last + 1
    return seq, f"BB-{outlet.code}-{day:%Y%m%d}-{seq:03d}"


def submit_grievance(
    *,
    outlet,
    category: str,
    description: str,
    phone: str = "",
    applicant_name: str = "",
    id_number: str = "",
    item=None,
    window=None,
    staff=None,
    ticket=None,
    case=None,
    occurred_at: datetime | None = None,
    missing_materials=None,
    channel: str = "window",
    actor=None,
    request=None,
) -> Grievance:
    """Intake of a 办不成事 reflection (window 102 or the portal). Returns the grievance, whose
    number and public token go on the acknowledgement slip."""
    for attempt in range(5):
        try:
            return _submit_grievance(
                outlet=outlet,
                category=category,
                description=description,
                phone=phone,
                applicant_name=applicant_name,
                id_number=id_number,
                item=item,
                window=window,
                staff=staff,
                ticket=ticket,
                case=case,
                occurred_at=occurred_at,
                missing_materials=missing_materials,
                channel=channel,
                actor=actor,
                request=request,
            )
        except IntegrityError:
            if attempt == 4:
                raise Conflict("受理编号冲突，请重试。", code="number_conflict")
    raise AssertionError("unreachable")


def _typed_time(value, label: str, code: str, *, slack: timedelta = timedelta(0)):
    """A time a person typed: within the sane window (not before 2000, not later than now + `slack`),
    made aware (naive = Shanghai time). None stays None."""
    if value is None:
        return None
    check = check_date_window(value, latest=clock.now() + slack, label=label)
    if not check.ok:
        raise ValidationFailed(check.message, code=code)
    return clock.local(value) if value.tzinfo is None else value


@transaction.atomic
def _submit_grievance(
    *,
    outlet,
    category,
    description,
    phone,
    applicant_name,
    id_number,
    item,
    window,
    staff,
    ticket,
    case,
    occurred_at,
    missing_materials,
    channel,
    actor,
    request,
):
    intake_staff = None
    if channel == "window" or staff_of(actor) is not None:
        intake_staff = authorize(actor, "feedback.grievance.intake", outlet)
    if channel not in dict(Grievance._meta.get_field("channel").choices):
        raise ValidationFailed("反映渠道不正确。", code="channel_invalid")
    if category not in rules.CATEGORY_LABELS:
        raise ValidationFailed(
            "请选择反映类别：办不了 / 很难办 / 不给办 / 其他。", code="category_required"
        )
    description = (description or "").strip()
    if not description:
        raise ValidationFailed("请填写反映内容（发生了什么）。", code="description_required")
    if len(description) > 2000:
        raise ValidationFailed("反映内容不能超过 2000 字。", code="description_too_long")
    phone = (phone or "").strip()
    if (
        not phone and case is None
    ):  # a case handed over from intake carries its own contact (if any)
        raise ValidationFailed(
            "请留下联系电话，便于告知处理进展（可不留姓名）。", code="phone_required"
        )
    if phone and not check_mobile(phone):
        raise ValidationFailed("联系电话应为 11 位手机号码。", code="phone_invalid")
    applicant_name = (applicant_name or "").strip()[:50]
    id_number = normalize_id_number(id_number)
    if id_number:
        check = check_resident_id(id_number, clock.today())
        if not check.ok:
            raise ValidationFailed(check.message, code="id_number_invalid")
    occurred_at = _typed_time(occurred_at, "原办事时间", "occurred_at_invalid")
    materials = [str(m).strip() for m in (missing_materials or []) if str(m).strip()]
    if ticket is not None:
        if ticket.outlet_id != outlet.pk:
            raise ValidationFailed("所涉排队号不属于本网点。", code="ticket_outlet_mismatch")
        window = window or ticket.window
        staff = staff or ticket.served_by
        occurred_at = occurred_at or ticket.called_at or ticket.issued_at
        item = item or ticket.handled_items.first() or ticket.items.first()
    if case is not None:
        window = window or case.window
        staff = staff or getattr(case, "accepted_by", None) or getattr(case, "opened_by", None)
        item = item or case.item
        occurred_at = occurred_at or case.opened_at
    if window is not None and window.outlet_id != outlet.pk:
        raise ValidationFailed("所涉窗口不属于本网点。", code="window_outlet_mismatch")
    if item is not None and materials:
        known = set(item.materials.values_list("name", flat=True))
        unknown = [m for m in materials if m not in known]
        if unknown:
            raise ValidationFailed(
                f"「{item.name}」的材料目录中没有：{'、'.join(unknown)}。", code="material_unknown"
            )
    now = clock.now()
    today = clock.local(now).date()
    cal = work_calendar()
    seq, number = _next_number(outlet, today)
    g = Grievance.objects.create(
        number=number,
        seq=seq,
        received_date=today,
        public_token=secrets.token_urlsafe(16),
        channel=channel,
        category=category,
        status=rules.G_RECEIVED,
        outlet=outlet,
        item=item,
        window=window,
        staff=staff,
        ticket=ticket,
        case=case,
        occurred_at=occurred_at,
        applicant_name=applicant_name,
        id_number=id_number,
        phone=phone,
        description=description,
        missing_materials=materials,
        received_at=now,
        received_by=intake_staff,
        first_response_due=rules.first_response_due(
            today, cal, conf.first_response_workdays(outlet)
        ),
    )
    _event(
        g,
        "intake",
        "",
        intake_staff,
        note=rules.CATEGORY_LABELS[category],
        label="" if intake_staff else "群众（一网通办）",
    )
    audit.record(
        intake_staff or "citizen",
        "grievance.intake",
        g,
        request=request,
        after={
            "number": g.number,
            "category": category,
            "channel": channel,
            "name": mask_name(applicant_name),
            "phone": mask_phone(phone),
        },
    )
    _notify(
        g,
        f"【{outlet.name}】您的“办不成事”反映已受理，编号 {g.number}，"
        f"我们将于 {g.first_response_due:%m月%d日} 前答复。",
        channel="slip",
    )
    _notify(
        g,
        f"【{outlet.name}】您的“办不成事”反映已受理，编号 {g.number}，"
        f"我们将于 {g.first_response_due:%m月%d日} 前答复。",
    )
    if category == rules.HARD:
        _enter_level(g, 1, intake_staff, reason="很难办：启动逐级协调", first=True)
        g.first_response_at = now
        g.save(update_fields=["first_response_at"])
    return g


# --- grievances: the ladder ---------------------------------------------------------------------
def _enter_level(
    g: Grievance, level: int, staff, *, reason: str, auto: bool = False, first: bool = False
):
    ladder = conf.ladder_for(g.outlet)
    rung = ladder.rung(level)
    now = clock.now()
    due = rules.level_due(clock.local(now).date(), rung, work_calendar())
    before = g.status
    if first:
        g.status = rules.grievance_next(g.status, g.category, "start_ladder")
    g.level, g.level_due = level, due
    g.save(update_fields=["status", "level", "level_due"])
    EscalationLevel.objects.create(
        grievance=g,
        round=g.reopen_count,
        level=level,
        name=rung.name,
        owner_role=rung.owner_role,
        started_at=now,
        due=due,
    )
    _event(
        g,
        "start_ladder" if first else "escalate",
        before,
        staff,
        note=reason,
        label="升级督办定时任务" if auto else "",
    )
    audit.record(
        staff or "system",
        "grievance.escalate",
        g,
        before={"level": level - 1 if not first else 0},
        after={"level": level, "due": str(due), "auto": auto},
        reason=reason,
    )
    _notify(
        g,
        f"【{g.outlet.name}】您的反映（{g.number}）已提交“{rung.name}”研究协调，"
        f"将于 {due:%m月%d日} 前作出答复或继续协调。",
    )


def _current_level(g: Grievance) -> EscalationLevel:
    rec = (
        EscalationLevel.objects.filter(grievance=g, round=g.reopen_count, level=g.level)
        .order_by("-id")
        .first()
    )
    if rec is None:
        raise Conflict("本反映当前没有协调层级。", code="no_level")
    return rec


@transaction.atomic
def decide_level(
    g: Grievance,
    actor,
    *,
    decision: str,
    outcome: str,
    meeting_at: datetime | None = None,
    answer: str = "",
    target_level: int | None = None,
    skip_reason: str = "",
    request=None,
) -> Grievance:
    """The owner of the current rung records its meeting/decision: resolve (with a written answer
    to the person) or escalate (one rung up; more only with the reason recorded at this level)."""
    g = Grievance.objects.select_for_update(of=("self",)).select_related("outlet").get(pk=g.pk)
    ladder = conf.ladder_for(g.outlet)
    if g.category != rules.HARD or g.status != rules.G_HANDLING or g.level == 0:
        raise Conflict(
            f"本反映当前为「{g.get_status_display()}」，没有待研究的协调层级。", code="no_level"
        )
    rung = ladder.rung(g.level)
    staff = authorize(actor, f"feedback.level.{rung.owner_role}", g)
    decision = (decision or "").strip()
    if not decision:
        raise ValidationFailed(f"请记录“{rung.name}”的研究意见或决定。", code="decision_required")
    # a decision may be entered ahead of a meeting held later the same day: a day's slack
    meeting_at = _typed_time(
        meeting_at, "会议/研究时间", "meeting_at_invalid", slack=timedelta(days=1)
    )
    rec = _current_level(g)
    now = clock.now()
    rec.meeting_at = meeting_at or now
    rec.decision, rec.decided_by, rec.decided_at, rec.ended_at = decision, staff, now, now
    if outcome == "resolve":
        answer = (answer or "").strip()
        if not answer:
            raise ValidationFailed(
                "请填写给群众的书面答复（解决办法，或不能办理的理由）。", code="answer_required"
            )
        rec.outcome = EscalationLevel.RESOLVED
        rec.save()
        before = g.status
        g.status = rules.grievance_next(g.status, g.category, "resolve_level")
        g.answer = answer
        g.first_response_at = g.first_response_at or now
        g.save(update_fields=["status", "answer", "first_response_at"])
        _event(g, "resolve_level", before, staff, note=decision)
        audit.record(
            staff,
            "grievance.resolve_level",
            g,
            before={"status": before},
            after={"status": g.status, "level": g.level},
            reason=decision,
            request=request,
        )
        _notify(
            g, f"【{g.outlet.name}】您的反映（{g.number}）经“{rung.name}”研究，答复如下：{answer}"
        )
        return g
    if outcome != "escalate":
        raise ValidationFailed("请选择本级结果：作出答复 或 升级。", code="outcome_required")
    target = target_level if target_level is not None else g.level + 1
    rules.check_escalation(g.level, int(target), ladder, skip_reason)
    rules.grievance_next(g.status, g.category, "escalate")
    rec.outcome, rec.skip_reason = EscalationLevel.ESCALATED, (skip_reason or "").strip()
    rec.save()
    g.first_response_at = g.first_response_at or now
    g.save(update_fields=["first_response_at"])
    audit.record(
        staff,
        "grievance.decide_level",
        g,
        after={"level": g.level, "outcome": "escalate", "target": int(target)},
        reason=decision,
        request=request,
    )
    _enter_level(
        g,
        int(target),
        staff,
        reason=f"{rung.name}研究后升级：{decision}"
        + (f"（越级理由：{skip_reason}）" if int(target) > rec.level + 1 else ""),
    )
    return g


def escalate_overdue(today: date | None = None, run: JobRun | None = None) -> JobRun:
    """The scheduled job (`yimen feedback escalate`): every 很难办 grievance whose rung is past its
    time box climbs exactly one rung. Safe to run concurrently: the move is a conditional UPDATE
    on (level, level_due), so of two jobs racing for one grievance only one changes the row; the
    other sees 0 rows and skips. The unique (grievance, round, level) constraint backs it up.
    Each grievance in its own transaction: one that fails (a bad row, a broken ladder setting) is
    logged and skipped (`run.failed`), the others climb. `run.done`: the numbers escalated."""
    today = today or clock.today()
    run = run or JobRun("feedback.escalate")
    candidates = list(
        Grievance.objects.filter(
            category=rules.HARD, status=rules.G_HANDLING, level__gte=1, level_due__lt=today
        )
        .order_by("pk")
        .values_list("pk", "number", "level", "level_due", "outlet_id")
    )
    ladders = {}
    from yimen.outlets.models import Outlet

    def one(candidate):
        pk, _number, level, due, outlet_id = candidate
        if outlet_id not in ladders:
            ladders[outlet_id] = conf.ladder_for(Outlet.objects.get(pk=outlet_id))
        ladder = ladders[outlet_id]
        if not rules.needs_auto_escalation(level, due, today, ladder):
            return None
        try:
            with transaction.atomic():
                claimed = Grievance.objects.filter(
                    pk=pk, status=rules.G_HANDLING, level=level, level_due=due
                ).update(level=level + 1)
                if claimed != 1:
                    return None  # another run (or a person) moved it first
                g = Grievance.objects.select_related("outlet").get(pk=pk)
                g.level = level  # _enter_level writes the new level and its due date
                rec = _current_level(g)
                now = clock.now()
                rec.outcome, rec.ended_at = EscalationLevel.AUTO_ESCALATED, now
                rec.decision = (
                    rec.decision or f"超过本级期限（{due:%Y-%m-%d}）未作出决定，自动升级。"
                )
                rec.save()
                _enter_level(
                    g,
                    level + 1,
                    None,
                    auto=True,
                    reason=f"{ladder.rung(level).name}超期未决（期限 {due:%Y-%m-%d}），自动升级",
                )
                return g.number
        except IntegrityError:
            log.info("grievance %s already escalated by a concurrent run", pk)
            return None

    run.done.extend(run.each(candidates, one, label=lambda c: c[1]))
    return run


# --- grievances: 办不了 / 不给办 / 其他 -------------------------------------------------------------
def _transition(g: Grievance, action: str, staff, note: str, request=None, **changes) -> Grievance:
    before = g.status
    g.status = rules.grievance_next(g.status, g.category, action)
    for k, v in changes.items():
        setattr(g, k, v)
    g.save()
    _event(g, action, before, staff, note=note)
    audit.record(
        staff,
        f"grievance.{action}",
        g,
        before={"status": before},
        after={"status": g.status},
        reason=note[:500],
        request=request,
    )
    return g


def _locked(g: Grievance) -> Grievance:
    return (
        Grievance.objects.select_for_update(of=("self",))
        .select_related("outlet", "item", "staff", "ticket")
        .get(pk=g.pk)
    )


EXPLAIN_REASONS = [
    ("not_eligible", "不符合申请条件"),
    ("not_in_scope", "不属于本中心/本部门职权"),
    ("policy_forbids", "法律法规、政策明确不允许"),
    ("already_done", "已办理或重复申请"),
    ("other", "其他"),
]
EXPLAIN_REASON_LABELS = dict(EXPLAIN_REASONS)


@transaction.atomic
def explain_cannot(
    g: Grievance,
    actor,
    *,
    reason_code: str,
    legal_basis: str,
    explanation: str,
    explained_in_person: bool,
    alternatives: str = "",
    request=None,
) -> Grievance:
    """办不了: the face-to-face explanation with its legal basis (S07)."""
    g = _locked(g)
    staff = authorize(actor, "feedback.grievance.explain", g)
    if reason_code not in EXPLAIN_REASON_LABELS:
        raise ValidationFailed("请选择不能办理的原因。", code="reason_required")
    if not (legal_basis or "").strip():
        raise ValidationFailed(
            "请填写政策依据（法规、文件名称及条款）。", code="legal_basis_required"
        )
    if not (explanation or "").strip():
        raise ValidationFailed("请填写向群众说明的内容。", code="explanation_required")
    if not explained_in_person:
        raise ValidationFailed(
            "办不了的事项必须当面向群众说明清楚，请当面说明后勾选确认。", code="in_person_required"
        )
    now = clock.now()
    _transition(
        g,
        "explain",
        staff,
        explanation.strip(),
        request=request,
        reason_code=reason_code,
        legal_basis=legal_basis.strip(),
        explanation=explanation.strip(),
        alternatives=(alternatives or "").strip(),
        explained_in_person=True,
        answer=explanation.strip(),
        first_response_at=g.first_response_at or now,
    )
    _notify(
        g,
        f"【{g.outlet.name}】已当面向您说明：{EXPLAIN_REASON_LABELS[reason_code]}。依据：{legal_basis.strip()}",
        channel="in_person",
    )
    return g


@transaction.atomic
def start_investigation(g: Grievance, actor, note: str = "", request=None) -> Grievance:
    """不给办 / 其他: the supervisor starts checking the original interaction (核查)."""
    g = _locked(g)
    staff = authorize(actor, "feedback.grievance.investigate", g)
    _transition(
        g,
        "investigate",
        staff,
        (note or "").strip() or "启动核查",
        request=request,
        first_response_at=g.first_response_at or clock.now(),
    )
    _notify(
        g,
        f"【{g.outlet.name}】您的反映（{g.number}）已进入核查，督查人员：{mask_name(staff.name)}。",
    )
    return g


@transaction.atomic
def record_finding(
    g: Grievance, actor, *, upheld: bool, note: str, conduct: str = "", request=None
) -> Grievance:
    """The investigation's outcome; an upheld 不给办 may put a finding (不作为 …) on the clerk's record."""
    g = _locked(g)
    staff = authorize(actor, "feedback.grievance.investigate", g)
    note = (note or "").strip()
    if not note:
        raise ValidationFailed("请填写核查结论（事实与依据）。", code="finding_required")
    if conduct:
        if conduct not in dict(ConductFinding._meta.get_field("kind").choices):
            raise ValidationFailed("履职问题认定类别不正确。", code="conduct_invalid")
        if not upheld:
            raise ValidationFailed(
                "反映不属实时不能认定工作人员履职问题。", code="conduct_needs_upheld"
            )
        if g.staff_id is None:
            raise ValidationFailed(
                "本反映未关联具体工作人员，无法记录履职问题。", code="staff_unknown"
            )
    _transition(
        g, "finding", staff, note, request=request, finding_upheld=bool(upheld), finding_note=note
    )
    if conduct:
        finding = ConductFinding.objects.create(
            staff=g.staff,
            grievance=g,
            kind=conduct,
            note=note,
            item=g.item,
            occurred_at=g.occurred_at,
            recorded_by=staff,
            recorded_at=clock.now(),
        )
        audit.record(
            staff,
            "staff.conduct_finding",
            finding,
            after={"staff": g.staff_id, "kind": conduct},
            reason=note[:500],
            request=request,
        )
    return g


@transaction.atomic
def handle_matter(g: Grievance, actor, *, note: str, case=None, request=None) -> Grievance:
    """The matter itself was handled (e.g. the application accepted under 容缺 the same day)."""
    g = _locked(g)
    staff = authorize(actor, "feedback.grievance.handle", g)
    note = (note or "").strip()
    if not note:
        raise ValidationFailed("请填写处理结果（事项如何办理）。", code="handling_required")
    changes = {"handling_note": note, "answer": note}
    if case is not None:
        if case.outlet_id != g.outlet_id:
            raise ValidationFailed("关联的办件不属于本网点。", code="case_outlet_mismatch")
        changes["case"] = case
    _transition(g, "handle", staff, note, request=request, **changes)
    _notify(g, f"【{g.outlet.name}】您的反映（{g.number}）已处理：{note}")
    return g


# --- closing with the person's feedback, reopening -----------------------------------------------
@transaction.atomic
def record_person_feedback(
    g: Grievance,
    actor=None,
    *,
    satisfied: bool,
    note: str = "",
    channel: str = "in_person",
    token: str = "",
    request=None,
) -> Grievance:
    """The person's feedback on the answer: satisfied → 归档; not satisfied → 重新办理.
    Staff record it (in person / by phone), or the person gives it with the slip's token."""
    g = _locked(g)
    if actor is not None and staff_of(actor) is not None:
        staff = authorize(actor, "feedback.grievance.close", g)
    else:
        if not token or not secrets.compare_digest(token, g.public_token):
            raise NotFound("查询码不正确。", code="bad_token")
        staff = None
    note = (note or "").strip()
    if not satisfied and not note:
        raise ValidationFailed(
            "请说明不满意的原因，我们将重新办理。", code="feedback_note_required"
        )
    if g.status != rules.G_FEEDBACK:
        raise Conflict(
            f"本反映当前为「{g.get_status_display()}」，尚未答复，暂不能反馈。", code="not_answered"
        )
    now = clock.now()
    g.person_satisfied, g.person_feedback, g.person_feedback_at = bool(satisfied), note, now
    channel_label = {"in_person": "当面", "phone": "电话", "portal": "网上"}.get(channel, channel)
    if satisfied:
        _transition(
            g,
            "close",
            staff,
            f"群众{channel_label}反馈：满意。{note}".strip(),
            request=request,
            closed_at=now,
        )
        _notify(g, f"【{g.outlet.name}】您的反映（{g.number}）已办结归档，感谢您的监督。")
    else:
        _transition(
            g,
            "reopen",
            staff,
            f"群众{channel_label}反馈：不满意。{note}",
            request=request,
            reopen_count=g.reopen_count + 1,
            closed_at=None,
        )
        _restart_after_reopen(g, staff)
    return g


@transaction.atomic
def reopen(g: Grievance, actor, *, reason: str, request=None) -> Grievance:
    g = _locked(g)
    staff = authorize(actor, "feedback.grievance.reopen", g)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写重新办理的理由。", code="reason_required")
    _transition(
        g, "reopen", staff, reason, request=request, reopen_count=g.reopen_count + 1, closed_at=None
    )
    _restart_after_reopen(g, staff)
    return g


def _restart_after_reopen(g: Grievance, staff):
    if g.category == rules.HARD:
        # The rung that answered takes it up again (a new round of records); it may escalate.
        level = max(g.level, 1)
        ladder = conf.ladder_for(g.outlet)
        rung = ladder.rung(level)
        now = clock.now()
        due = rules.level_due(clock.local(now).date(), rung, work_calendar())
        g.level, g.level_due = level, due
        g.save(update_fields=["level", "level_due"])
        EscalationLevel.objects.create(
            grievance=g,
            round=g.reopen_count,
            level=level,
            name=rung.name,
            owner_role=rung.owner_role,
            started_at=now,
            due=due,
        )
    _notify(g, f"【{g.outlet.name}】您的反映（{g.number}）已重新办理，我们会尽快再次答复。")
