"""“我的”: a citizen finds everything of theirs by ID number + phone + an SMS one-time code.

- `request_code(id_number, phone, ip)`: when the pair belongs together in the records (a ticket,
  booking, case or grievance with both), a 6-digit code is queued through the outbox
  (`portal.mine_code`, sensitive: never shown in lists and wiped after delivery). The answer is
  the same whether or not it was sent (no one learns whose phone is whose). Limits: one code a
  minute and `DAILY_CODES` a day per person, `IP_CODES` an hour per address.
- `verify(id_number, phone, code, ip)`: the latest live code of that person, `MAX_ATTEMPTS`
  tries, `CODE_MINUTES` to live, used once; then the session holds the person's ID hash for
  `SESSION_MINUTES`.
Codes are stored as keyed hashes (HMAC with the secret key), never in the clear.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction

from yimen.core import audit, clock
from yimen.core.errors import DomainError, Forbidden, ValidationFailed
from yimen.core.fields import protected_lookup_hash
from yimen.core.masking import mask_phone
from yimen.core.validators import (
    check_credit_code,
    check_resident_id,
    is_digits,
    normalize_id_number,
)

from .models import MineCode

CODE_MINUTES = 5
MAX_ATTEMPTS = 5
DAILY_CODES = 5
IP_CODES = 20  # an hour, from one address
RESEND_SECONDS = 60
SESSION_MINUTES = 30
SESSION_KEY = "yimen_mine"
SENT_MESSAGE = (
    "如果该手机号登记在您的办事记录中，验证码已发到这个手机（{minutes} 分钟内有效）。"
    "没有收到请核对手机号，或到网点引导台查询。"
)


class TooMany(DomainError):
    status = 429


def _key(*parts: str) -> str:
    secret = hashlib.sha256(("portal.mine:" + settings.SECRET_KEY).encode()).digest()
    return hmac.new(secret, "|".join(parts).encode(), hashlib.sha256).hexdigest()


def _clean(id_number: str, phone: str, kind: str = "person") -> tuple[str, str]:
    from yimen.notify.services import normalize_phone

    if kind == "company":  # 网上申报 by a company: USCC + the 经办人's phone (issue #21)
        idn = (id_number or "").strip().upper()
        credit = check_credit_code(idn)
        if not credit.ok:
            raise ValidationFailed(credit.message, code="bad_credit_code")
    else:
        idn = normalize_id_number(id_number)
        check = check_resident_id(idn)
        if not check:
            raise ValidationFailed(f"身份证号码不正确：{check.message}", code="bad_id_number")
    mobile = normalize_phone(phone)
    if not mobile:
        raise ValidationFailed("请填写 11 位手机号码。", code="bad_phone")
    return idn, mobile


def _phones_of(id_hash: str) -> set[str]:
    """Every phone the records hold for this ID number (tickets, bookings, cases, grievances)."""
    from yimen.cases.selectors import phones_of_applicant
    from yimen.feedback.selectors import phones_of_person
    from yimen.queueing.selectors.citizen import phones_of_person as queue_phones

    return queue_phones(id_hash) | phones_of_applicant(id_hash) | phones_of_person(id_hash)


_PG_MINE_LOCK = 774431  # advisory-lock class of "我的" code requests (object: the person key)


def _lock_person(person: str) -> None:
    """Serialise code requests of one person, so that concurrent requests cannot all pass the
    one-a-minute and daily limits (a burst of SMS to the person's phone). PostgreSQL: an advisory
    transaction lock on the person key; SQLite's IMMEDIATE transactions already serialise."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [_PG_MINE_LOCK, int(person[:7], 16)]
            )


def request_code(
    id_number: str,
    phone: str,
    ip: str,
    *,
    request=None,
    known_only: bool = True,
    kind: str = "person",
) -> str:
    """Queue a one-time code if the pair belongs together; returns the (same) message.
    `known_only=False` (网上申报, issue #21): the code goes to the phone given, whether or not
    the records know it — it proves the phone, and what is signed in is the pair, never the ID
    number alone."""
    from yimen.notify.services import enqueue, normalize_phone

    idn, mobile = _clean(id_number, phone, kind)
    id_hash = protected_lookup_hash(idn)
    person = _key(id_hash, mobile)
    now = clock.now()
    with transaction.atomic():
        _lock_person(person)
        recent = MineCode.objects.filter(person=person, created_at__gte=now - timedelta(days=1))
        if recent.filter(created_at__gte=now - timedelta(seconds=RESEND_SECONDS)).exists():
            raise TooMany("验证码刚刚发过，请 1 分钟后再试。", code="too_soon")
        if recent.count() >= DAILY_CODES:
            raise TooMany(
                "今天获取验证码的次数已用完，请明天再试或到网点查询。", code="daily_limit"
            )
        if (
            MineCode.objects.filter(ip=ip, created_at__gte=now - timedelta(hours=1)).count()
            >= IP_CODES
        ):
            raise TooMany("请求过于频繁，请稍后再试。", code="too_many")
        known = {normalize_phone(p) for p in _phones_of(id_hash)} if known_only else {mobile}
        code = f"{secrets.randbelow(10**6):06d}"
        row = MineCode.objects.create(
            person=person,
            id_hash=id_hash,
            code_hash=_key(person, code),
            ip=ip,
            sent=mobile in known,
            created_at=now,
            expires_at=now + timedelta(minutes=CODE_MINUTES),
        )
        if row.sent:
            enqueue(
                to=mobile,
                template="portal.mine_code",
                params={"code": code, "minutes": str(CODE_MINUTES)},
                dedupe_key=f"portal.mine_code:{row.pk}",
                sensitive=True,
            )
        audit.record(
            "public",
            "portal.mine_code",
            row,
            after={"phone": mask_phone(mobile), "sent": row.sent},
            request=request,
        )
    return SENT_MESSAGE.format(minutes=CODE_MINUTES)


def verify(id_number: str, phone: str, code: str, ip: str, *, request=None) -> str:
    """Check the code; returns the person's ID hash (for the session). Forbidden otherwise."""
    return verify_pair(id_number, phone, code, ip, request=request)[0]


def verify_pair(
    id_number: str, phone: str, code: str, ip: str, *, request=None, kind: str = "person"
) -> tuple[str, str]:
    """Check the code; returns (ID hash, person key = keyed hash of ID + phone)."""
    idn, mobile = _clean(id_number, phone, kind)
    code = (code or "").strip()
    if not (len(code) == 6 and is_digits(code)):  # ASCII digits only ("１２３４５６" is not a code)
        raise ValidationFailed("请输入短信里的 6 位数字验证码。", code="bad_code")
    person = _key(protected_lookup_hash(idn), mobile)
    now = clock.now()
    with transaction.atomic():
        row = (
            MineCode.objects.select_for_update()
            .filter(person=person, used_at__isnull=True, expires_at__gt=now)
            .order_by("-pk")
            .first()
        )
        if row is None:
            raise Forbidden("验证码已过期或不存在，请重新获取。", code="code_expired")
        if row.attempts >= MAX_ATTEMPTS:
            raise TooMany("验证码输错次数太多，请重新获取。", code="too_many_attempts")
        row.attempts += 1
        ok = row.sent and hmac.compare_digest(row.code_hash, _key(person, code))
        if ok:
            row.used_at = now
        row.save(update_fields=["attempts", "used_at"])
        audit.record("public", "portal.mine_verify", row, after={"ok": ok}, request=request)
    if not ok:
        left = MAX_ATTEMPTS - row.attempts
        raise Forbidden(
            f"验证码不正确，还可以再试 {left} 次。" if left else "验证码输错次数太多，请重新获取。",
            code="wrong_code",
        )
    return row.id_hash, row.person


def sign_in(request, id_hash: str) -> None:
    request.session.cycle_key()
    request.session[SESSION_KEY] = {
        "id_hash": id_hash,
        "until": int((clock.now() + timedelta(minutes=SESSION_MINUTES)).timestamp()),
    }


def signed_in(request) -> str | None:
    """The ID hash of the person signed in to “我的” in this session, or None."""
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict) or data.get("until", 0) < clock.now().timestamp():
        return None
    return data.get("id_hash") or None


def sign_out(request) -> None:
    request.session.pop(SESSION_KEY, None)


def records(id_hash: str) -> dict:
    """Everything of this person: tickets, bookings, cases, grievances, ratings (newest first)."""
    from yimen.cases.selectors import cases_of_applicant
    from yimen.feedback.selectors import grievances_of_person, ratings_of_person
    from yimen.queueing.selectors.citizen import appointments_of_person, tickets_of_person

    tickets = tickets_of_person(id_hash)
    cases = cases_of_applicant(id_hash)
    return {
        "tickets": tickets,
        "appointments": appointments_of_person(id_hash),
        "cases": cases,
        "grievances": grievances_of_person(id_hash, tickets=tickets, cases=cases),
        "ratings": ratings_of_person(tickets=tickets, cases=cases),
    }
