"""Case API (bank-branch terminals and window clients use it). Bearer token of a member of
staff, or a logged-in staff session. Errors: {"code", "message"} with a 4xx status."""

from datetime import date
from typing import Any

from ninja import Router, Schema, Status

from yimen.catalog.models import ServiceItem
from yimen.core.audit import client_ip
from yimen.core.errors import Forbidden, NotFound
from yimen.core.inputs import RecordDate, ScheduleDate, errors
from yimen.core.masking import mask_name
from yimen.staff.tokens import BearerAuth

from . import rules, selectors, services

router = Router(auth=BearerAuth())
CASE_ERRORS = errors(401, 403, 404, 409, 413)


def _actor(request):
    principal = getattr(request, "principal", None)
    staff = getattr(principal, "staff", None)
    if staff is None:
        raise Forbidden("办件接口需要工作人员令牌（设备令牌不能办理办件）。")
    return staff


def _case(request, case_id):
    staff = _actor(request)
    case = selectors.get_case(case_id)
    if not selectors.can_view(staff, case):
        raise NotFound("找不到该办件。")
    return staff, case


def _ticket(ticket_id):
    if not ticket_id:
        return None
    from yimen.queueing.models import Ticket

    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound("找不到该排队号。")
    return ticket


class CaseMaterialOut(Schema):
    id: int
    name: str
    required: bool
    tolerance_eligible: bool
    data_sharing: bool
    state: str
    received_via: str


class CaseOut(Schema):
    id: int
    receipt_number: str
    item: str
    item_name: str
    outlet: str
    status: str
    status_label: str
    applicant: str
    applicant_id_number: str
    agent: str
    ticket: str | None = None
    accepted_at: str | None = None
    due_date: date | None = None
    legal_due_date: date | None = None
    paused_workdays: int
    time_status: str
    tolerance: bool
    tolerance_deadline: date | None = None
    steps_done: int
    steps_total: int
    decision: str
    licence_number: str | None = None
    verify_url: str | None = None
    trips: int
    materials: list[CaseMaterialOut]
    notices: list[dict]
    allowed_actions: list[str]


def _out(request, case) -> dict:
    case = selectors.get_case(case.pk)
    result = getattr(case, "result", None)
    masked = selectors.masked_applicant(case)
    return {
        "id": case.pk,
        "receipt_number": case.receipt_number,
        "item": case.item.code,
        "item_name": case.item.name,
        "outlet": case.outlet.code,
        "status": case.status,
        "status_label": case.status_label,
        "applicant": masked["name"],
        "applicant_id_number": masked["id_number"],
        "agent": mask_name(case.agent_name),
        "ticket": case.ticket.number if case.ticket else None,
        "accepted_at": case.accepted_at.isoformat() if case.accepted_at else None,
        "due_date": case.due_date,
        "legal_due_date": case.legal_due_date,
        "paused_workdays": case.paused_workdays,
        "time_status": case.time_status,
        "tolerance": case.tolerance,
        "tolerance_deadline": case.tolerance_deadline,
        "steps_done": case.steps_done,
        "steps_total": case.steps_total,
        "decision": case.decision,
        "licence_number": result.licence_number if result else None,
        "verify_url": request.build_absolute_uri(f"/cases/verify/{result.verify_token}/")
        if result
        else None,
        "trips": case.visits.count(),
        "materials": [
            {
                "id": m.pk,
                "name": m.name,
                "required": m.required,
                "tolerance_eligible": m.tolerance_eligible,
                "data_sharing": m.data_sharing,
                "state": m.state,
                "received_via": m.received_via,
            }
            for m in case.materials.all()
        ],
        "notices": [
            {
                "id": n.pk,
                "kind": n.kind,
                "label": n.kind_label,
                "number": n.number,
                "pdf": request.build_absolute_uri(f"/cases/{case.pk}/notices/{n.pk}.pdf"),
            }
            for n in case.notices.all()
        ],
        "allowed_actions": rules.allowed_actions(case.status),
    }


class OpenIn(Schema):
    item: str
    outlet: str | None = None
    ticket_id: int | None = None
    window: str | None = None
    applicant_kind: str = "person"
    applicant_name: str
    applicant_id_number: str = ""
    applicant_phone: str = ""
    credit_code: str = ""
    agent_role: str = ""
    agent_name: str = ""
    agent_id_number: str = ""
    agent_phone: str = ""
    helper_is_me: bool = False
    helper_consent: bool = False
    helper_consent_note: str = ""


@router.post("/cases", response={201: CaseOut, **CASE_ERRORS}, summary="收件（开办件）")
def open_case(request, payload: OpenIn):
    staff = _actor(request)
    item = ServiceItem.objects.filter(code=payload.item).first()
    if item is None:
        raise NotFound(f"找不到事项：{payload.item}")
    outlet = window = None
    if payload.outlet:
        from yimen.outlets.selectors import get_outlet

        outlet = get_outlet(payload.outlet)
    if payload.window:
        from yimen.outlets.models import Window

        window = Window.objects.filter(code=payload.window).first()
        if window is None:
            raise NotFound(f"找不到窗口：{payload.window}")
        outlet = outlet or window.outlet
    outlet = outlet or staff.outlet
    data = payload.dict()
    case = services.open_case(
        staff,
        item=item,
        outlet=outlet,
        ticket=_ticket(payload.ticket_id),
        window=window,
        applicant=data,
        helper=staff if payload.helper_is_me else None,
        helper_consent=payload.helper_consent,
        helper_consent_note=payload.helper_consent_note,
        request=request,
    )
    return Status(201, _out(request, case))


@router.get(
    "/cases/{case_id}", response={200: CaseOut, **CASE_ERRORS}, summary="办件详情（个人信息已脱敏）"
)
def get_case(request, case_id: int):
    _staff, case = _case(request, case_id)
    return _out(request, case)


class MarkIn(Schema):
    id: int
    state: str
    via: str = ""


class MarksIn(Schema):
    marks: list[MarkIn]


@router.post(
    "/cases/{case_id}/materials",
    response={200: CaseOut, **CASE_ERRORS},
    summary="核验材料（已收取/缺少）",
)
def check_materials(request, case_id: int, payload: MarksIn):
    staff, case = _case(request, case_id)
    services.check_materials(
        staff, case, {m.id: (m.state, m.via) for m in payload.marks}, request=request
    )
    return _out(request, case)


@router.post(
    "/cases/{case_id}/one-time-notice", response={200: CaseOut, **CASE_ERRORS}, summary="一次性告知"
)
def one_time_notice(request, case_id: int):
    staff, case = _case(request, case_id)
    services.notify_missing(staff, case, request=request)
    return _out(request, case)


class ReturnIn(Schema):
    ticket_id: int | None = None


@router.post(
    "/cases/{case_id}/return",
    response={200: CaseOut, **CASE_ERRORS},
    summary="补齐材料再次到场，继续办理",
)
def return_visit(request, case_id: int, payload: ReturnIn):
    staff, case = _case(request, case_id)
    services.return_visit(staff, case, ticket=_ticket(payload.ticket_id), request=request)
    return _out(request, case)


class AcceptIn(Schema):
    tolerance: bool = False
    tolerance_deadline: ScheduleDate | None = None
    promise: str = ""


@router.post(
    "/cases/{case_id}/accept",
    response={200: CaseOut, **CASE_ERRORS},
    summary="受理 / 容缺受理（即办件当场办结）",
)
def accept(request, case_id: int, payload: AcceptIn):
    staff, case = _case(request, case_id)
    services.accept(
        staff,
        case,
        tolerance=payload.tolerance,
        tolerance_deadline=payload.tolerance_deadline,
        promise=payload.promise,
        request=request,
    )
    return _out(request, case)


class ReasonIn(Schema):
    reason: str


@router.post("/cases/{case_id}/reject", response={200: CaseOut, **CASE_ERRORS}, summary="不予受理")
def reject(request, case_id: int, payload: ReasonIn):
    staff, case = _case(request, case_id)
    services.reject(staff, case, reason=payload.reason, request=request)
    return _out(request, case)


@router.post(
    "/cases/{case_id}/escalate",
    response={200: CaseOut, **CASE_ERRORS},
    summary="很难办 → 升级（转办不成事反映）",
)
def escalate(request, case_id: int, payload: ReasonIn):
    staff, case = _case(request, case_id)
    services.escalate_hard(staff, case, reason=payload.reason, request=request)
    return _out(request, case)


@router.post(
    "/cases/{case_id}/withdraw", response={200: CaseOut, **CASE_ERRORS}, summary="申请人撤回"
)
def withdraw(request, case_id: int, payload: ReasonIn):
    staff, case = _case(request, case_id)
    services.withdraw(staff, case, reason=payload.reason, request=request)
    return _out(request, case)


class SupplyIn(Schema):
    material_id: int
    via: str
    in_person: bool = False


@router.post(
    "/cases/{case_id}/supply", response={200: CaseOut, **CASE_ERRORS}, summary="补交容缺材料"
)
def supply(request, case_id: int, payload: SupplyIn):
    staff, case = _case(request, case_id)
    services.supply_material(
        staff,
        case,
        payload.material_id,
        via=payload.via,
        in_person=payload.in_person,
        request=request,
    )
    return _out(request, case)


class StepIn(Schema):
    opinion: str = ""


@router.post(
    "/cases/{case_id}/steps",
    response={200: CaseOut, **CASE_ERRORS},
    summary="完成审批环节（承办/审核）",
)
def step(request, case_id: int, payload: StepIn):
    staff, case = _case(request, case_id)
    services.review_step(staff, case, opinion=payload.opinion, request=request)
    return _out(request, case)


class ClockPauseIn(Schema):
    kind: str
    reason: str


@router.post(
    "/cases/{case_id}/pause",
    response={200: CaseOut, **CASE_ERRORS},
    summary="特别程序/补正：暂停计时",
)
def pause(request, case_id: int, payload: ClockPauseIn):
    staff, case = _case(request, case_id)
    services.pause_clock(staff, case, kind=payload.kind, reason=payload.reason, request=request)
    return _out(request, case)


@router.post("/cases/{case_id}/resume", response={200: CaseOut, **CASE_ERRORS}, summary="恢复计时")
def resume(request, case_id: int, payload: StepIn):
    staff, case = _case(request, case_id)
    services.resume_clock(staff, case, note=payload.opinion, request=request)
    return _out(request, case)


class DecideIn(Schema):
    decision: str
    reason: str = ""


@router.post(
    "/cases/{case_id}/decide",
    response={200: CaseOut, **CASE_ERRORS},
    summary="作出决定（准予/不予许可）",
)
def decide(request, case_id: int, payload: DecideIn):
    staff, case = _case(request, case_id)
    services.decide(staff, case, decision=payload.decision, reason=payload.reason, request=request)
    return _out(request, case)


class ResultIn(Schema):
    licence_number: str = ""
    valid_until: RecordDate | None = None


@router.post(
    "/cases/{case_id}/result",
    response={200: CaseOut, **CASE_ERRORS},
    summary="出具结果（证照，含核验二维码）",
)
def issue_result(request, case_id: int, payload: ResultIn):
    staff, case = _case(request, case_id)
    services.issue_result(
        staff,
        case,
        licence_number=payload.licence_number,
        valid_until=payload.valid_until,
        request=request,
    )
    return _out(request, case)


class DeliverIn(Schema):
    method: str
    tracking_number: str = ""
    recipient: str = ""


@router.post(
    "/cases/{case_id}/deliver",
    response={200: CaseOut, **CASE_ERRORS},
    summary="送达（窗口领取/邮寄/电子）",
)
def deliver(request, case_id: int, payload: DeliverIn):
    staff, case = _case(request, case_id)
    services.deliver(
        staff,
        case,
        method=payload.method,
        tracking_number=payload.tracking_number,
        recipient=payload.recipient,
        request=request,
    )
    return _out(request, case)


@router.get(
    "/case-time-limits",
    response={200: dict[str, Any], **errors(401, 403, 404)},
    summary="时限预警与逾期列表（按部门）",
)
def time_limits(request, department: str | None = None):
    staff = _actor(request)
    from yimen.catalog.models import Department
    from yimen.staff import authz

    authz.authorize_role(staff, "case.view")
    dept = None
    if department:
        dept = Department.objects.filter(code=department).first()
        if dept is None:
            raise NotFound(f"找不到部门：{department}")
    kind, own_department = authz.scope_of(staff)
    if kind == authz.DEPARTMENT:
        if dept is not None and dept.pk != own_department:
            raise Forbidden("无权查看该部门的时限列表。")
        dept = staff.department
    lists = selectors.time_limit_lists(staff, dept)  # only cases within the caller's scope

    def row(c):
        return {
            "id": c.pk,
            "receipt_number": c.receipt_number,
            "item": c.item.code,
            "department": c.item.department.code,
            "due_date": c.due_date,
            "legal_due_date": c.legal_due_date,
            "time_status": c.time_status,
        }

    return {
        "department": dept.code if dept else None,
        "overdue": [row(c) for c in lists["overdue"]],
        "warning": [row(c) for c in lists["warning"]],
    }


class ProgressIn(Schema):
    receipt_number: str
    secret: str


@router.post(
    "/case-progress",
    auth=None,
    response={200: dict[str, Any], **errors(404, 413, 429)},
    summary="群众查询办件进度（办件编号 + 证件后四位或手机号；限频）",
)
def progress(request, payload: ProgressIn):
    answer = services.lookup_progress(
        payload.receipt_number, payload.secret, client_ip(request) or ""
    )
    if answer is None:
        raise NotFound("办件编号与证件号码后四位（或手机号码）不匹配。", code="no_match")
    return answer
