"""Rectification transitions and the invitation to rate again."""

from __future__ import annotations

from django.db import transaction

from yimen.core import audit, clock
from yimen.core.errors import ValidationFailed
from yimen.exchange import hooks as exchange
from yimen.notify.services import enqueue
from yimen.staff.authz import authorize

from .. import rules
from ..models import (
    Rectification,
    RectificationStep,
)

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
    step = RectificationStep.objects.create(
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
    exchange.rectification_step(rect, step)  # 好差评 (and 12345) push, after commit
    if to in rules.RECTIFICATION_CLOSED:
        _invite_rerating(rect)
    return rect


def _invite_rerating(rect: Rectification) -> None:
    """Tell the person the outcome and invite the one re-rating (when a phone is known)."""
    rating = rect.rating
    subject = rating.ticket if rating.ticket_id else rating.case
    phone = (
        rating.callback_phone
        or getattr(subject, "phone", "")
        or getattr(subject, "applicant_phone", "")
    )
    if not phone or rating.round >= 2:
        return
    from ..selectors import rating_url

    url = rating_url(ticket=rating.ticket) if rating.ticket_id else rating_url(case=rating.case)
    enqueue(
        to=phone,
        template="feedback.rectified",
        params={
            "outlet": rect.outlet.name,
            "state": rules.RECTIFICATION_LABELS[rect.state],
            "url": url,
        },
        dedupe_key=f"feedback.rectified:{rect.pk}:{rating.round}",
    )
