"""Idempotency keys, as payment APIs use them.

A client that retries a write sends the same `Idempotency-Key` (web forms: a hidden `form_key`);
the write is done once and every retry gets its result. The key is stored with a fingerprint of
the request it was first used for (method, path and body); a later request with the same key
and the same fingerprint is a retry and replays the result, one with a different fingerprint is
refused — 422, code `idempotency_key_reused` — instead of silently answering with the result of
another request.

The key is bound to its caller: the fingerprint includes who sent the request (the API token, the
signed-in member of staff, or "anonymous"), so the same key sent by another caller — even with
the same body — is refused, never answered with someone else's result.

The fingerprint is a keyed hash (HMAC with the site's secret key): bodies carry ID numbers and
phone numbers, and a plain hash of such a short value could be reversed by trying them all.

    fp = idempotency.request_fingerprint(request)        # or call_fingerprint("op", **params)
    idempotency.check(stored_fingerprint, fp)            # raises IdempotencyKeyReused
"""

from __future__ import annotations

import json

from django.utils.crypto import salted_hmac

from .errors import DomainError

MAX_KEY_LENGTH = 100
_IGNORED_FORM_FIELDS = {"csrfmiddlewaretoken"}


class IdempotencyKeyReused(DomainError):
    status = 422
    code = "idempotency_key_reused"


def _digest(text: str) -> str:
    return salted_hmac("yimen.idempotency", text, algorithm="sha256").hexdigest()


def _canonical_body(request) -> str:
    content_type = (request.META.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        items = sorted(
            (k, v)
            for k in request.POST
            for v in request.POST.getlist(k)
            if k not in _IGNORED_FORM_FIELDS
        )
        return json.dumps(items, ensure_ascii=False)
    body = request.body or b""
    if content_type.endswith("json"):
        try:  # key order and white space are not a different request
            return json.dumps(
                json.loads(body), ensure_ascii=False, sort_keys=True, separators=(",", ":")
            )
        except ValueError:
            pass
    return body.decode("utf-8", "replace")


def caller_of(actor) -> str:
    """Who is calling, as the key's owner: an API token (a device or a member of staff), a member
    of staff, a user, or anonymous. Duck-typed so that core does not import staff."""
    if actor is None or isinstance(actor, str):
        return "anonymous"
    token = getattr(actor, "token", None)
    if token is not None and getattr(token, "pk", None) is not None:  # a tokens.Principal
        return f"token:{token.pk}"
    device = getattr(actor, "device_outlet", None)
    if device is not None:
        return f"device:{device.pk}"
    if hasattr(actor, "device_outlet"):  # a Principal of a signed-in member of staff
        actor = actor.staff
    if actor is None:
        return "anonymous"
    user = getattr(actor, "user", None)  # a Staff
    if user is not None and getattr(user, "pk", None) is not None:
        return f"user:{user.pk}"
    if getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None) is not None:
        return f"user:{actor.pk}"
    return "anonymous"


def request_caller(request) -> str:
    """The caller of an HTTP request: the API principal if authenticated, else the signed-in
    user, else anonymous."""
    principal = getattr(request, "principal", None)
    if principal is not None:
        return caller_of(principal)
    return caller_of(getattr(request, "user", None))


def request_fingerprint(request) -> str:
    """Fingerprint of an HTTP request: its caller, method, path with query string, and body (JSON
    canonicalised; form fields sorted, without the CSRF token)."""
    return _digest(
        f"{request_caller(request)}\n{request.method}\n{request.get_full_path()}\n"
        f"{_canonical_body(request)}"
    )


def call_fingerprint(operation: str, *, caller: str = "anonymous", **params) -> str:
    """Fingerprint of a direct service call (no HTTP request): caller, operation, parameters."""
    return _digest(
        f"CALL\n{caller}\n{operation}\n"
        + json.dumps(params, ensure_ascii=False, sort_keys=True, default=str)
    )


def check(stored: str | None, fingerprint: str | None) -> None:
    """Refuse a key reused for a different request. Rows stored before fingerprints existed (empty)
    are replayed as before."""
    if stored and fingerprint and stored != fingerprint:
        raise IdempotencyKeyReused(
            "该 Idempotency-Key 已用于另一笔内容不同（或由其他调用方发出）的请求："
            "同一个 Key 只能由同一调用方用于重试完全相同的请求。"
            "如需办理新的请求，请使用新的 Key（网页请刷新后重新提交）。"
        )
