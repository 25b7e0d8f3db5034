"""网上申报 and 网上预审 (issue #21): the case side of an application made online.

The online app (yimen/online) owns the application, the uploaded files and the citizen's sign-in;
here are only the case transitions, so the lifecycle stays in one place:
- `open_online_case`: the submitted application becomes a case in 网上预审 (no window, no visit);
- `precheck_accept`: 受理 online with the same time limits as at the window;
- `precheck_correct`: one online 一次性告知 (补正) naming exactly the materials to fix, under the
  same "no second surprise" rule as at the window;
- `resubmit_online`: the applicant re-uploaded; back to 网上预审;
- `precheck_refuse`: 不予受理 with reasons.
The comprehensive back office of the online outlet (clerks, chief, director) or the item's
department (approvers) decide (`case.precheck`).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from yimen.core import audit, clock
from yimen.core.errors import Conflict, InvalidTransition, ValidationFailed
from yimen.core.masking import mask_name
from yimen.core.selectors import work_calendar
from yimen.staff.authz import authorize, staff_of

from .. import rules
from ..models import Case, CaseEvent, CaseMaterial, CaseSituation, Notice
from .common import _ensure, _issue_notice, _local_date, _lock, _material_rows, _move
from .intake import _validate_applicant, assessment


@transaction.atomic
def open_online_case(
    *, item, outlet, applicant: dict, materials: list[dict], answers: dict | None = None
) -> Case:
    """The application submitted online becomes a case in 网上预审. `materials` are the lines of
    the (tailored) checklist: {"material": Material|None, "name", "kind", "required", ...}. The
    citizen is the actor ("public"): no staff opened it and no trip is recorded."""
    from .common import _new_receipt_number

    now = clock.now()
    clean = _validate_applicant(applicant, _local_date(now))
    case = None
    for _attempt in range(5):
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    receipt_number=_new_receipt_number(outlet, _local_date(now)),
                    outlet=outlet,
                    item=item,
                    status=rules.PRECHECK,
                    channel="online",
                    opened_by=None,
                    opened_at=now,
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
                material=m.get("material"),
                position=i,
                name=m["name"][:300],
                kind=m.get("kind", ""),
                copies=m.get("copies", 1),
                required=m.get("required", True),
                tolerance_eligible=bool(m.get("tolerance")) and m.get("required", True),
                data_sharing=m.get("data_sharing", False),
                note=(m.get("note") or "")[:200],
            )
            for i, m in enumerate(materials, start=1)
        ]
    )
    if answers:
        from yimen.catalog import bundles as catalog_bundles

        CaseSituation.objects.create(
            case=case, answers=answers, lines=catalog_bundles.situation_lines(item, answers)
        )
    CaseEvent.objects.create(
        case=case, action="submit_online", from_status="", to_status=rules.PRECHECK, at=now
    )
    audit.record(
        "public",
        "case.submit_online",
        case,
        after={
            "receipt": case.receipt_number,
            "item": item.code,
            "applicant": mask_name(case.applicant_name),
        },
    )
    return case


def _authorize_precheck(actor, case: Case):
    authorize(actor, "case.precheck", case)


@transaction.atomic
def precheck_accept(actor, case: Case, *, received: dict[int, str], request=None) -> Case:
    """受理 online: `received` maps every required case material to how it came (electronic or
    data_sharing for an electronic licence). Same time limits as at the window (acceptance
    service); an online case never finishes 'at the window'."""
    from .acceptance import _accept_checked

    case = _lock(case)
    _authorize_precheck(actor, case)
    if case.status != rules.PRECHECK:
        raise InvalidTransition("办件", case.status_label, "网上预审·受理")
    now = clock.now()
    for line in case.materials.all():
        via = received.get(line.pk)
        if via in ("electronic", "data_sharing"):
            line.state, line.received_via, line.received_at = rules.M_RECEIVED, via, now
        else:
            line.state, line.received_via, line.received_at = rules.M_MISSING, "", None
        line.save(update_fields=["state", "received_via", "received_at"])
    a = assessment(case)
    if a.missing_required:
        raise Conflict(
            "以下必需材料尚未上传："
            + "、".join(m.name for m in a.missing_required)
            + "。请发出补正告知，不能受理。",
            code="materials_missing",
        )
    return _accept_checked(
        actor, case, action="precheck_accept", finish_immediate=False, request=request
    )


@transaction.atomic
def precheck_correct(
    actor, case: Case, *, fixes: dict[int, str], note: str = "", request=None
) -> Notice:
    """One online 一次性告知 (补正): `fixes` maps each case material to fix to what is wrong
    with it. A later notice may not name a material that was on the checklist at the first
    notice but not named then (rules.surprise_materials)."""
    case = _lock(case)
    _authorize_precheck(actor, case)
    _ensure(case, "precheck_correct")
    lines = {m.pk: m for m in case.materials.all()}
    fixes = {int(k): (v or "").strip() for k, v in fixes.items() if int(k) in lines}
    if not fixes:
        raise ValidationFailed("请至少选择一项需要补正的材料，并写明要改什么。", code="no_fixes")
    unexplained = [lines[k].name for k, v in fixes.items() if len(v) < 2]
    if unexplained:
        raise ValidationFailed(
            "请写明每项材料需要补正的具体内容：" + "、".join(unexplained), code="fix_unexplained"
        )
    previous = list(case.notices.filter(kind=rules.NOTICE_ONE_TIME))
    if previous:
        listed = {row["id"] for n in previous for row in n.content.get("materials", [])}
        available = {row for n in previous for row in n.content.get("checklist_ids", [])}
        surprise = rules.surprise_materials(listed, list(fixes), available)
        if surprise:
            names = "、".join(lines[k].name for k in surprise)
            raise Conflict(
                f"一次性告知不得新增要求：「{names}」在首次补正告知时即应列明。"
                "请按已告知的内容审核（受理，或不予受理并说明理由）。",
                code="second_surprise",
            )
    now = clock.now()
    for key, line in lines.items():
        if key in fixes:
            line.state, line.received_via, line.received_at = rules.M_MISSING, "", None
            if line.first_listed_at is None:
                line.first_listed_at = now
        else:
            line.state, line.received_via, line.received_at = rules.M_RECEIVED, "electronic", now
        line.save()
    _move(
        case,
        "precheck_correct",
        actor,
        reason="补正：" + "、".join(lines[k].name for k in fixes),
        request=request,
    )
    case.save(update_fields=["status", "updated_at"])
    rows = _material_rows(case, (rules.M_MISSING,))
    for row in rows:
        row["fix"] = fixes.get(row["id"], "")[:200]
    return _issue_notice(
        case,
        rules.NOTICE_ONE_TIME,
        actor,
        {
            "materials": rows,
            "checklist_ids": list(lines),
            "outlet": case.outlet.name,
            "address": case.outlet.address,
            "online": True,
            "note": (note.strip()[:300] + "　" if note.strip() else "")
            + "以上为本次申报需要补正的全部内容，请在网上重新上传后提交，无需到现场。",
        },
    )


@transaction.atomic
def resubmit_online(case: Case) -> Case:
    """The applicant re-uploaded what the 补正 notice named: back to 网上预审."""
    case = _lock(case)
    if case.channel != "online":
        raise Conflict("该办件不是网上申报的办件。", code="not_online")
    _move(case, "resubmit_online", "public", reason="网上补正后重新提交")
    case.save(update_fields=["status", "updated_at"])
    case.materials.filter(state=rules.M_MISSING).update(state=rules.M_PENDING)
    return case


@transaction.atomic
def precheck_refuse(actor, case: Case, *, reason: str, request=None) -> Notice:
    """不予受理 online, with the reasons (and the remedies) in the notice."""
    case = _lock(case)
    _authorize_precheck(actor, case)
    if case.status != rules.PRECHECK:
        raise InvalidTransition("办件", case.status_label, "不予受理")
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ValidationFailed("不予受理必须写明理由（依据和具体情形）。", code="reason_required")
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


def precheck_due(submitted_at, workdays: int):
    """The date 网上预审 is due: `workdays` working days after submission."""
    return work_calendar().add_workdays(_local_date(submitted_at), workdays).date


def staff_name(actor) -> str:
    staff = staff_of(actor)
    return staff.name if staff else ""
