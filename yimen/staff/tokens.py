"""API tokens: `Authorization: Bearer <token>`. Staff tokens act as that member of staff; device
tokens act for an outlet's kiosks, boards and bank terminals (issue tickets, read boards)."""

import hashlib
import secrets
import threading
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from ninja.security import HttpBearer
from ninja.utils import check_csrf

from yimen.core import audit, changes, clock
from yimen.core.refresher import refresher

from .models import ApiToken


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def issue_token(*, staff=None, outlet=None, label: str = "", actor=None) -> tuple[ApiToken, str]:
    raw = "ym_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        label=label or (f"staff:{staff.user.username}" if staff else f"device:{outlet.code}"),
        staff=staff,
        device_outlet=outlet,
        key_prefix=raw[:10],
        key_hash=_hash(raw),
        created_at=clock.now(),
    )
    audit.record(actor, "token.issue", token, after={"label": token.label})
    return token, raw


@transaction.atomic
def revoke_token(token: ApiToken, actor=None) -> None:
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor, "token.revoke", token)


_tokens = changes.VersionedCache(maxsize=4096)


def _lookup(key_hash: str) -> ApiToken | None:
    return (
        ApiToken.objects.select_related("staff__user", "device_outlet")
        .filter(key_hash=key_hash, revoked_at__isnull=True)
        .first()
    )


def warm_up() -> int:
    """Cache the lookups of the live tokens of active staff and of devices (a server process, as
    it starts): otherwise every window's first poll after a restart goes through Django to look
    its token up. At most half the cache; returns how many."""
    live = (
        ApiToken.objects.select_related("staff__user", "device_outlet")
        .filter(revoked_at__isnull=True)
        .filter(Q(staff__active=True, staff__user__is_active=True) | Q(device_outlet__isnull=False))
        .order_by("-pk")[: _tokens.maxsize // 2]
    )
    count = 0
    for token in live:
        _tokens.put("auth", token.key_hash, token)
        count += 1
    return count


def peek_token(raw: str) -> ApiToken | None:
    """The live token for `raw` if its lookup is cached and current and its last use was recorded
    within the minute — or will be, by core.refresher's next round; None otherwise (then
    authenticate_token decides). No database."""
    token = _tokens.peek("auth", _hash(raw)) if raw else None
    if token is None or token.staff is None and token.device_outlet is None:
        return None
    if token.staff and (not token.staff.active or not token.staff.user.is_active):
        return None
    if token.last_used_at is None or clock.now() - token.last_used_at > timedelta(minutes=1):
        return token if _record_use_later(token) else None
    return token


_uses_lock = threading.Lock()
_uses: dict[int, ApiToken] = {}  # tokens whose use the next refresher round records


def _record_use_later(token: ApiToken) -> bool:
    """Record the token's use in core.refresher's next round, one UPDATE for every token used
    meanwhile (False: the refresher is off). Every window's token otherwise sent one poll a
    minute through Django just to move this timestamp."""
    with _uses_lock:
        if _uses:
            _uses[token.pk] = token
            return True
        if not refresher.chore(_record_uses):
            return False
        _uses[token.pk] = token
        return True


def _record_uses() -> None:
    with _uses_lock:
        tokens = list(_uses.values())
        _uses.clear()
    now = clock.now()
    ApiToken.objects.filter(pk__in=[t.pk for t in tokens]).update(last_used_at=now)
    for token in tokens:
        token.last_used_at = now


def authenticate_token(raw: str) -> ApiToken | None:
    """The live token for `raw`, or None. Bank terminals and window clients send a token with
    every request, so lookups are cached per process under the "auth" topic (core.changes): saving
    a token, a member of staff or a user (revocation, deactivation, role change — services and the
    admin alike) drops every cached lookup in every process."""
    if not raw:
        return None
    key_hash = _hash(raw)
    token = _tokens.get("auth", key_hash, lambda: _lookup(key_hash))
    if token is None:
        return None
    if token.staff and (not token.staff.active or not token.staff.user.is_active):
        return None
    now = clock.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


class Principal:
    """Who is calling the API: a member of staff, or a device of an outlet."""

    def __init__(self, staff=None, device_outlet=None, token=None):
        self.staff = staff
        self.device_outlet = device_outlet
        self.token = token

    @property
    def is_device(self):
        return self.device_outlet is not None


class BearerAuth(HttpBearer):
    """ninja auth: a bearer token, or a logged-in staff session (pages calling the API)."""

    def __call__(self, request):
        user = getattr(request, "user", None)
        has_bearer = request.headers.get("Authorization", "").lower().startswith("bearer ")
        if not has_bearer and user is not None and user.is_authenticated and hasattr(user, "staff"):
            # a browser session: unsafe methods must carry the CSRF token (pages send it via htmx)
            if request.method not in ("GET", "HEAD", "OPTIONS") and check_csrf(request) is not None:
                from yimen.core.errors import Forbidden
                from yimen.core.http_errors import CSRF_MESSAGE

                raise Forbidden(CSRF_MESSAGE, code="csrf_failed")
            request.principal = Principal(staff=user.staff)
            return request.principal
        return super().__call__(request)

    def authenticate(self, request, token):
        api_token = authenticate_token(token)
        if api_token is None:
            return None
        principal = Principal(
            staff=api_token.staff, device_outlet=api_token.device_outlet, token=api_token
        )
        request.principal = principal
        return principal
