"""Closing with the person's feedback, and reopening."""

from __future__ import annotations

import secrets

from django.db import transaction

from yimen.core import clock
from yimen.core.errors import Conflict, NotFound, ValidationFailed
from yimen.core.selectors import work_calendar
from yimen.staff.authz import authorize, staff_of

from .. import conf, rules
from ..models import (
    EscalationLevel,
    Grievance,
)
from .common import _notify
from .handling import _locked, _transition


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
        _notify(
            g,
            f"【{g.outlet.name}】您的反映（{g.number}）已办结归档，感谢您的监督。",
            template="grievance.closed",
        )
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
    _notify(
        g,
        f"【{g.outlet.name}】您的反映（{g.number}）已重新办理，我们会尽快再次答复。",
        template="grievance.reopened",
    )
