"""Idempotency keys, as payment APIs use them.

A client that retries a write sends the same `Idempotency-Key` (web forms: a hidden `form_key`);
the write is done once and every retry gets its result. The key is stored with a fingerprint of
the request it was first used for (method, path and body); a later request with the same key
and the same fingerprint is a retry and replays the result, one with a different fingerprint is
refused — 422, code `idempotency_key_reused` — instead of silently answering with the result of
another request.

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


def request_fingerprint(request) -> str:
    """Fingerprint of an HTTP request: method, path with query string, and body (JSON
    canonicalised; form fields sorted, without the CSRF token)."""
    return _digest(f"{request.method}\n{request.get_full_path()}\n{_canonical_body(request)}")


def call_fingerprint(operation: str, **params) -> str:
    """Fingerprint of a direct service call (no HTTP request): the operation and its parameters."""
    return _digest(
        f"CALL\n{operation}\n" + json.dumps(params, ensure_ascii=False, sort_keys=True, default=str)
    )


def check(stored: str | None, fingerprint: str | None) -> None:
    """Refuse a key reused for a different request. Rows stored before fingerprints existed (empty)
    are replayed as before."""
    if stored and fingerprint and stored != fingerprint:
        raise IdempotencyKeyReused(
            "该 Idempotency-Key 已用于另一笔内容不同的请求：同一个 Key 只能用于重试完全相同的请求。"
            "如需办理新的请求，请使用新的 Key（网页请刷新后重新提交）。"
        )
