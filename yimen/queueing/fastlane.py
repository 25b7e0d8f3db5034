"""ASGI fast lane for the two hottest API requests of a hall.

An idle window polling `POST /api/windows/{id}/call-next` and a display polling
`GET /api/outlets/{code}/board` make most of the traffic (the benchmark: ~100 of each per second
against 5 tickets per second). Through Django each costs a thread hop and the middleware stack
(~2.4 ms CPU on the benchmark machine) even when the answer is already in the per-process caches.
This ASGI layer answers them in the event loop when — and only when — the caches already hold a
current answer (core.changes: exact in this process, invalidated by PostgreSQL NOTIFY from other
processes):

- call-next: a cached, live staff token whose use was recorded within the minute, the window's
  cached setup and hall state, the clerk signed in and serving there, allowed to call, and nothing
  for this window → 204, as call_next itself would answer (services.certainly_idle);
- board: the outlet's cached board, rendered exactly as django-ninja renders it.

Anything else — no cached answer, a body, a query string, another method — goes to Django
unchanged, so every error message, status and side effect comes from the one implementation.
Responses carry the headers the Django stack adds to these endpoints (tests compare them).
"""
import json
import re

from ninja.responses import NinjaJSONEncoder

from yimen.staff.tokens import peek_token

from . import selectors, services

BOARD = re.compile(r"^/api/outlets/([^/]+)/board$")
CALL_NEXT = re.compile(r"^/api/windows/([^/]+)/call-next$")
COMMON_HEADERS = [
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"vary", b"Accept-Language"),
    (b"content-language", b"zh-hans"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def _header(scope, name: bytes) -> bytes:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value
    return b""


def answer(scope) -> tuple[int, bytes] | None:
    """(status, JSON body) when the caches answer this request, else None (Django answers)."""
    if scope.get("type") != "http" or scope.get("query_string"):
        return None
    path, method = scope.get("path", ""), scope.get("method")
    if method == "GET":
        match = BOARD.match(path)
        if match is None:
            return None
        data = selectors.peek_board(match.group(1))
        return None if data is None else (200, json.dumps(data, cls=NinjaJSONEncoder).encode())
    if method == "POST":
        match = CALL_NEXT.match(path)
        if match is None or _header(scope, b"content-length") not in (b"", b"0"):
            return None
        if _header(scope, b"transfer-encoding"):
            return None
        auth = _header(scope, b"authorization").decode("latin-1")
        if not auth.lower().startswith("bearer "):
            return None
        token = peek_token(auth[7:].strip())
        if token is None or token.staff is None:
            return None
        return (204, b"") if services.certainly_idle(match.group(1), token.staff) else None
    return None


class FastLane:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        try:
            result = answer(scope)
        except Exception:  # noqa: BLE001 — never fail here: Django gives the real answer
            result = None
        if result is None:
            return await self.app(scope, receive, send)
        status, body = result
        headers = list(COMMON_HEADERS)
        if status != 204:
            headers += [(b"content-type", b"application/json; charset=utf-8"),
                        (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
