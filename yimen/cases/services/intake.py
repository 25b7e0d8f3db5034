"""Writes of the 办件 lifecycle. Each public function is one transaction, checks permissions,
moves the case through the pure transition table (`rules.TRANSITIONS`), records a CaseEvent and
an audit entry.
"""

from __future__ import annotations

import logging
import secrets
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from yimen.core import audit, clock, notify
from yimen.core.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from yimen.core.jobs import JobRun
from yimen.core.masking import mask_id_number, mask_name
from yimen.core.selectors import work_calendar
from yimen.core.validators import (
    check_credit_code,
    check_date_window,
    check_mobile,
    check_resident_id,
    normalize_id_number,
)
from yimen.staff.authz import authorize, staff_of

from .. import rules, selectors
from ..models import (
    ApprovalStep,
    Case,
    CaseEvent,
    CaseMaterial,
    ClockPause,
    Notice,
    ProgressLookup,
    Result,
    Visit,
)
from ..signals import case_ready, hard_case_recorded

log = logging.getLogger("yimen.cases")

TOLERANCE_HORIZON_DAYS = (
    366  # a 容缺 deadline is never more than a year ahead (items without a limit)
)
NOTICE_CODES = {
    rules.NOTICE_ACCEPT: "SL",
    rules.NOTICE_ONE_TIME: "GZ",
    rules.NOTICE_TOLERANCE: "RQ",
    rules.NOTICE_REJECT: "BY",
    rules.NOTICE_DELIVERY: "SD",
}


def _setting(name, default):
    return settings.YIMEN.get(name, default)


def _local_date(dt) -> date:
    return clock.local(dt).date()


def _lock(case: Case) -> Case:
    """Re-read the case under a row lock (PostgreSQL; SQLite serialises writers anyway)."""
    return (
        Case.objects.select_for_update()
        .select_related("item", "item__department", "outlet")
        .get(pk=case.pk)
    )


def _move(
    case: Case, action: str, actor, *, reason: str = "", request=None, extra: dict | None = None
) -> str:
    """Apply `action` to the locked case (status only; caller saves other fields)."""
    before = case.status
    try:
        after = rules.next_status(before, action)
    except rules.TransitionError:
        raise InvalidTransition(
            "办件", rules.STATUS_LABELS.get(before, before), rules.ACTION_LABELS.get(action, action)
        )
    case.status = after
    CaseEvent.objects.create(
        case=case,
        action=action,
        from_status=before,
        to_status=after,
        at=clock.now(),
        staff=staff_of(actor),
        reason=reason[:300],
    )
    audit.record(
        actor,
        f"case.{action}",
        case,
        before={"status": before},
        after={"status": after, **(extra or {})},
        reason=reason,
        request=request,
    )
    return after


def _ensure(case: Case, action: str):
    """Refuse early (before any other check) when the action is not allowed in this status."""
    try:
        rules.next_status(case.status, action)
    except rules.TransitionError:
        raise InvalidTransition(
            "办件",
            rules.STATUS_LABELS.get(case.status, case.status),
            rules.ACTION_LABELS.get(action, action),
        )


def _authorize_outlet(actor, action: str, case: Case):
    return authorize(actor, action, case)


def _authorize_department(actor, action: str, case: Case):
    return authorize(actor, action, case)


def _authorize_either(actor, case: Case, outlet_action: str, department_action: str):
    """Window staff act on their outlet's cases; approvers on their department's cases."""
    staff = staff_of(actor)
    if staff is not None and staff.role in ("approver",):
        return _authorize_department(actor, department_action, case)
    return _authorize_outlet(actor, outlet_action, case)


# --- Numbers --------------------------------------------------------------------------------------
_PG_RECEIPT_LOCK = 774412  # advisory-lock class for receipt numbers (object = outlet id)


def _new_receipt_number(outlet, on: date) -> str:
    """Next 办件编号 of the outlet for the day. On PostgreSQL an advisory transaction lock per
    outlet serialises the allocation (SQLite's IMMEDIATE transactions already do); the unique
    constraint plus a retry is the last line of defence."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_PG_RECEIPT_LOCK, outlet.pk])
    prefix = f"{outlet.code}-{on:%Y%m%d}-"
    last = (
        Case.objects.filter(receipt_number__startswith=prefix)
        .order_by("-receipt_number")
        .values_list("receipt_number", flat=True)
        .first()
    )
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


def _issue_notice(case: Case, kind: str, actor, content: dict) -> Notice:
    n = case.notices.filter(kind=kind).count() + 1
    notice = Notice.objects.create(
        case=case,
        kind=kind,
        number=f"{case.receipt_number}-{NOTICE_CODES[kind]}{n}",
        issued_at=clock.now(),
        issued_by=staff_of(actor),
        content=content,
    )
    audit.record(actor, "case.notice", case, after={"notice": notice.number, "kind": kind})
    return notice


def _material_rows(case: Case, states) -> list[dict]:
    return [
        {
            "id": m.pk,
            "name": m.name,
            "kind": m.kind,
            "copies": m.copies,
            "tolerance_eligible": m.tolerance_eligible,
            "note": m.note,
        }
        for m in case.materials.all()
        if m.required and m.state in states
    ]


# --- Intake ----------------------------------------------------------------------------------------
def _validate_applicant(data: dict, today: date) -> dict:
    kind = data.get("applicant_kind") or "person"
    name = (data.get("applicant_name") or "").strip()
    if kind not in ("person", "company"):
        raise ValidationFailed("申请人类型只能是个人或企业。")
    if not name:
        raise ValidationFailed("请填写申请人姓名或单位名称。")
    clean = {
        "applicant_kind": kind,
        "applicant_name": name[:100],
        "credit_code": "",
        "credit_code_warning": "",
    }
    id_number = normalize_id_number(data.get("applicant_id_number") or "")
    if kind == "person":
        check = check_resident_id(id_number, today)
        if not check.ok:
            raise ValidationFailed(f"申请人身份证号码有误：{check.message}")
        clean["applicant_id_number"] = id_number
    else:
        code = (data.get("credit_code") or "").strip().upper()
        check = check_credit_code(code)
        if not check.ok:
            raise ValidationFailed(check.message)
        clean["credit_code"] = code
        clean["credit_code_warning"] = "" if check.verified else check.message[:100]
        clean["applicant_id_number"] = ""
    phone = (data.get("applicant_phone") or "").strip()
    if phone and not check_mobile(phone):
        raise ValidationFailed("联系电话应为11位手机号码。")
    clean["applicant_phone"] = phone
    agent_role = data.get("agent_role") or ""
    agent_name = (data.get("agent_name") or "").strip()
    agent_id = normalize_id_number(data.get("agent_id_number") or "")
    agent_phone = (data.get("agent_phone") or "").strip()
    if kind == "company" and not agent_name:
        raise ValidationFailed("企业办事须登记经办人（姓名和身份证号码）。")
    if agent_name or agent_role:
        if agent_role not in ("代理人", "经办人"):
            agent_role = "经办人" if kind == "company" else "代理人"
        if not agent_name:
            raise ValidationFailed("请填写代理人/经办人姓名。")
        check = check_resident_id(agent_id, today)
        if not check.ok:
            raise ValidationFailed(f"{agent_role}身份证号码有误：{check.message}")
        if agent_phone and not check_mobile(agent_phone):
            raise ValidationFailed(f"{agent_role}电话应为11位手机号码。")
    clean.update(
        agent_role=agent_role if agent_name else "",
        agent_name=agent_name[:50],
        agent_id_number=agent_id if agent_name else "",
        agent_phone=agent_phone if agent_name else "",
    )
    return clean


def item_offered_at(item, outlet, window=None) -> bool:
    """The item may be accepted at this outlet (and window, if given)."""
    if window is not None:
        from yimen.outlets.selectors import window_accepts

        if window_accepts(window, item):
            return True
    if outlet.items.filter(pk=item.pk).exists():
        return True
    return outlet.windows.filter(items=item).exists() or (
        item.comprehensive and outlet.windows.filter(scope="comprehensive").exists()
    )


@transaction.atomic
def open_case(
    actor,
    *,
    item,
    outlet=None,
    ticket=None,
    window=None,
    applicant: dict,
    helper=None,
    helper_consent: bool = False,
    helper_consent_note: str = "",
    request=None,
) -> Case:
    """收件: open a case for one item, from the called ticket (the visit is linked)."""
    if ticket is not None:
        from yimen.queueing.models import Ticket

        ticket = Ticket.objects.select_related("outlet", "window").get(pk=ticket.pk)
        if ticket.status not in Ticket.ACTIVE_STATES:
            raise Conflict(
                f"排队号{ticket.number}当前不在办理中（需先叫号），不能据此收件。",
                code="ticket_not_active",
            )
        outlet = outlet or ticket.outlet
        window = window or ticket.window
        if ticket.outlet_id != outlet.pk:
            raise ValidationFailed("排队号不属于本网点。")
    if outlet is None:
        raise ValidationFailed("请指定受理网点。")
    authorize(actor, "case.intake", outlet=outlet)
    if not item.active:
        raise ValidationFailed(f"事项「{item.display_name}」已停用。")
    if not item_offered_at(item, outlet, window):
        raise ValidationFailed(f"「{outlet.name}」不办理事项「{item.display_name}」。")
    now = clock.now()
    clean = _validate_applicant(applicant, _local_date(now))
    helper_staff = staff_of(helper)
    if helper_staff is not None:
        if not helper_consent:
            raise ValidationFailed("帮办代办须先取得申请人同意（请勾选并记录同意方式）。")
        if not item.bangban_daiban and not helper_consent_note:
            raise ValidationFailed("该事项不在免费帮办代办目录内，请注明申请人委托帮办的方式。")
    case = None
    for _attempt in range(5):
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    receipt_number=_new_receipt_number(outlet, _local_date(now)),
                    outlet=outlet,
                    item=item,
                    ticket=ticket,
                    window=window,
                    status=rules.DRAFT,
                    opened_by=staff_of(actor),
                    opened_at=now,
                    helper=helper_staff,
                    helper_consent=bool(helper_staff and helper_consent),
                    helper_consent_at=now if helper_staff else None,
                    helper_consent_note=helper_consent_note[:200] if helper_staff else "",
                    **clean,
                )
            break
        except IntegrityError:
            case = None
    if case is None:
        raise Conflict("办件编号分配冲突，请重试。")
    CaseMaterial.objects.bulk_create(
        [
            CaseMaterial(
                case=case,
                material=m,
                position=i,
                name=m.name,
                kind=m.kind,
                copies=m.copies,
                required=m.required,
                tolerance_eligible=m.tolerance,
                data_sharing=m.data_sharing,
                note=m.note,
            )
            for i, m in enumerate(item.materials.all(), start=1)
        ]
    )
    Visit.objects.create(
        case=case, at=now, outlet=outlet, ticket=ticket, staff=staff_of(actor), purpose="intake"
    )
    CaseEvent.objects.create(
        case=case,
        action="open",
        from_status="",
        to_status=rules.DRAFT,
        at=now,
        staff=staff_of(actor),
    )
    audit.record(
        actor,
        "case.open",
        case,
        after={
            "receipt": case.receipt_number,
            "item": item.code,
            "outlet": outlet.code,
            "ticket": ticket.number if ticket else "",
            "applicant": mask_name(case.applicant_name),
            "id": mask_id_number(case.applicant_id_number),
            "helper": helper_staff.name if helper_staff else "",
        },
        request=request,
    )
    return case


@transaction.atomic
def check_materials(actor, case: Case, marks: dict, *, request=None) -> Case:
    """Record the checklist: {case_material_id: (state, via)} with state received/missing/pending and
    via paper/electronic/data_sharing (required for received)."""
    case = _lock(case)
    _authorize_outlet(actor, "case.intake", case)
    if case.status != rules.DRAFT:
        raise InvalidTransition("办件", case.status_label, "核验材料")
    lines = {m.pk: m for m in case.materials.all()}
    changes = {}
    now = clock.now()
    for key, mark in marks.items():
        state, via = mark if isinstance(mark, (tuple, list)) else (mark, "")
        line = lines.get(int(key))
        if line is None:
            raise NotFound("材料不属于该办件。")
        if state not in (rules.M_RECEIVED, rules.M_MISSING, rules.M_PENDING):
            raise ValidationFailed("材料状态只能是已收取、缺少或待核验。")
        if state == rules.M_RECEIVED:
            if via not in rules.RECEIVED_VIA_LABELS:
                raise ValidationFailed(f"请选择「{line.name}」的收取方式（纸质/电子/数据共享）。")
            if via == "data_sharing" and not (
                line.data_sharing or line.kind == "电子" or "共享" in line.name
            ):
                raise ValidationFailed(
                    f"「{line.name}」不能通过数据共享调取，请收取纸质或电子材料。"
                )
        else:
            via = ""
        if (line.state, line.received_via) != (state, via):
            changes[line.name] = (
                f"{line.get_state_display()}→{dict(rules.MATERIAL_STATE_CHOICES)[state]}"
            )
            line.state, line.received_via = state, via
            line.received_at = now if state == rules.M_RECEIVED else None
            line.save(update_fields=["state", "received_via", "received_at"])
    if changes:
        audit.record(actor, "case.materials", case, after=changes, request=request)
    return case


def assessment(case: Case) -> rules.IntakeAssessment:
    return rules.assess(
        rules.MaterialLine(m.pk, m.name, m.required, m.tolerance_eligible, m.state)
        for m in case.materials.all()
    )


@transaction.atomic
def notify_missing(actor, case: Case, *, request=None) -> Notice:
    """一次性告知: list ALL missing required materials in one notice."""
    case = _lock(case)
    _authorize_outlet(actor, "case.intake", case)
    _ensure(case, "notify_missing")
    a = assessment(case)
    if a.pending:
        raise ValidationFailed(
            "还有材料未核验："
            + "、".join(m.name for m in a.pending)
            + "。请逐项核验后再出具一次性告知书。"
        )
    if not a.missing_required:
        raise Conflict("材料齐全，应当受理，不能出具一次性告知书。", code="materials_complete")
    missing_ids = [m.key for m in a.missing_required]
    previous = list(case.notices.filter(kind=rules.NOTICE_ONE_TIME))
    if previous:
        listed = {row["id"] for n in previous for row in n.content.get("materials", [])}
        available = {row for n in previous for row in n.content.get("checklist_ids", [])}
        surprise = rules.surprise_materials(listed, missing_ids, available)
        if surprise:
            names = "、".join(m.name for m in a.missing_required if m.key in surprise)
            raise Conflict(
                f"一次性告知不得新增要求：「{names}」在首次告知时即应列明。请按已告知的材料办理"
                "（可受理、容缺受理，或转「很难办」升级协调）。",
                code="second_surprise",
            )
    _move(
        case,
        "notify_missing",
        actor,
        reason="缺少：" + "、".join(m.name for m in a.missing_required),
        request=request,
    )
    case.save(update_fields=["status", "updated_at"])
    now = clock.now()
    case.materials.filter(pk__in=missing_ids, first_listed_at__isnull=True).update(
        first_listed_at=now
    )
    return _issue_notice(
        case,
        rules.NOTICE_ONE_TIME,
        actor,
        {
            "materials": _material_rows(case, (rules.M_MISSING,)),
            "checklist_ids": [m.pk for m in case.materials.all()],
            "outlet": case.outlet.name,
            "address": case.outlet.address,
            "note": "以上为本事项所需补齐的全部材料，补齐后到任一可办理窗口凭办件编号继续办理，无需重新排队取号以外的任何手续。",
        },
    )


@transaction.atomic
def return_visit(actor, case: Case, *, ticket=None, request=None) -> Case:
    """The applicant comes back with the listed materials: the case continues (a counted trip)."""
    case = _lock(case)
    _authorize_outlet(actor, "case.intake", case)
    last = case.notices.filter(kind=rules.NOTICE_ONE_TIME).order_by("-issued_at", "-id").first()
    _move(
        case,
        "return_visit",
        actor,
        reason=f"依一次性告知书{last.number if last else ''}补齐材料",
        request=request,
    )
    if ticket is not None:
        case.ticket = ticket
        case.window = ticket.window or case.window
    case.save(update_fields=["status", "ticket", "window", "updated_at"])
    case.materials.filter(state=rules.M_MISSING).update(
        state=rules.M_PENDING, received_via="", received_at=None
    )
    Visit.objects.create(
        case=case,
        at=clock.now(),
        outlet=case.outlet,
        ticket=ticket,
        staff=staff_of(actor),
        purpose="return",
        reason=f"一次性告知后补齐材料（{last.number if last else '告知书'}）",
    )
    return case


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
        "accept",
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


# --- 容缺 supplement, reminders, termination -----------------------------------------------
@transaction.atomic
def supply_material(
    actor,
    case: Case,
    case_material_id: int,
    *,
    via: str,
    in_person: bool = False,
    ticket=None,
    request=None,
) -> Case:
    """A 容缺 material arrives."""
    case = _lock(case)
    _authorize_either(actor, case, "case.intake", "case.review")
    try:
        rules.next_status(case.status, "supply_material")
    except rules.TransitionError:
        raise InvalidTransition("办件", case.status_label, "补交容缺材料")
    line = case.materials.filter(pk=case_material_id).first()
    if line is None or line.state != rules.M_TOLERATED:
        raise ValidationFailed("该材料不是待补交的容缺材料。")
    if via not in rules.RECEIVED_VIA_LABELS:
        raise ValidationFailed("请选择收取方式（纸质/电子/数据共享）。")
    now = clock.now()
    line.state, line.received_via, line.received_at = rules.M_RECEIVED, via, now
    line.save(update_fields=["state", "received_via", "received_at"])
    if in_person:
        Visit.objects.create(
            case=case,
            at=now,
            outlet=case.outlet,
            ticket=ticket,
            staff=staff_of(actor),
            purpose="supplement",
            reason=f"按容缺承诺补交「{line.name}」",
        )
    CaseEvent.objects.create(
        case=case,
        action="supply_material",
        from_status=case.status,
        to_status=case.status,
        at=now,
        staff=staff_of(actor),
        reason=line.name[:300],
    )
    audit.record(
        actor,
        "case.supply_material",
        case,
        after={"material": line.name, "via": via},
        request=request,
    )
    return case


def outstanding_tolerance(case: Case) -> list[CaseMaterial]:
    return [m for m in case.materials.all() if m.state == rules.M_TOLERATED]


def _job_cases(qs) -> list[tuple[int, str]]:
    return list(qs.order_by("pk").values_list("pk", "receipt_number"))


def send_tolerance_reminders(today: date | None = None, run: JobRun | None = None) -> list[str]:
    """Remind applicants one working day before their 容缺 deadline (once). Each case in its own
    transaction; the SMS goes out after it (the reminder is claimed first, so never twice)."""
    today = today or clock.today()
    run = run or JobRun("cases.remind_tolerance")
    cal = work_calendar()

    def one(key):
        case = Case.objects.select_for_update().get(pk=key[0])
        if (
            case.status not in rules.OPEN_BACK_OFFICE_STATES
            or not case.tolerance
            or case.tolerance_reminded_at is not None
            or case.tolerance_deadline < today
        ):
            return None
        missing = outstanding_tolerance(case)
        if not missing or rules.reminder_day(cal, case.tolerance_deadline) > today:
            return None
        case.tolerance_reminded_at = clock.now()
        case.save(update_fields=["tolerance_reminded_at", "updated_at"])
        names = "、".join(m.name for m in missing)
        text = (
            f"【一门】您的办件{case.receipt_number}（{case.item.display_name}）容缺材料「{names}」"
            f"须于{case.tolerance_deadline:%Y年%m月%d日}前补交，逾期将终止办理。"
        )
        run.later(lambda: _send_reminder(case, text))
        return case.receipt_number

    qs = Case.objects.filter(
        status__in=rules.OPEN_BACK_OFFICE_STATES,
        tolerance=True,
        tolerance_reminded_at__isnull=True,
        tolerance_deadline__gte=today,
    )
    return run.each(_job_cases(qs), one, label=lambda k: k[1])


def _send_reminder(case: Case, text: str):
    receipt = notify.send(
        case.applicant_phone or case.agent_phone,
        text,
        template="case.tolerance_reminder",
        ref=case.receipt_number,
    )
    with transaction.atomic():
        CaseEvent.objects.create(
            case=case,
            action="remind_tolerance",
            from_status=case.status,
            to_status=case.status,
            at=clock.now(),
            reason=("已发送" if receipt.ok else f"发送失败：{receipt.error}")[:300],
        )
        audit.record("system", "case.remind_tolerance", case, after={"sent": receipt.ok})


def terminate_overdue_tolerance(today: date | None = None, run: JobRun | None = None) -> list[str]:
    """容缺 materials not supplied by the deadline → the case is terminated (each case in its own
    transaction; the applicant is told by SMS after it)."""
    today = today or clock.today()
    run = run or JobRun("cases.terminate_tolerance")

    def one(key):
        case = Case.objects.select_for_update().get(pk=key[0])
        if (
            case.status not in rules.OPEN_BACK_OFFICE_STATES
            or not case.tolerance
            or case.tolerance_deadline is None
            or case.tolerance_deadline >= today
        ):
            return None
        missing = outstanding_tolerance(case)
        if not missing:
            return None
        _close_open_pause("system", case)
        reason = (
            f"容缺材料「{'、'.join(m.name for m in missing)}」未在承诺期限"
            f"{case.tolerance_deadline:%Y-%m-%d}前补交，终止办理"
        )
        _move(case, "terminate", "system", reason=reason)
        case.termination_reason = reason
        case.closed_at = clock.now()
        case.save()
        phone, receipt_number = case.applicant_phone or case.agent_phone, case.receipt_number
        run.later(
            lambda: notify.send(
                phone,
                f"【一门】您的办件{receipt_number}因{reason}。",
                template="case.terminated",
                ref=receipt_number,
            )
        )
        return case.receipt_number

    qs = Case.objects.filter(
        status__in=rules.OPEN_BACK_OFFICE_STATES, tolerance=True, tolerance_deadline__lt=today
    )
    return run.each(_job_cases(qs), one, label=lambda k: k[1])


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


def _close_open_pause(actor, case: Case):
    pause = case.pauses.filter(ended_at__isnull=True).first()
    if pause is None:
        return None
    cal = work_calendar()
    now = clock.now()
    pause.ended_at, pause.ended_by = now, staff_of(actor)
    pause.workdays = rules.pause_workdays(cal, _local_date(pause.started_at), _local_date(now))
    pause.save()
    case.paused_workdays += pause.workdays
    if case.accepted_at:
        accepted_on = _local_date(case.accepted_at)
        case.due_date = rules.due_date(cal, accepted_on, case.promised_limit, case.paused_workdays)
        case.legal_due_date = rules.due_date(
            cal, accepted_on, case.legal_limit, case.paused_workdays
        )
    return pause


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


# --- Results and delivery -----------------------------------------------------------------------
def _new_licence_number(case: Case) -> str:
    if connection.vendor == "postgresql":  # serialise per department (see _new_receipt_number)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)",
                [_PG_RECEIPT_LOCK + 1, case.item.department_id],
            )
    year = clock.local(clock.now()).year
    prefix = f"{case.item.department.code}-{year}-"
    last = (
        Result.objects.filter(licence_number__startswith=prefix)
        .order_by("-licence_number")
        .values_list("licence_number", flat=True)
        .first()
    )
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:05d}"


def _create_result(
    actor, case: Case, *, licence_number: str = "", valid_until=None, request=None
) -> Result:
    _ensure(case, "issue_result")
    if case.decision != rules.APPROVE:
        raise Conflict("只有准予许可的办件才能出具结果。", code="not_approved")
    missing = outstanding_tolerance(case)
    if missing:
        raise Conflict(
            "容缺材料「" + "、".join(m.name for m in missing) + "」尚未补交，不能出具结果。",
            code="tolerance_outstanding",
        )
    if Result.objects.filter(case=case).exists():
        raise Conflict("该办件已出具结果，不能重复出证。", code="result_exists")
    _move(case, "issue_result", actor, request=request)
    case.save(update_fields=["status", "updated_at"])
    holder = case.applicant_name
    for _attempt in range(5):
        try:
            with transaction.atomic():
                result = Result.objects.create(
                    case=case,
                    licence_number=licence_number or _new_licence_number(case),
                    title=case.item.short_name or case.item.name,
                    holder=holder,
                    issued_at=clock.now(),
                    issued_by=staff_of(actor),
                    valid_until=valid_until,
                    verify_token=secrets.token_urlsafe(18),
                )
            break
        except IntegrityError:
            if licence_number:
                raise Conflict(f"证照编号{licence_number}已被使用。")
    else:
        raise Conflict("证照编号分配冲突，请重试。")
    audit.record(actor, "case.result", case, after={"licence": result.licence_number})
    return result


@transaction.atomic
def issue_result(
    actor, case: Case, *, licence_number: str = "", valid_until=None, request=None
) -> Result:
    """出证: the result (licence) of an approved case; notifies the applicant that it is ready."""
    case = _lock(case)
    _authorize_either(actor, case, "case.deliver", "case.decide")
    result = _create_result(
        actor, case, licence_number=licence_number, valid_until=valid_until, request=request
    )
    _notify_ready(case, f"办理结果（{result.title}）已出")
    result.notified_at = clock.now()
    result.save(update_fields=["notified_at"])
    return result


def _notify_ready(case: Case, what: str):
    phone = case.applicant_phone or case.agent_phone
    text = (
        f"【一门】您的办件{case.receipt_number}（{case.item.display_name}）{what}，"
        f"可到{case.outlet.name}窗口领取，或申请邮寄/电子送达。"
    )
    case_pk = case.pk
    transaction.on_commit(
        lambda: (
            notify.send(phone, text, template="case.ready", ref=case.receipt_number),
            case_ready.send_robust(sender=Case, case=Case.objects.get(pk=case_pk)),
        )
    )


def _deliver(
    actor,
    case: Case,
    *,
    method: str,
    tracking_number: str = "",
    recipient: str = "",
    same_sitting: bool = False,
    ticket=None,
    request=None,
) -> Notice:
    _ensure(case, "deliver")
    if method not in rules.DELIVERY_LABELS:
        raise ValidationFailed("送达方式只能是窗口领取、邮寄送达或电子送达。")
    tracking_number = (tracking_number or "").strip()
    if method == "mail" and not tracking_number:
        raise ValidationFailed("邮寄送达须填写邮件单号。")
    recipient = (recipient or "").strip() or case.agent_name or case.applicant_name
    if case.status == rules.DECIDED and case.decision == rules.APPROVE:
        raise Conflict("准予许可的办件须先出具结果再送达。", code="result_missing")
    _move(case, "deliver", actor, reason=rules.DELIVERY_LABELS[method], request=request)
    now = clock.now()
    result = Result.objects.filter(case=case).first()
    if result is not None:
        result.delivery_method, result.tracking_number = method, tracking_number
        result.delivered_at, result.delivered_by, result.recipient = (
            now,
            staff_of(actor),
            recipient[:50],
        )
        result.save()
    if method == "window" and not same_sitting:
        Visit.objects.create(
            case=case,
            at=now,
            outlet=case.outlet,
            ticket=ticket,
            staff=staff_of(actor),
            purpose="pickup",
            reason="到窗口领取办理结果（未选择邮寄或电子送达）",
        )
    case.closed_at = now
    case.save()
    return _issue_notice(
        case,
        rules.NOTICE_DELIVERY,
        actor,
        {
            "item": case.item.name,
            "document": (
                f"{result.title}（编号 {result.licence_number}）"
                if result
                else f"不予许可决定（{case.decision_reason}）"
            ),
            "method": rules.DELIVERY_LABELS[method],
            "tracking_number": tracking_number,
            "recipient": recipient,
            "delivered_at": clock.local(now).isoformat(),
        },
    )


@transaction.atomic
def deliver(
    actor,
    case: Case,
    *,
    method: str,
    tracking_number: str = "",
    recipient: str = "",
    ticket=None,
    request=None,
) -> Notice:
    """送达: window pickup, mail (tracking number) or electronic → 送达回执; the case is 办结."""
    case = _lock(case)
    _authorize_either(actor, case, "case.deliver", "case.decide")
    return _deliver(
        actor,
        case,
        method=method,
        tracking_number=tracking_number,
        recipient=recipient,
        ticket=ticket,
        request=request,
    )


# --- Time limits ------------------------------------------------------------------------------------
def evaluate_time_status(case: Case, today: date | None = None) -> str:
    return selectors.evaluate_time_status(case, today)


def refresh_time_status(today: date | None = None, run: JobRun | None = None) -> dict:
    """Scheduled (`yimen cases refresh`): time-limit status of every open case; reminders and
    terminations of 容缺 cases. Each case in its own transaction: a case that fails is logged and
    skipped (counted in "failed"), the others are refreshed. Returns counts."""
    today = today or clock.today()
    now = clock.now()
    run = run or JobRun("cases.refresh")
    terminated = terminate_overdue_tolerance(today, run)
    reminded = send_tolerance_reminders(today, run)

    def one(key):
        case = Case.objects.select_for_update().get(pk=key[0])
        if case.status not in rules.OPEN_BACK_OFFICE_STATES:
            return None
        status = evaluate_time_status(case, today)
        if status != case.time_status:
            before = case.time_status
            Case.objects.filter(pk=case.pk).update(time_status=status, time_status_at=now)
            audit.record(
                "system",
                "case.time_status",
                case,
                before={"time_status": before},
                after={"time_status": status},
            )
        else:
            Case.objects.filter(pk=case.pk).update(time_status_at=now)
        return status

    statuses = run.each(
        _job_cases(Case.objects.filter(status__in=rules.OPEN_BACK_OFFICE_STATES)),
        one,
        label=lambda k: k[1],
    )
    counts = {rules.NORMAL: 0, rules.WARNING: 0, rules.OVERDUE: 0}
    for status in statuses:
        counts[status] += 1
    return {**counts, "terminated": len(terminated), "reminded": len(reminded), **run.as_dict()}


@transaction.atomic
def reveal_personal_data(actor, case: Case, *, reason: str, request=None) -> dict:
    """科长/中心主任 see the full ID numbers and phones of a case; every reveal is audited."""
    authorize(actor, "case.reveal", case)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationFailed("查看完整个人信息须说明理由。")
    audit.record(
        actor,
        "case.reveal",
        case,
        reason=reason,
        request=request,
        after={
            "fields": ["applicant_id_number", "applicant_phone", "agent_id_number", "agent_phone"]
        },
    )
    return {
        "applicant_id_number": case.applicant_id_number,
        "applicant_phone": case.applicant_phone,
        "agent_id_number": case.agent_id_number,
        "agent_phone": case.agent_phone,
    }


def require_staff(actor):
    staff = staff_of(actor)
    if staff is None:
        raise Forbidden("请先以工作人员身份登录。")
    return staff


# --- Public progress (rate-limited) ------------------------------------------------------------
@transaction.atomic
def lookup_progress(receipt_number: str, secret: str, ip: str | None) -> dict | None:
    """The one way the public reaches a case by receipt number + 查询码 (/api/case-progress,
    /cases/progress/, /portal/progress/, /portal/rate/); raises RateLimited.

    Counted per client address (core.clientaddr.limit_key: IPv4, or the IPv6 /64), never per
    receipt alone — a stranger who knows someone's receipt number cannot lock the citizen out:
    - any lookups: PROGRESS_MAX_PER_IP per address per 10 minutes;
    - failed lookups of one receipt from one address: PROGRESS_MAX_FAILS_PER_RECEIPT per hour;
    - failed lookups from one address, across receipts: PROGRESS_MAX_FAILS_PER_IP per hour."""
    from yimen.core.clientaddr import limit_key

    now = clock.now()
    receipt = (receipt_number or "").strip().upper()[:32]
    key = limit_key(ip)[:45]
    mine = ProgressLookup.objects.filter(ip=key)
    if mine.filter(at__gte=now - timedelta(minutes=10)).count() >= selectors.PROGRESS_MAX_PER_IP:
        raise selectors.RateLimited("查询过于频繁，请10分钟后再试。")
    failed = mine.filter(ok=False, at__gte=now - timedelta(hours=1))
    if failed.filter(receipt_number=receipt).count() >= selectors.PROGRESS_MAX_FAILS_PER_RECEIPT:
        raise selectors.RateLimited(
            "该办件编号验证失败次数过多，已暂停查询1小时；如需帮助请致电服务中心。"
        )
    if failed.count() >= selectors.PROGRESS_MAX_FAILS_PER_IP:
        raise selectors.RateLimited("验证失败次数过多，已暂停查询1小时；如需帮助请致电服务中心。")
    answer = selectors.public_progress(receipt, secret)
    ProgressLookup.objects.create(at=now, ip=key, receipt_number=receipt, ok=answer is not None)
    ProgressLookup.objects.filter(at__lt=now - timedelta(days=2)).delete()
    return answer
