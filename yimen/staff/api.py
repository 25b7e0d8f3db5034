"""Staff API: who am I, window states of an outlet (for boards and the queue), my window session
(sign-in, pause, resume, hand-over, sign-out), rota staffing, and the audited phone reveal."""

from datetime import date, datetime, time

import pydantic
from ninja import Router, Schema, Status

from yimen.core.errors import NotFound, ValidationFailed
from yimen.core.inputs import ScheduleDate, errors
from yimen.core.masking import mask_phone
from yimen.staff.tokens import BearerAuth

from . import authz, selectors, services
from .authz import authorize

router = Router(tags=["人员与窗口"])
auth = BearerAuth()


def _staff(request):
    return authz.request_staff(request, "该操作需要工作人员身份（设备令牌不可用）。")


class MeOut(Schema):
    username: str
    name: str
    role: str
    role_label: str
    outlet: str | None
    department: str | None
    region_code: str
    shift_group: str
    phone: str
    window: str | None
    window_state: str


@router.get(
    "/staff/me", response={200: MeOut, **errors(401, 403)}, auth=auth, summary="当前工作人员"
)
def me(request):
    staff = _staff(request)
    session = selectors.session_of(staff)
    return MeOut(
        username=staff.user.username,
        name=staff.name,
        role=staff.role,
        role_label=staff.role_label,
        outlet=staff.outlet.code if staff.outlet_id else None,
        department=staff.department.code if staff.department_id else None,
        region_code=staff.region_code,
        shift_group=staff.shift_group,
        phone=mask_phone(staff.phone),
        window=session.window.code if session else None,
        window_state=session.state if session else "closed",
    )


class WindowStateOut(Schema):
    window: str
    number: str
    state: str


@router.get(
    "/staff/outlets/{outlet_code}/windows",
    response={200: list[WindowStateOut], **errors(401, 403, 404)},
    auth=auth,
    summary="网点各窗口状态（serving / paused / closed）",
)
def window_states(request, outlet_code: str):
    from yimen.outlets.models import Window
    from yimen.outlets.selectors import get_outlet

    outlet = get_outlet(outlet_code)
    principal = request.principal
    if principal.is_device:
        if principal.device_outlet.pk != outlet.pk:
            raise NotFound("设备令牌只能读取本网点。")
    else:
        authorize(principal.staff, "staff.rota.view", outlet)
    states = selectors.window_states(outlet)
    return [
        WindowStateOut(window=w.code, number=w.number, state=states.get(w.pk, "closed"))
        for w in Window.objects.filter(outlet=outlet).order_by("group_code", "number")
    ]


class SessionOut(Schema):
    window: str
    state: str
    staff: str
    pause_reason: str


def _session_out(session):
    return SessionOut(
        window=session.window.code,
        state=session.state if session.ended_at is None else "closed",
        staff=session.staff.user.username,
        pause_reason=session.pause_reason,
    )


class SignInIn(Schema):
    window: str


class WindowPauseIn(Schema):
    reason: str


class HandOverIn(Schema):
    to: str
    reason: str = "午餐接力"


@router.post(
    "/staff/window/sign-in",
    response={200: SessionOut, **errors(401, 403, 404, 409, 413)},
    auth=auth,
    summary="签到窗口",
)
def api_sign_in(request, payload: SignInIn):
    from yimen.outlets.models import Window

    staff = _staff(request)
    window = Window.objects.select_related("outlet").filter(code=payload.window).first()
    if window is None:
        raise NotFound(f"找不到窗口：{payload.window}")
    return _session_out(services.sign_in_window(staff, window, request=request))


@router.post(
    "/staff/window/pause",
    response={200: SessionOut, **errors(401, 403, 404, 409, 413)},
    auth=auth,
    summary="暂停窗口（如午餐接力）",
)
def api_pause(request, payload: WindowPauseIn):
    return _session_out(services.pause_window(_staff(request), payload.reason, request=request))


@router.post(
    "/staff/window/resume",
    response={200: SessionOut, **errors(401, 403, 404, 409)},
    auth=auth,
    summary="恢复服务",
)
def api_resume(request):
    return _session_out(services.resume_window(_staff(request), request=request))


class OfferOut(Schema):
    id: int
    window: str
    window_number: str
    from_staff: str
    from_name: str
    to_staff: str
    to_name: str
    reason: str
    state: str
    expires_at: datetime


def _offer_out(offer) -> OfferOut:
    return OfferOut(
        id=offer.pk,
        window=offer.window.code,
        window_number=offer.window.number,
        from_staff=offer.from_staff.user.username,
        from_name=offer.from_staff.name,
        to_staff=offer.to_staff.user.username,
        to_name=offer.to_staff.name,
        reason=offer.reason,
        state=offer.state,
        expires_at=offer.expires_at,
    )


class OffersOut(Schema):
    made: OfferOut | None
    received: list[OfferOut]


class OfferRefIn(Schema):
    offer: int | None = None


class SignOutIn(Schema):
    return_ticket: bool = False


def _optional_body(request, schema):
    """An optional JSON body (clients may POST none): parsed by hand, 400 when malformed."""
    raw = (request.body or b"").strip() if request.content_type == "application/json" else b""
    if not raw:
        return schema()
    try:
        return schema.model_validate_json(raw)
    except pydantic.ValidationError:
        raise ValidationFailed("请求数据不合法。", code="invalid")


def _optional(**properties) -> dict:
    """openapi_extra of an endpoint whose JSON body is optional."""
    return {
        "requestBody": {
            "required": False,
            "content": {
                "application/json": {"schema": {"type": "object", "properties": properties}}
            },
        }
    }


OFFER_BODY = _optional(
    offer={"type": "integer", "description": "交接编号（缺省：最新一条待确认的交接）"}
)
SIGN_OUT_BODY = _optional(
    return_ticket={
        "type": "boolean",
        "description": "将窗口上已叫号或办理中的号退回队列（按原顺序）",
    }
)


@router.post(
    "/staff/window/hand-over",
    response={201: OfferOut, **errors(401, 403, 404, 409, 413)},
    auth=auth,
    summary="发起窗口交接（同事确认后生效；确认前窗口仍由本人值守）",
)
def api_hand_over(request, payload: HandOverIn):
    to = selectors.get_staff(payload.to)
    return Status(
        201,
        _offer_out(services.hand_over(_staff(request), to, reason=payload.reason, request=request)),
    )


@router.get(
    "/staff/window/hand-over",
    response={200: OffersOut, **errors(401, 403)},
    auth=auth,
    summary="我发起的和待我确认的窗口交接",
)
def api_offers(request):
    staff = _staff(request)
    made = selectors.offer_made(selectors.session_of(staff))
    return OffersOut(
        made=_offer_out(made) if made else None,
        received=[_offer_out(o) for o in selectors.offers_for(staff)],
    )


@router.post(
    "/staff/window/hand-over/accept",
    response={200: SessionOut, **errors(400, 401, 403, 404, 409)},
    auth=auth,
    openapi_extra=OFFER_BODY,
    summary="确认接岗（交接生效：对方签退、本人签到，窗口不中断；offer 缺省为最新一条）",
)
def api_accept_hand_over(request):
    offer = _optional_body(request, OfferRefIn).offer
    return _session_out(services.accept_hand_over(_staff(request), offer, request=request))


@router.post(
    "/staff/window/hand-over/decline",
    response={200: OfferOut, **errors(400, 401, 403, 404, 409)},
    auth=auth,
    openapi_extra=OFFER_BODY,
    summary="拒绝接岗",
)
def api_decline_hand_over(request):
    offer = _optional_body(request, OfferRefIn).offer
    return _offer_out(services.decline_hand_over(_staff(request), offer, request=request))


@router.post(
    "/staff/window/hand-over/withdraw",
    response={200: OfferOut, **errors(401, 403, 404, 409)},
    auth=auth,
    summary="撤回我发起的交接",
)
def api_withdraw_hand_over(request):
    return _offer_out(services.withdraw_hand_over(_staff(request), request=request))


@router.post(
    "/staff/window/sign-out",
    response={200: SessionOut, **errors(400, 401, 403, 404, 409)},
    auth=auth,
    openapi_extra=SIGN_OUT_BODY,
    summary="签退（窗口有已叫号或办理中的号时须先办结、转办，或 return_ticket=true 退回队列）",
)
def api_sign_out(request):
    return_ticket = _optional_body(request, SignOutIn).return_ticket
    return _session_out(
        services.sign_out_window(_staff(request), return_ticket=return_ticket, request=request)
    )


class StaffingOut(Schema):
    outlet: str
    date: date
    duty_group: str
    profile: list[tuple[time, int]]
    gaps: list[str]


@router.get(
    "/staff/rota/{outlet_code}/staffing",
    response={200: StaffingOut, **errors(401, 403, 404)},
    auth=auth,
    summary="某日每半小时在岗窗口数（供人力测算对比）",
)
def staffing(request, outlet_code: str, day: ScheduleDate):
    from yimen.outlets.selectors import get_outlet

    outlet = get_outlet(outlet_code)
    authorize(_staff(request), "staff.rota.view", outlet)
    r = selectors.rota(outlet, day, day)
    from . import rules

    return StaffingOut(
        outlet=outlet.code,
        date=day,
        duty_group=selectors.duty_group_on(outlet, day),
        profile=rules.half_hour_profile(r.assignments, day),
        gaps=[str(g) for g in r.gaps],
    )


class PersonOut(Schema):
    username: str
    name: str
    role: str
    role_label: str
    outlet: str | None
    department: str | None
    shift_group: str
    phone: str
    active: bool


def _person(s) -> PersonOut:
    return PersonOut(
        username=s.user.username,
        name=s.name,
        role=s.role,
        role_label=s.role_label,
        outlet=s.outlet.code if s.outlet_id else None,
        department=s.department.code if s.department_id else None,
        shift_group=s.shift_group,
        phone=mask_phone(s.phone),
        active=s.active,
    )


@router.get(
    "/staff/people",
    response={200: list[PersonOut], **errors(401, 403, 404)},
    auth=auth,
    summary="工作人员名单（本人范围内：本网点 / 本部门 / 本辖区；手机号脱敏）",
)
def people(request, outlet: str | None = None):
    qs = selectors.visible_staff(_staff(request))
    if outlet:
        qs = qs.filter(outlet__code=outlet)
    return [_person(s) for s in qs[:500]]


@router.get(
    "/staff/people/{username}",
    response={200: PersonOut, **errors(401, 403, 404)},
    auth=auth,
    summary="工作人员信息（本人范围内）",
)
def person(request, username: str):
    return _person(selectors.get_staff(username, viewer=_staff(request)))


class RevealIn(Schema):
    reason: str


class PhoneOut(Schema):
    username: str
    phone: str


@router.post(
    "/staff/{username}/phone/reveal",
    response={200: PhoneOut, **errors(401, 403, 404, 409, 413)},
    auth=auth,
    summary="查看工作人员完整手机号（留痕）",
)
def reveal_phone(request, username: str, payload: RevealIn):
    target = selectors.get_staff(username, viewer=_staff(request))
    if not target.outlet_id:
        raise ValidationFailed("该人员没有所属网点。")
    value = services.reveal(
        _staff(request),
        target,
        "phone",
        reason=payload.reason,
        outlet=target.outlet,
        request=request,
    )
    return {"username": username, "phone": value}
