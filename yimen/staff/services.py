"""Writes about staff: window sessions (sign-in, pause, resume, hand-over, sign-out), sign-in
security (lockout, TOTP), leave and swaps for the A/B rota, and audited reveals of personal data.
Every write is one transaction, checks permission through authz, and leaves an audit entry."""

from datetime import timedelta

import pyotp
from django.conf import settings
from django.db import transaction

from yimen.core import audit, clock
from yimen.core.errors import Conflict, ValidationFailed
from yimen.core.masking import redact
from yimen.core.validators import is_digits

from .authz import authorize, staff_of
from .models import (
    ADMIN,
    APPROVER,
    DIRECTOR,
    ApiToken,
    Leave,
    LoginFailure,
    LoginLock,
    ShiftSwap,
    Staff,
    TotpDevice,
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


# --- sign-in security: lockout ------------------------------------------------------------------


def _policy():
    cfg = settings.YIMEN
    return (
        int(cfg.get("LOCKOUT_FAILURES", 5)),
        timedelta(minutes=int(cfg.get("LOCKOUT_WINDOW_MINUTES", 15))),
        timedelta(minutes=int(cfg.get("LOCKOUT_MINUTES", 30))),
    )


def _address_limit() -> int:
    return int(settings.YIMEN.get("LOCKOUT_FAILURES_PER_ADDRESS", 20))


def normalize_username(username: str) -> str:
    return (username or "").strip()[:150]


def _source(ip=None, request=None) -> tuple[str | None, str]:
    """(the client's address, the counting key: IPv4 or the IPv6 /64)."""
    from yimen.core.clientaddr import limit_key

    ip = ip or audit.client_ip(request)
    return ip, limit_key(ip)[:64]


def locked_until(username: str, *, ip=None, request=None):
    """When the lock on this username *from this address* ends (or on the address for every
    username), or None when it may try to sign in. Failures elsewhere never lock it here."""
    _ip, source = _source(ip, request)
    lock = (
        LoginLock.objects.filter(
            source=source,
            username__in=[normalize_username(username), ""],
            locked_until__gt=clock.now(),
        )
        .order_by("-locked_until")
        .first()
    )
    return lock.locked_until if lock else None


def _lock(username: str, source: str, now, duration, since) -> tuple:
    """Lock (username, source) when its failures since `since` reach the limit; returns (until, count)."""
    limit = _policy()[0] if username else _address_limit()
    lock = LoginLock.objects.select_for_update().filter(username=username, source=source).first()
    if lock and lock.locked_until > now:
        return lock.locked_until, 0
    if lock and lock.locked_until > since:
        since = lock.locked_until  # failures before the last lock ended do not count again
    failures = LoginFailure.objects.filter(source=source, at__gt=since)
    recent = (failures.filter(username=username) if username else failures).count()
    if recent < limit:
        return None, recent
    until = now + duration
    LoginLock.objects.update_or_create(
        username=username, source=source, defaults={"locked_at": now, "locked_until": until}
    )
    return until, recent


@transaction.atomic
def record_login_failure(username: str, *, ip=None, request=None, stage: str = "password"):
    """Count a failure (existing user or not — same treatment). At the limit, lock the username for
    the address the failures came from (LOCKOUT_FAILURES in LOCKOUT_WINDOW_MINUTES), or the address
    for every username (LOCKOUT_FAILURES_PER_ADDRESS across usernames). Returns the lock's end."""
    username = normalize_username(username)
    now = clock.now()
    _limit, window, duration = _policy()
    ip, source = _source(ip, request)
    LoginFailure.objects.create(username=username, at=now, source_ip=ip, source=source)
    shown = redact(username)  # a mistyped ID number or phone must not reach the audit log in full
    audit.record(
        f"login:{shown}",
        "auth.login_failed",
        None,
        object_type="auth.user",
        object_id=shown[:80],
        after={"stage": stage},
        request=request,
        ip=ip,
    )
    until = None
    for who in (username, ""):
        locked, recent = _lock(who, source, now, duration, now - window)
        if locked and recent:  # a new lock
            audit.record(
                f"login:{shown}",
                "auth.locked",
                None,
                object_type="auth.user",
                object_id=(shown if who else "*")[:80],
                request=request,
                ip=ip,
                after={
                    "failures": recent,
                    "source": source,
                    "locked_until": locked.isoformat(),
                    "scope": "account+address" if who else "address",
                },
            )
        until = max(until, locked) if until and locked else (until or locked)
    return until


@transaction.atomic
def record_login_success(user, *, request=None):
    _ip, source = _source(None, request)
    LoginFailure.objects.filter(username=user.username, source=source).delete()
    LoginLock.objects.filter(username=user.username, locked_until__lte=clock.now()).delete()
    audit.record(user, "auth.login", user, request=request)


@transaction.atomic
def unlock(actor, username: str, *, source: str | None = None, request=None) -> int:
    """Lift the sign-in locks of a username (from every address, or only from `source`); an empty
    username with a source lifts that address's lock for all accounts. Audited; returns how many."""
    authorize(actor, "staff.account.manage")
    username = normalize_username(username)
    locks = LoginLock.objects.filter(username=username)
    failures = (
        LoginFailure.objects.filter(username=username) if username else LoginFailure.objects.all()
    )
    if source is not None:
        locks, failures = locks.filter(source=source), failures.filter(source=source)
    elif not username:
        raise ValidationFailed("请指定要解锁的账号或来源地址。")
    count, _ = locks.delete()
    failures.delete()
    audit.record(
        actor,
        "auth.unlock",
        None,
        object_type="auth.user",
        object_id=username or "*",
        after={"source": source or "all", "locks": count},
        request=request,
    )
    return count


# --- TOTP second factor ---------------------------------------------------------------------------


def totp_roles() -> set[str]:
    return set(settings.YIMEN.get("TOTP_ROLES", [ADMIN, DIRECTOR]))


def totp_required(staff: Staff) -> bool:
    """A second factor is needed: the role requires it (REQUIRE_TOTP) or the person enrolled one."""
    device = TotpDevice.objects.filter(staff=staff, confirmed_at__isnull=False).first()
    if device is not None:
        return True
    return bool(settings.YIMEN.get("REQUIRE_TOTP")) and staff.role in totp_roles()


@transaction.atomic
def start_totp_enrolment(staff: Staff) -> TotpDevice:
    """A new (unconfirmed) secret; confirmed devices are kept until the new one is confirmed."""
    device = TotpDevice.objects.select_for_update().filter(staff=staff).first()
    if device and device.confirmed:
        return device
    if device is None:
        device = TotpDevice.objects.create(staff=staff, secret=pyotp.random_base32())
    return device


def provisioning_uri(device: TotpDevice) -> str:
    return pyotp.TOTP(device.secret).provisioning_uri(
        name=device.staff.user.username, issuer_name="一门政务服务"
    )


def _verify_code(device: TotpDevice, code: str) -> int | None:
    """The matching 30-second step (±1 step of clock drift), or None."""
    code = (code or "").strip().replace(" ", "")
    if not is_digits(code) or len(code) != 6:
        return None
    totp = pyotp.TOTP(device.secret)
    now = clock.now()
    for drift in (0, -1, 1):
        at = now + timedelta(seconds=30 * drift)
        if totp.verify(code, for_time=at, valid_window=0):
            return totp.timecode(at)
    return None


@transaction.atomic
def confirm_totp(staff: Staff, code: str, *, request=None) -> TotpDevice:
    device = TotpDevice.objects.select_for_update().filter(staff=staff).first()
    if device is None:
        raise ValidationFailed("请先生成动态口令二维码。")
    step = _verify_code(device, code)
    if step is None:
        raise ValidationFailed("动态口令不正确，请核对手机上的 6 位数字后重试。")
    device.confirmed_at, device.last_used_step = clock.now(), step
    device.save(update_fields=["confirmed_at", "last_used_step"])
    audit.record(staff, "auth.totp_enrolled", device, request=request)
    return device


@transaction.atomic
def check_totp(staff: Staff, code: str, *, request=None) -> bool:
    """Second step of sign-in. A failure counts toward the lockout; a code is usable once."""
    device = (
        TotpDevice.objects.select_for_update()
        .filter(staff=staff, confirmed_at__isnull=False)
        .first()
    )
    step = _verify_code(device, code) if device else None
    if step is None or step <= device.last_used_step:
        record_login_failure(staff.user.username, request=request, stage="totp")
        return False
    device.last_used_step = step
    device.save(update_fields=["last_used_step"])
    return True


@transaction.atomic
def reset_totp(actor, staff: Staff, *, request=None):
    authorize(actor, "staff.account.manage")
    TotpDevice.objects.filter(staff=staff).delete()
    audit.record(actor, "auth.totp_reset", staff, request=request)


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
