"""A staff member's own pages: login (lockout, TOTP), logout, workbench, window sign-in / pause /
hand-over. Thin: the work is in services/selectors. The shared helpers (`_staff_or_403`, `_int`,
`_can`) live here; the people lists and the rota are in `people.py`."""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from yimen.core import clock
from yimen.core.errors import DomainError, NotFound, ValidationFailed
from yimen.core.masking import mask_phone
from yimen.core.qr import qr_svg
from yimen.core.validators import parse_id

from .. import authz, selectors, services
from ..authz import allowed_actions, authorize
from ..models import Staff, TotpDevice

PENDING_KEY = "yimen_pending_2fa"
PENDING_SECONDS = 300


def _safe_next(request, default="/staff/"):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _staff_or_403(request) -> Staff:
    return authz.request_staff(request, "该账号不是工作人员账号。")


def _int(value) -> int:
    """A posted id as an int; anything else becomes 0 (so a bad form never becomes a 500)."""
    return parse_id(value, 0) or 0


def _can(staff, action, outlet):
    from ..authz import check

    return check(staff, action, outlet)


def _lock_message():
    return f"登录失败次数过多，该账号已暂时锁定，请 {settings.YIMEN.get('LOCKOUT_MINUTES', 30)} 分钟后再试或联系管理员。"


# --- login / logout / TOTP ---------------------------------------------------------------------


def login_view(request):
    next_url = _safe_next(request)
    error = ""
    username = ""
    if request.method == "POST":
        username = (request.POST.get("username") or "").strip()
        password = request.POST.get("password") or ""
        if not username or not password:
            error = "请输入用户名和密码。"
        else:
            user = authenticate(request, username=username, password=password)
            if user is None:
                error = (
                    _lock_message()
                    if getattr(request, "yimen_login_locked", False)
                    else "用户名或密码错误。"
                )
            elif not hasattr(user, "staff"):
                error = "该账号不是工作人员账号，请联系管理员。"
            elif services.totp_required(user.staff):
                request.session[PENDING_KEY] = {
                    "uid": user.pk,
                    "at": clock.now().isoformat(),
                    "next": next_url,
                }
                return redirect("staff:login_totp")
            else:
                login(request, user)
                services.record_login_success(user, request=request)
                return redirect(next_url)
    return render(
        request,
        "staff/login.html",
        {
            "error": error,
            "username": username,
            "next": next_url,
            "totp_off": not settings.YIMEN.get("REQUIRE_TOTP"),
            "idle_minutes": settings.SESSION_COOKIE_AGE // 60,
        },
        status=401 if error else 200,
    )


def _pending_user(request):
    pending = request.session.get(PENDING_KEY)
    if not pending:
        return None, None
    started = datetime.fromisoformat(pending["at"])
    if clock.now() - started > timedelta(seconds=PENDING_SECONDS):
        request.session.pop(PENDING_KEY, None)
        return None, None
    staff = Staff.objects.select_related("user").filter(user_id=pending["uid"]).first()
    return staff, pending


def _qr_svg(uri: str) -> str:
    return qr_svg(uri, scale=4, dark="#1f2937")


def login_totp_view(request):
    """Second step: a TOTP code; the first time (role requires it) enrol with a QR code."""
    staff, pending = _pending_user(request)
    if staff is None:
        messages.error(request, "登录已超时，请重新输入用户名和密码。")
        return redirect("staff:login")
    device = TotpDevice.objects.filter(staff=staff).first()
    enrolling = device is None or not device.confirmed
    error = ""
    if services.locked_until(staff.user.username, request=request):
        request.session.pop(PENDING_KEY, None)
        return render(
            request,
            "staff/login.html",
            {"error": _lock_message(), "next": pending["next"], "totp_off": False},
            status=401,
        )
    if enrolling:
        device = services.start_totp_enrolment(staff)
    if request.method == "POST":
        code = request.POST.get("code", "")
        try:
            if enrolling:
                services.confirm_totp(staff, code, request=request)
                ok = True
            else:
                ok = services.check_totp(staff, code, request=request)
        except ValidationFailed as exc:
            services.record_login_failure(staff.user.username, request=request, stage="totp")
            ok, error = False, exc.message
        if ok:
            request.session.pop(PENDING_KEY, None)
            login(request, staff.user, backend="yimen.staff.backends.LockoutBackend")
            services.record_login_success(staff.user, request=request)
            return redirect(pending["next"])
        error = error or "动态口令不正确或已使用过，请等待下一个口令。"
        if services.locked_until(staff.user.username, request=request):
            request.session.pop(PENDING_KEY, None)
            return render(
                request,
                "staff/login.html",
                {"error": _lock_message(), "next": pending["next"], "totp_off": False},
                status=401,
            )
    context = {"error": error, "enrolling": enrolling}
    if enrolling:
        uri = services.provisioning_uri(device)
        context.update(qr=_qr_svg(uri), secret=device.secret)
    return render(request, "staff/login_totp.html", context, status=401 if error else 200)


@login_required
def totp_enrol_view(request):
    """Voluntary enrolment (any role) for a signed-in member of staff."""
    staff = _staff_or_403(request)
    device = services.start_totp_enrolment(staff)
    if request.method == "POST" and not device.confirmed:
        try:
            services.confirm_totp(staff, request.POST.get("code", ""), request=request)
            messages.success(request, "动态口令已启用，今后登录需输入手机上的 6 位口令。")
            return redirect("staff:workbench")
        except DomainError as exc:
            messages.error(request, exc.message)
    context = {"device": device, "confirmed": device.confirmed}
    if not device.confirmed:
        context.update(qr=_qr_svg(services.provisioning_uri(device)), secret=device.secret)
    return render(request, "staff/totp.html", context)


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        from yimen.core import audit

        audit.record(request.user, "auth.logout", request.user, request=request)
    logout(request)
    messages.success(request, "您已安全退出。")
    return redirect("staff:login")


# --- workbench -----------------------------------------------------------------------------------

ROLE_LINKS = {
    "guide": [
        ("/guide/", "引导台（导办、取号）"),
        ("/queue/", "排队叫号"),
        ("/outreach/reminders/", "主动服务：年度认证提醒"),
    ],
    "clerk": [
        ("/staff/window/", "窗口签到、暂停与交接"),
        ("/queue/console/", "窗口叫号台"),
        ("/cases/", "办件"),
        ("/outreach/reminders/", "主动服务：年度认证提醒"),
    ],
    "approver": [("/cases/", "本部门办件审批")],
    "chief": [("/queue/", "排队叫号"), ("/feedback/", "好差评·办不成事"), ("/cases/", "办件")],
    "director": [
        ("/queue/", "排队叫号"),
        ("/feedback/", "好差评·办不成事"),
        ("/insight/", "数据看板"),
    ],
    "leader": [("/insight/", "数据看板"), ("/feedback/", "办不成事督办")],
    "admin": [("/admin/", "系统管理（事项、网点、窗口、账号）"), ("/insight/", "数据看板")],
}


@login_required
def workbench(request):
    staff = _staff_or_403(request)
    authorize(staff, "staff.workbench")
    links = list(ROLE_LINKS.get(staff.role, []))
    if staff.outlet_id and staff.role in {"guide", "clerk", "chief", "director"}:
        links.append((f"/staff/rota/{staff.outlet.code}/", "本周 A/B 排班"))
    if staff.role in {"chief", "director", "leader", "admin"}:
        links.append(("/staff/people/", "人员名单"))
    session = selectors.session_of(staff)
    scope = []
    if staff.outlet_id:
        scope.append(f"网点：{staff.outlet.name}")
    if staff.department_id:
        scope.append(f"部门：{staff.department.name}")
    if staff.region_code:
        scope.append(f"辖区：{staff.region_code}")
    if staff.role == "admin":
        scope.append("全部网点与部门")
    today = clock.today()
    return render(
        request,
        "staff/workbench.html",
        {
            "staff": staff,
            "links": links,
            "session": session,
            "scope": scope,
            "phone": mask_phone(staff.phone),
            "duty_group": selectors.duty_group_on(staff.outlet, today) if staff.outlet_id else "",
            "totp_device": TotpDevice.objects.filter(
                staff=staff, confirmed_at__isnull=False
            ).first(),
            "actions": allowed_actions(staff),
        },
    )


# --- window sign-in, pause, hand-over --------------------------------------------------------------


@login_required
def window_view(request):
    staff = _staff_or_403(request)
    from yimen.outlets.models import Window

    if request.method == "POST":
        op = request.POST.get("op", "")
        try:
            if op == "sign_in":
                window = (
                    Window.objects.filter(pk=_int(request.POST.get("window")))
                    .select_related("outlet")
                    .first()
                )
                if window is None:
                    raise NotFound("找不到该窗口。")
                services.sign_in_window(staff, window, request=request)
                messages.success(request, f"已签到 {window.number} 号窗口，开始服务。")
            elif op == "pause":
                reason = request.POST.get("reason", "")
                if reason == "其他":
                    reason = request.POST.get("reason_text", "").strip() or ""
                services.pause_window(staff, reason, request=request)
                messages.success(request, f"窗口已暂停（{reason}）。")
            elif op == "resume":
                services.resume_window(staff, request=request)
                messages.success(request, "窗口已恢复服务。")
            elif op == "hand_over":
                to = (
                    Staff.objects.filter(pk=_int(request.POST.get("to")))
                    .select_related("user")
                    .first()
                )
                if to is None:
                    raise ValidationFailed("请选择接岗的同事。")
                offer = services.hand_over(
                    staff, to, reason=request.POST.get("reason") or "午餐接力", request=request
                )
                messages.success(
                    request,
                    f"已向{to.name}发出交接，待其在本页确认后生效"
                    f"（{clock.local(offer.expires_at):%H:%M} 前有效）；确认前窗口仍由您值守。",
                )
            elif op == "withdraw_hand_over":
                services.withdraw_hand_over(staff, request=request)
                messages.success(request, "已撤回交接，窗口仍由您值守。")
            elif op == "accept_hand_over":
                session = services.accept_hand_over(
                    staff, _int(request.POST.get("offer")) or None, request=request
                )
                messages.success(request, f"已接岗 {session.window.number} 号窗口，开始服务。")
            elif op == "decline_hand_over":
                services.decline_hand_over(
                    staff, _int(request.POST.get("offer")) or None, request=request
                )
                messages.success(request, "已拒绝接岗。")
            elif op == "close":
                window = (
                    Window.objects.filter(pk=_int(request.POST.get("window")))
                    .select_related("outlet")
                    .first()
                )
                if window is None:
                    raise NotFound("找不到该窗口。")
                services.close_window(
                    staff, window, reason=request.POST.get("reason", ""), request=request
                )
                messages.success(request, f"已关闭 {window.number} 号窗口的签到。")
            elif op == "sign_out":
                returning = request.POST.get("return_ticket") == "1"
                services.sign_out_window(staff, return_ticket=returning, request=request)
                messages.success(
                    request,
                    "已将窗口的号退回队列（按原顺序等候），已签退。"
                    if returning
                    else "已签退，窗口关闭。",
                )
            else:
                raise ValidationFailed("未知操作。")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("staff:window")
    session = selectors.session_of(staff)
    windows = []
    if staff.outlet_id:
        states = selectors.window_states(staff.outlet)
        holders = selectors.window_holders(staff.outlet)
        for w in selectors.queue_windows(staff.outlet):
            windows.append(
                {
                    "window": w,
                    "state": states.get(w.pk, "closed"),
                    "holder": holders.get(w.pk),
                    "mine": w.pk == staff.home_window_id,
                }
            )
    from yimen.queueing.services import held_by

    return render(
        request,
        "staff/window.html",
        {
            "staff": staff,
            "session": session,
            "windows": windows,
            "candidates": selectors.hand_over_candidates(staff) if session else [],
            "offer_made": selectors.offer_made(session),
            "offers": selectors.offers_for(staff),
            "held": held_by(session.window) if session else None,
            "reasons": services.PAUSE_REASONS,
            "can_close": bool(staff.outlet_id) and _can(staff, "staff.window.close", staff.outlet),
        },
    )
