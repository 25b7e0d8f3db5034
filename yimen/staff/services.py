"""Writes about staff: accounts (the admin's form), leave and swaps for the A/B rota, and audited
reveals of personal data; window sessions (`window_sessions.py`) and sign-in security (lockout,
TOTP: `login_security.py`) are their own modules, re-exported here so callers use one name.
Every write is one transaction, checks permission through authz, and leaves an audit entry."""

from django.db import transaction

from yimen.core import audit, clock
from yimen.core.errors import Conflict, ValidationFailed

from .authz import authorize, staff_of
from .models import (
    APPROVER,
    ApiToken,
    Leave,
    ShiftSwap,
    Staff,
    WindowSession,
)
from .tokens import revoke_token

# --- window sessions (yimen/staff/window_sessions.py) -------------------------------------------
# Re-exported: callers use `staff.services.sign_in_window` etc.
from .window_sessions import (  # noqa: E402
    PAUSE_REASONS as PAUSE_REASONS,
    _close_session,
    accept_hand_over as accept_hand_over,
    close_window as close_window,
    decline_hand_over as decline_hand_over,
    hand_over as hand_over,
    offer_minutes as offer_minutes,
    pause_window as pause_window,
    resume_window as resume_window,
    sign_in_window as sign_in_window,
    sign_out_window as sign_out_window,
    withdraw_hand_over as withdraw_hand_over,
)

# --- staff accounts (the admin's 工作人员 form) ---------------------------------------------------


def _account_snapshot(staff: Staff) -> dict:
    """What the audit entry of an account change shows (never the phone number itself)."""
    data = {f: getattr(staff, f) for f in ("name", "role", "region_code", "shift_group", "active")}
    for f in ("outlet", "department", "home_window"):
        value = getattr(staff, f)
        data[f] = str(value) if value is not None else None
    return data


@transaction.atomic
def save_staff(actor, staff: Staff, *, request=None) -> Staff:
    """Create or change a member of staff (the admin's form), audited with what changed. A member
    of staff taken off duty (在岗 unticked) or moved to another outlet or role leaves the window
    they are signed in at, and one taken off duty loses their API tokens — at once, not when
    their next call-next fails."""
    user = getattr(actor, "user", actor)
    if not (
        staff_of(actor) is None and getattr(user, "is_superuser", False)
    ):  # Django's own superuser
        authorize(actor, "staff.account.manage")
    old = (
        Staff.objects.select_for_update()
        .filter(pk=staff.pk)
        .order_by("pk")
        .first()  # explicit: Staff's Meta.ordering would join the outlet into the FOR UPDATE
        if staff.pk is not None
        else None
    )
    before = _account_snapshot(old) if old is not None else None
    staff.save()
    after = _account_snapshot(staff)
    changed = {k: v for k, v in after.items() if before is None or before[k] != v}
    if old is not None and old.phone != staff.phone:
        changed["phone"], before["phone"] = "（已修改）", "—"
    if before is not None and not changed:
        return staff
    off_duty = before is not None and before["active"] and not staff.active
    moved = before is not None and bool({"outlet", "role"} & changed.keys())
    if off_duty or moved:
        session = (
            WindowSession.objects.select_for_update()
            .filter(staff=staff, ended_at__isnull=True)
            .first()
        )
        if session is not None:
            why = "账号停用" if off_duty else "岗位变更"
            _close_session(session, actor, why, why, request)
    if off_duty:
        for token in ApiToken.objects.filter(staff=staff, revoked_at__isnull=True):
            revoke_token(token, actor)
    audit.record(
        actor,
        "staff.create" if before is None else "staff.update",
        staff,
        before=None if before is None else {k: before.get(k) for k in changed},
        after=changed,
        request=request,
    )
    return staff


# --- sign-in security: lockout and TOTP (yimen/staff/login_security.py) --------------------------
# Re-exported: callers use `staff.services.record_login_failure`, `staff.services.check_totp` etc.
from .login_security import (  # noqa: E402
    check_totp as check_totp,
    confirm_totp as confirm_totp,
    locked_until as locked_until,
    normalize_username as normalize_username,
    provisioning_uri as provisioning_uri,
    record_login_failure as record_login_failure,
    record_login_success as record_login_success,
    reset_totp as reset_totp,
    start_totp_enrolment as start_totp_enrolment,
    totp_required as totp_required,
    totp_roles as totp_roles,
    unlock as unlock,
)

# --- A/B rota: leave and swaps -------------------------------------------------------------------


def _rota_staff(outlet, *people):
    for person in people:
        if person is not None and person.outlet_id != outlet.pk:
            raise ValidationFailed(f"{person.name}不属于{outlet.name}。")


@transaction.atomic
def record_leave(
    actor,
    staff: Staff,
    start,
    end,
    *,
    kind: str = "事假",
    substitute: Staff | None = None,
    reason: str = "",
    request=None,
) -> Leave:
    outlet = staff.outlet
    if outlet is None:
        raise ValidationFailed("该人员没有所属网点，无需排班。")
    by = authorize(actor, "staff.rota.manage", outlet=outlet)
    if end < start:
        raise ValidationFailed("请假结束日期不能早于开始日期。")
    if (end - start).days > 366:
        raise ValidationFailed("单次请假不能超过一年。")
    if substitute is not None and substitute.pk == staff.pk:
        raise ValidationFailed("顶岗人不能是请假人本人。")
    _rota_staff(outlet, substitute)
    if kind not in dict(Leave._meta.get_field("kind").choices):
        raise ValidationFailed(f"请假类型不正确：{kind}")
    overlap = Leave.objects.filter(
        staff=staff, cancelled_at__isnull=True, start__lte=end, end__gte=start
    ).first()
    if overlap:
        raise Conflict(
            f"{staff.name}在 {overlap.start}～{overlap.end} 已有请假登记。", code="leave_overlap"
        )
    leave = Leave.objects.create(
        staff=staff,
        start=start,
        end=end,
        kind=kind,
        substitute=substitute,
        reason=reason[:200],
        created_by=by,
        created_at=clock.now(),
    )
    audit.record(
        by,
        "rota.leave",
        leave,
        after={
            "staff": staff.user.username,
            "start": str(start),
            "end": str(end),
            "kind": kind,
            "substitute": substitute.user.username if substitute else "",
        },
        reason=reason,
        request=request,
    )
    return leave


@transaction.atomic
def cancel_leave(actor, leave: Leave, *, request=None) -> Leave:
    by = authorize(actor, "staff.rota.manage", outlet=leave.staff.outlet_id)
    if leave.cancelled_at is None:
        leave.cancelled_at = clock.now()
        leave.save(update_fields=["cancelled_at"])
        audit.record(by, "rota.leave_cancel", leave, request=request)
    return leave


@transaction.atomic
def record_swap(
    actor, outlet, day, from_staff: Staff, to_staff: Staff, *, reason: str = "", request=None
) -> ShiftSwap:
    by = authorize(actor, "staff.rota.manage", outlet=outlet)
    if from_staff.pk == to_staff.pk:
        raise ValidationFailed("换班双方不能是同一人。")
    _rota_staff(outlet, from_staff, to_staff)
    if ShiftSwap.objects.filter(
        outlet=outlet, date=day, from_staff=from_staff, cancelled_at__isnull=True
    ).exists():
        raise Conflict(f"{from_staff.name}在 {day} 已有换班登记。", code="swap_exists")
    swap = ShiftSwap.objects.create(
        outlet=outlet,
        date=day,
        from_staff=from_staff,
        to_staff=to_staff,
        reason=reason[:200],
        created_by=by,
        created_at=clock.now(),
    )
    audit.record(
        by,
        "rota.swap",
        swap,
        after={"date": str(day), "from": from_staff.user.username, "to": to_staff.user.username},
        reason=reason,
        request=request,
    )
    return swap


@transaction.atomic
def cancel_swap(actor, swap: ShiftSwap, *, request=None) -> ShiftSwap:
    by = authorize(actor, "staff.rota.manage", outlet=swap.outlet_id)
    if swap.cancelled_at is None:
        swap.cancelled_at = clock.now()
        swap.save(update_fields=["cancelled_at"])
        audit.record(by, "rota.swap_cancel", swap, request=request)
    return swap


# --- personal data: reveal ------------------------------------------------------------------------


def reveal(
    actor, obj, field: str, *, reason: str, outlet=None, department=None, request=None
) -> str:
    """The full value of a protected field for a role that needs it; every reveal is audited —
    and so is every refused one (`personal.reveal_refused`, with the reason it was refused).

    Pass the object's outlet (窗口 / 网点 scope) or, for a department's case, its department."""
    from yimen.core.errors import DomainError

    try:
        with transaction.atomic():
            return _reveal(
                actor,
                obj,
                field,
                reason=reason,
                outlet=outlet,
                department=department,
                request=request,
            )
    except DomainError as exc:
        with (
            transaction.atomic()
        ):  # the refusal is kept although the reveal's transaction rolled back
            audit.record(
                actor if actor is not None else "anonymous",
                "personal.reveal_refused",
                obj,
                after={"field": field, "refused": exc.message},
                reason=reason or "",
                request=request,
            )
        raise


def _reveal(actor, obj, field, *, reason, outlet, department, request):
    if not (reason or "").strip():
        raise ValidationFailed("查看完整个人信息须填写用途（如：核对身份、联系申请人）。")
    from .authz import staff_of

    staff = staff_of(actor)
    if department is not None and staff is not None and staff.role == APPROVER:
        by = authorize(actor, "personal.reveal.department", department=department)
    else:
        by = authorize(actor, "personal.reveal", outlet=outlet)
    value = getattr(obj, field)
    audit.record(by, "personal.reveal", obj, after={"field": field}, reason=reason, request=request)
    return value
