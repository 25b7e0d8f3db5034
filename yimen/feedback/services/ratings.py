"""Ratings: what can be rated, submitting a rating, opening a rectification for a bad one."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from yimen.core import audit, clock
from yimen.core.errors import Conflict, ValidationFailed
from yimen.core.selectors import work_calendar
from yimen.exchange import hooks as exchange
from yimen.staff.authz import authorize, staff_of

from .. import conf, rules
from ..models import (
    Rating,
    Rectification,
    RectificationStep,
)


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
    callback_phone: str = "",
    actor=None,
    request=None,
) -> Rating:
    """Rate a visit (ticket) or a case. A 差评 opens a Rectification at once; it may leave a
    phone for the callback (kept protected, shown masked)."""
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
    callback_phone = rules.check_callback_contact(callback_phone, score)
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
                callback_phone=callback_phone,
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
            "callback_phone": bool(callback_phone),
        },
    )
    exchange.rating_submitted(rating)  # 好差评 push, after commit (docs/exchange.md)
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
    step = RectificationStep.objects.create(
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
    from yimen.outreach.notices import bad_rating

    bad_rating(rect)  # the outlet's chiefs and director: a notice on their bell
    exchange.rectification_step(rect, step)  # 好差评 push of the opened rectification
    return rect
