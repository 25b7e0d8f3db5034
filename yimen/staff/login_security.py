"""Sign-in security: the lockout (failures counted per username and address, locks per address)
and the TOTP second factor (enrolment, check, reset). Re-exported by `staff.services`.
Every write is one transaction, checks permission through authz where an actor acts on someone
else, and leaves an audit entry."""

from datetime import timedelta

import pyotp
from django.conf import settings
from django.db import transaction

from yimen.core import audit, clock
from yimen.core.errors import ValidationFailed
from yimen.core.masking import redact
from yimen.core.validators import is_digits

from .authz import authorize
from .models import ADMIN, DIRECTOR, LoginFailure, LoginLock, Staff, TotpDevice

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
