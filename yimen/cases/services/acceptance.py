"""The decision at the window: accept (with 容缺), finish at once, reject, escalate a hard case, withdraw."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction

from yimen.core import audit, clock
from yimen.core.errors import Conflict, InvalidTransition, ValidationFailed
from yimen.core.selectors import work_calendar
from yimen.core.validators import (
    check_date_window,
)
from yimen.staff.authz import staff_of

from .. import rules
from ..models import (
    ApprovalStep,
    Case,
    Notice,
)
from ..signals import hard_case_recorded
from .common import (
    TOLERANCE_HORIZON_DAYS,
    _authorize_either,
    _authorize_outlet,
    _close_open_pause,
    _ensure,
    _issue_notice,
    _local_date,
    _lock,
    _material_rows,
    _move,
    _setting,
    log,
)
from .intake import assessment
from .results import _create_result, _deliver


def default_tolerance_deadline(case: Case, accepted_on: date) -> date:
    """容缺 deadline: `TOLERANCE_WORKDAYS` (default 5) working days, capped at the promised limit
    (for 即办件, at the legal limit)."""
    cal = work_calendar()
    days = int(_setting("TOLERANCE_WORKDAYS", 5))
    cap = case.item.promised_limit or case.item.legal_limit
    if cap:
        days = min(days, cap)
    return cal.add_workdays(accepted_on, days).date


@transaction.atomic
def accept(
    actor,
    case: Case,
    *,
    tolerance: bool = False,
    tolerance_deadline: date | None = None,
    promise: str = "",
    finish_immediate: bool = True,
    request=None,
) -> Case:
    """受理 (materials complete) or 容缺受理 (only tolerance-eligible materials missing, promise
    signed). A 即办件 is decided, its result issued and handed over at the same sitting."""
    case = _lock(case)
    _authorize_outlet(actor, "case.intake", case)
    if case.status != rules.DRAFT:
        raise InvalidTransition("办件", case.status_label, "受理")
    return _accept_checked(
        actor,
        case,
        tolerance=tolerance,
        tolerance_deadline=tolerance_deadline,
        promise=promise,
        finish_immediate=finish_immediate,
        request=request,
    )


def _accept_checked(
    actor,
    case: Case,
    *,
    action: str = "accept",
    tolerance: bool = False,
    tolerance_deadline: date | None = None,
    promise: str = "",
    finish_immediate: bool = True,
    request=None,
) -> Case:
    """The acceptance itself on a locked, authorised case (the window's `accept` and the online
    `precheck_accept` share it: same checks, same time limits, same notices)."""
    a = assessment(case)
    if a.pending:
        raise ValidationFailed("还有材料未核验：" + "、".join(m.name for m in a.pending) + "。")
    if a.blocking:
        names = "、".join(m.name for m in a.blocking)
        raise Conflict(
            f"「{names}」为必需材料且不可容缺，不能受理或容缺受理。请出具一次性告知书；"
            "如申请人确实无法提供，可登记为「很难办」并升级协调。",
            code="not_tolerable",
            blocking=[m.key for m in a.blocking],
            offer="escalate_hard",
        )
    now = clock.now()
    today = _local_date(now)
    cal = work_calendar()
    item = case.item
    if a.tolerable:
        if not tolerance:
            raise Conflict(
                "有可容缺材料未提交："
                + "、".join(m.name for m in a.tolerable)
                + "。请选择容缺受理（申请人签署承诺）或出具一次性告知书。",
                code="needs_tolerance",
            )
        if not promise.strip():
            raise ValidationFailed("容缺受理须由申请人签署承诺（请填写承诺内容）。")
        deadline = tolerance_deadline or default_tolerance_deadline(case, today)
        cap = item.promised_limit or item.legal_limit
        window = check_date_window(
            deadline, latest=today + timedelta(days=TOLERANCE_HORIZON_DAYS), label="容缺补齐期限"
        )
        if not window.ok:  # a typed date far outside any calendar (items without a time limit)
            raise ValidationFailed(window.message, code="date_out_of_range")
        if not rules.tolerance_deadline_ok(cal, today, deadline, cap):
            if cap:
                limit = cal.add_workdays(today, cap).date
                raise ValidationFailed(
                    f"容缺补齐期限不得早于今天，也不得超过承诺办结时限（最晚 {limit}）。"
                )
            raise ValidationFailed("容缺补齐期限不得早于今天。")
        case.tolerance = True
        case.tolerance_deadline = deadline
        case.tolerance_promise = promise.strip()[:2000]
        case.materials.filter(pk__in=[m.key for m in a.tolerable]).update(state=rules.M_TOLERATED)
    elif tolerance:
        raise ValidationFailed("材料已齐全，无需容缺受理。")
    case.accepted_at = now
    case.accepted_by = staff_of(actor)
    case.promised_limit = item.promised_limit
    case.legal_limit = item.legal_limit if item.legal_limit_unit == "workday" else None
    case.due_date = rules.due_date(cal, today, case.promised_limit)
    case.legal_due_date = rules.due_date(cal, today, case.legal_limit)
    case.steps_total = len(rules.approval_steps(item.item_type, item.promised_limit))
    case.time_status = rules.NORMAL
    case.time_status_at = now
    _move(
        case,
        action,
        actor,
        reason="容缺受理" if case.tolerance else "材料齐全，予以受理",
        extra={"due": str(case.due_date), "tolerance_deadline": str(case.tolerance_deadline or "")},
        request=request,
    )
    case.save()
    content = {
        "item": item.name,
        "department": item.department.name,
        "accepted_at": clock.local(now).isoformat(),
        "due_date": str(case.due_date) if case.due_date else "",
        "legal_due_date": str(case.legal_due_date) if case.legal_due_date else "",
        "promised_limit": case.promised_limit,
        "immediate": item.is_immediate,
        "received": [
            {"name": m.name, "via": m.get_received_via_display()}
            for m in case.materials.all()
            if m.state == rules.M_RECEIVED
        ],
    }
    if case.tolerance:
        content.update(
            tolerated=_material_rows(case, (rules.M_TOLERATED,)),
            deadline=str(case.tolerance_deadline),
            promise=case.tolerance_promise,
            reminder=str(rules.reminder_day(cal, case.tolerance_deadline)),
        )
        _issue_notice(case, rules.NOTICE_TOLERANCE, actor, content)
    else:
        _issue_notice(case, rules.NOTICE_ACCEPT, actor, content)
    if item.is_immediate and finish_immediate and not case.tolerance:
        _finish_immediate(actor, case, request=request)
    return case


def _finish_immediate(actor, case: Case, *, request=None):
    """即办件: decided, result issued and handed over at the window in the same sitting."""
    now = clock.now()
    ApprovalStep.objects.create(
        case=case, seq=1, name="承办", staff=staff_of(actor), at=now, opinion="即办件，当场办结"
    )
    case.steps_done = 1
    case.decision, case.decision_reason = rules.APPROVE, "材料齐全，符合条件，当场办结"
    case.decided_at, case.decided_by = now, staff_of(actor)
    _move(case, "decide", actor, reason="即办件当场决定", request=request)
    case.save()
    _create_result(actor, case, request=request)
    _deliver(
        actor,
        case,
        method="window",
        recipient=case.agent_name or case.applicant_name,
        same_sitting=True,
        request=request,
    )


@transaction.atomic
def reject(actor, case: Case, *, reason: str, request=None) -> Notice:
    """不予受理 with a reason → 不予受理通知书. Refused (409 `use_tolerance`) while the only missing
    materials are 容缺-eligible: the applicant is entitled to 容缺受理 instead."""
    case = _lock(case)
    _authorize_outlet(actor, "case.intake", case)
    _ensure(case, "reject")
    a = assessment(case)
    if a.tolerable and not a.blocking:
        names = "、".join(m.name for m in a.tolerable)
        then = "申请人到场后" if case.status == rules.NOTIFIED else ""
        raise Conflict(
            f"所缺材料「{names}」均为可容缺材料，不得不予受理：{then}请办理容缺受理"
            "（申请人签署承诺，限期补交）。",
            code="use_tolerance",
            offer="accept_tolerance",
            tolerable=[m.key for m in a.tolerable],
        )
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ValidationFailed("不予受理必须写明理由（依据和具体情形）。")
    _move(case, "reject", actor, reason=reason, request=request)
    case.reject_reason = reason
    case.closed_at = clock.now()
    case.save()
    return _issue_notice(
        case,
        rules.NOTICE_REJECT,
        actor,
        {
            "item": case.item.name,
            "reason": reason,
            "remedy": "如对本决定不服，可自收到本通知书之日起六十日内申请行政复议，或者六个月内提起行政诉讼；"
            "也可到「办不成事」反映窗口反映。",
        },
    )


@transaction.atomic
def escalate_hard(actor, case: Case, *, reason: str, request=None) -> Case:
    """很难办 → 升级: a key material is missing and cannot be accepted under 容缺; the clerk may not
    simply refuse. The case is recorded with the missing materials named and handed to the
    办不成事 grievance/escalation (feedback app) after commit."""
    case = _lock(case)
    _authorize_outlet(actor, "case.intake", case)
    _ensure(case, "escalate_hard")
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ValidationFailed("请说明很难办的具体情形（如历史遗留问题无法提供的材料）。")
    a = assessment(case)
    missing = [m.name for m in a.missing_required]
    if not missing:
        raise ValidationFailed("没有缺少的必需材料：请先在清单上标出无法提供的材料。")
    _move(case, "escalate_hard", actor, reason=reason, extra={"missing": missing}, request=request)
    case.hard_case_reason = reason
    case.closed_at = clock.now()
    case.save()
    staff = staff_of(actor)
    transaction.on_commit(
        lambda: _hand_over_hard_case(case.pk, staff.pk if staff else None, reason, missing)
    )
    return case


def _hand_over_hard_case(case_pk, staff_pk, reason, missing):
    case = Case.objects.get(pk=case_pk)
    from yimen.staff.models import Staff

    actor = Staff.objects.filter(pk=staff_pk).first()
    for _receiver, response in hard_case_recorded.send_robust(
        sender=Case, case=case, actor=actor, reason=reason, missing=missing
    ):
        if isinstance(response, Exception):
            log.error("hard case hand-over failed for %s: %s", case.receipt_number, response)


@transaction.atomic
def link_grievance(case: Case, grievance_ref: str, actor=None) -> Case:
    """Hook for the feedback app: remember which 办不成事 grievance took over this case."""
    case = _lock(case)
    case.grievance_ref = str(grievance_ref)[:40]
    case.save(update_fields=["grievance_ref", "updated_at"])
    audit.record(actor, "case.grievance_link", case, after={"grievance": case.grievance_ref})
    return case


@transaction.atomic
def withdraw(actor, case: Case, *, reason: str, request=None) -> Case:
    case = _lock(case)
    _authorize_either(actor, case, "case.intake", "case.review")
    _ensure(case, "withdraw")
    if not (reason or "").strip():
        raise ValidationFailed("请记录申请人撤回的原因。")
    _close_open_pause(actor, case)
    _move(case, "withdraw", actor, reason=reason, request=request)
    case.closed_at = clock.now()
    case.save()
    return case
