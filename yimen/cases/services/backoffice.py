"""The back office: review steps (separation of duties), the decision, clock pauses."""

from __future__ import annotations

from django.db import transaction

from yimen.core import audit, clock
from yimen.core.errors import Conflict, ValidationFailed
from yimen.staff.authz import staff_of

from .. import rules
from ..models import (
    ApprovalStep,
    Case,
    ClockPause,
)
from .common import _authorize_department, _close_open_pause, _ensure, _lock, _move
from .results import _notify_ready


# --- Back office ---------------------------------------------------------------------------------
def steps_for(case: Case) -> tuple[str, ...]:
    names = rules.approval_steps(case.item.item_type, case.promised_limit)
    return names[: case.steps_total] if case.steps_total else names


def step_held_by(case: Case, staff) -> str | None:
    """The approval step (承办/审核/批准) `staff` already did on this case, if any."""
    if staff is None:
        return None
    return rules.duty_already_held(case.steps.values_list("name", "staff_id"), staff.pk)


def _check_separation(case: Case, actor, step_name: str):
    """承办, 审核 and 批准 of one case are done by three different people (rules.duty_already_held)."""
    held = step_held_by(case, staff_of(actor))
    if held is not None:
        raise Conflict(
            f"同一办件的承办、审核、批准须由不同人员办理：您已办理本件的「{held}」环节，"
            f"不能再办理「{step_name}」环节，请由本部门其他审批人员办理。",
            code="separation_of_duties",
            held=held,
            step=step_name,
        )


@transaction.atomic
def review_step(actor, case: Case, *, opinion: str = "", request=None) -> ApprovalStep:
    """承办 / 审核 (every step before the last, which is the decision)."""
    case = _lock(case)
    _authorize_department(actor, "case.review", case)
    _ensure(case, "review_step")
    names = steps_for(case)
    if case.steps_done >= case.steps_total - 1:
        raise Conflict("前置审批环节已完成，请作出决定。", code="steps_done")
    name = names[case.steps_done]
    _check_separation(case, actor, name)
    _move(
        case,
        "review_step",
        actor,
        reason=f"{name}：{opinion}",
        extra={"step": name},
        request=request,
    )
    step = ApprovalStep.objects.create(
        case=case,
        seq=case.steps_done + 1,
        name=name,
        staff=staff_of(actor),
        at=clock.now(),
        opinion=(opinion or "同意").strip(),
    )
    case.steps_done += 1
    case.save(update_fields=["steps_done", "status", "updated_at"])
    return step


@transaction.atomic
def decide(actor, case: Case, *, decision: str, reason: str = "", request=None) -> Case:
    """准予 / 不予许可 at the last step (批准, or 承办 for one-step items)."""
    case = _lock(case)
    _authorize_department(actor, "case.decide", case)
    _ensure(case, "decide")
    if decision not in rules.DECISION_LABELS:
        raise ValidationFailed("决定只能是准予许可或不予许可。")
    reason = (reason or "").strip()
    if decision == rules.DENY and len(reason) < 4:
        raise ValidationFailed("不予许可必须写明理由。")
    if case.status == rules.ACCEPTED and case.steps_done < case.steps_total - 1:
        pending = steps_for(case)[case.steps_done]
        raise Conflict(f"请先完成「{pending}」环节再作出决定。", code="steps_pending")
    _check_separation(case, actor, steps_for(case)[case.steps_total - 1])
    _move(
        case,
        "decide",
        actor,
        reason=f"{rules.DECISION_LABELS[decision]}：{reason}",
        extra={"decision": decision},
        request=request,
    )
    now = clock.now()
    names = steps_for(case)
    ApprovalStep.objects.create(
        case=case,
        seq=case.steps_total,
        name=names[case.steps_total - 1],
        staff=staff_of(actor),
        at=now,
        opinion=reason or rules.DECISION_LABELS[decision],
    )
    case.steps_done = case.steps_total
    case.decision, case.decision_reason = decision, reason
    case.decided_at, case.decided_by = now, staff_of(actor)
    case.save()
    if decision == rules.DENY:
        _notify_ready(case, "审批结果（不予许可决定）已出")
    return case


@transaction.atomic
def pause_clock(actor, case: Case, *, kind: str, reason: str, request=None) -> ClockPause:
    """特别程序 (听证/现场勘验/专家评审) or 补正: the time limit stops."""
    case = _lock(case)
    _authorize_department(actor, "case.review", case)
    _ensure(case, "pause")
    if kind not in rules.PAUSE_LABELS:
        raise ValidationFailed("暂停类型只能是听证、现场勘验、专家评审或补正。")
    if not (reason or "").strip():
        raise ValidationFailed("请写明暂停计时的原因。")
    _move(case, "pause", actor, reason=f"{rules.PAUSE_LABELS[kind]}：{reason}", request=request)
    case.save(update_fields=["status", "updated_at"])
    return ClockPause.objects.create(
        case=case,
        kind=kind,
        reason=reason.strip()[:300],
        started_at=clock.now(),
        started_by=staff_of(actor),
    )


@transaction.atomic
def resume_clock(actor, case: Case, *, note: str = "", request=None) -> ClockPause:
    case = _lock(case)
    _authorize_department(actor, "case.review", case)
    before_due = case.due_date
    _move(case, "resume", actor, reason=note or "特别程序/补正结束，恢复计时", request=request)
    pause = _close_open_pause(actor, case)
    case.save()
    audit.record(
        actor,
        "case.due_extended",
        case,
        before={"due": str(before_due)},
        after={"due": str(case.due_date), "paused_workdays": pause.workdays if pause else 0},
    )
    return pause
