"""Intake: the applicant, the case opened at a window, materials checked, what is missing."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction

from yimen.core import audit, clock
from yimen.core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from yimen.core.masking import mask_id_number, mask_name
from yimen.core.validators import (
    check_credit_code,
    check_mobile,
    check_resident_id,
    normalize_id_number,
)
from yimen.staff.authz import authorize, staff_of

from .. import rules
from ..models import (
    Case,
    CaseEvent,
    CaseMaterial,
    Notice,
    Visit,
)
from .common import (
    _authorize_outlet,
    _ensure,
    _issue_notice,
    _local_date,
    _lock,
    _material_rows,
    _move,
    _new_receipt_number,
)


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


def _intake_ticket(ticket, outlet):
    """The ticket a case is taken in (or continued) from: the one being served at the outlet that
    takes the case in — never a ticket of another outlet, nor one that is not called/serving.
    Every intake path (open_case, return_visit) goes through here."""
    from yimen.queueing.models import Ticket

    ticket = Ticket.objects.select_related("outlet", "window").get(pk=ticket.pk)
    if outlet is not None and ticket.outlet_id != outlet.pk:
        raise ValidationFailed(
            f"排队号{ticket.number}属于{ticket.outlet.name}，不是本网点的号，不能据此收件。",
            code="other_outlet",
        )
    if ticket.status not in Ticket.ACTIVE_STATES:
        raise Conflict(
            f"排队号{ticket.number}当前不在办理中（需先叫号），不能据此收件。",
            code="ticket_not_active",
        )
    return ticket


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
        ticket = _intake_ticket(ticket, outlet)
        outlet = outlet or ticket.outlet
        window = window or ticket.window
    if outlet is None:
        raise ValidationFailed("请指定受理网点。")
    if window is not None and window.outlet_id != outlet.pk:
        raise ValidationFailed("该窗口不属于受理网点。", code="other_outlet")
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
            if via not in rules.RECEIVED_VIA_LABELS or via == "promise":
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
    if ticket is not None:
        ticket = _intake_ticket(ticket, case.outlet)
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
