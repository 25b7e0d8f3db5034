"""Staff API: who am I, window states of an outlet (for boards and the queue), my window session
(sign-in, pause, resume, hand-over, sign-out), rota staffing, and the audited phone reveal."""
from datetime import date, time

from ninja import Router, Schema

from yimen.core.errors import NotFound, Unauthorized, ValidationFailed
from yimen.core.inputs import ScheduleDate, errors
from yimen.core.masking import mask_phone
from yimen.staff.tokens import BearerAuth

from . import selectors, services
from .authz import authorize

router = Router(tags=["人员与窗口"])
auth = BearerAuth()


def _staff(request):
    principal = getattr(request, "principal", None)
    if principal is None or principal.staff is None:
        raise Unauthorized("该操作需要工作人员身份（设备令牌不可用）。")
    return principal.staff


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


@router.get("/staff/me", response={200: MeOut, **errors(401, 403)}, auth=auth, summary="当前工作人员")
def me(request):
    staff = _staff(request)
    session = selectors.session_of(staff)
    return MeOut(username=staff.user.username, name=staff.name, role=staff.role, role_label=staff.role_label,
                 outlet=staff.outlet.code if staff.outlet_id else None,
                 department=staff.department.code if staff.department_id else None,
                 region_code=staff.region_code, shift_group=staff.shift_group, phone=mask_phone(staff.phone),
                 window=session.window.code if session else None,
                 window_state=session.state if session else "closed")


class WindowStateOut(Schema):
    window: str
    number: str
    state: str


@router.get("/staff/outlets/{outlet_code}/windows", response={200: list[WindowStateOut], **errors(401, 403, 404)}, auth=auth,
            summary="网点各窗口状态（serving / paused / closed）")
def window_states(request, outlet_code: str):
    from yimen.outlets.models import Window
    from yimen.outlets.selectors import get_outlet

    outlet = get_outlet(outlet_code)
    principal = request.principal
    if principal.is_device:
        if principal.device_outlet.pk != outlet.pk:
            raise NotFound("设备令牌只能读取本网点。")
    else:
        authorize(principal.staff, "staff.rota.view", outlet=outlet)
    states = selectors.window_states(outlet)
    return [WindowStateOut(window=w.code, number=w.number, state=states.get(w.pk, "closed"))
            for w in Window.objects.filter(outlet=outlet).order_by("group_code", "number")]


class SessionOut(Schema):
    window: str
    state: str
    staff: str
    pause_reason: str


def _session_out(session):
    return SessionOut(window=session.window.code, state=session.state if session.ended_at is None else "closed",
                      staff=session.staff.user.username, pause_reason=session.pause_reason)


class SignInIn(Schema):
    window: str


class WindowPauseIn(Schema):
    reason: str


class HandOverIn(Schema):
    to: str
    reason: str = "午餐接力"


@router.post("/staff/window/sign-in", response={200: SessionOut, **errors(401, 403, 404, 409, 413)}, auth=auth, summary="签到窗口")
def api_sign_in(request, payload: SignInIn):
    from yimen.outlets.models import Window

    staff = _staff(request)
    window = Window.objects.select_related("outlet").filter(code=payload.window).first()
    if window is None:
        raise NotFound(f"找不到窗口：{payload.window}")
    return _session_out(services.sign_in_window(staff, window, request=request))


@router.post("/staff/window/pause", response={200: SessionOut, **errors(401, 403, 404, 409, 413)}, auth=auth, summary="暂停窗口（如午餐接力）")
def api_pause(request, payload: WindowPauseIn):
    return _session_out(services.pause_window(_staff(request), payload.reason, request=request))


@router.post("/staff/window/resume", response={200: SessionOut, **errors(401, 403, 404, 409)}, auth=auth, summary="恢复服务")
def api_resume(request):
    return _session_out(services.resume_window(_staff(request), request=request))


@router.post("/staff/window/hand-over", response={200: SessionOut, **errors(401, 403, 404, 409, 413)}, auth=auth, summary="交接窗口给同事")
def api_hand_over(request, payload: HandOverIn):
    to = selectors.get_staff(payload.to)
    return _session_out(services.hand_over(_staff(request), to, reason=payload.reason, request=request))


@router.post("/staff/window/sign-out", response={200: SessionOut, **errors(401, 403, 404, 409)}, auth=auth, summary="签退")
def api_sign_out(request):
    return _session_out(services.sign_out_window(_staff(request), request=request))


class StaffingOut(Schema):
    outlet: str
    date: date
    duty_group: str
    profile: list[tuple[time, int]]
    gaps: list[str]


@router.get("/staff/rota/{outlet_code}/staffing", response={200: StaffingOut, **errors(401, 403, 404)}, auth=auth,
            summary="某日每半小时在岗窗口数（供人力测算对比）")
def staffing(request, outlet_code: str, day: ScheduleDate):
    from yimen.outlets.selectors import get_outlet

    outlet = get_outlet(outlet_code)
    authorize(_staff(request), "staff.rota.view", outlet=outlet)
    r = selectors.rota(outlet, day, day)
    from . import rules

    return StaffingOut(outlet=outlet.code, date=day, duty_group=selectors.duty_group_on(outlet, day),
                       profile=rules.half_hour_profile(r.assignments, day), gaps=[str(g) for g in r.gaps])


class RevealIn(Schema):
    reason: str


class PhoneOut(Schema):
    username: str
    phone: str


@router.post("/staff/{username}/phone/reveal", response={200: PhoneOut, **errors(401, 403, 404, 409, 413)}, auth=auth, summary="查看工作人员完整手机号（留痕）")
def reveal_phone(request, username: str, payload: RevealIn):
    target = selectors.get_staff(username)
    if not target.outlet_id:
        raise ValidationFailed("该人员没有所属网点。")
    value = services.reveal(_staff(request), target, "phone", reason=payload.reason, outlet=target.outlet,
                            request=request)
    return {"username": username, "phone": value}
