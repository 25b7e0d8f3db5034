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
  for this window — or as many calls of this process already under way for the same queues as
  tickets waiting there — → 204, as call_next itself would answer (`calls.poll_from_cache`, which
  asks the same `calls.idle_for` as call_next). A call-next it hands to Django is counted as
  under way from then on (`calls.calling`): when a ticket arrives, the polls that follow do not
  all queue up in Django for the one ticket;
- board: the outlet's cached board, rendered exactly as django-ninja renders it.

When the answer is not cached only because a change made the entry stale, the fast lane asks
core.refresher to keep that entry current and waits for its next round (milliseconds; at most
STALE_WAIT_SECONDS), instead of sending the request to the back of Django's queue.

Anything else — no cached answer, a body, a query string, another method — goes to Django
unchanged, so every error message, status and side effect comes from the one implementation.
Responses carry the headers the Django stack adds to these endpoints (tests compare them).

Logged (logger `yimen.queueing.fastpath.lane`): every request answered here without Django, at
DEBUG; a request handed to Django after waiting in vain for the refresher, at DEBUG; an exception
caught here (the request then goes to Django), at WARNING with its traceback, once a minute per
kind and endpoint with how many of that kind passed since.
"""

import asyncio
import json
import logging
import re
import threading
import time

from ninja.responses import NinjaJSONEncoder

from yimen.core.refresher import refresher
from yimen.staff.tokens import peek_token

from ..selectors import keep_board_fresh, peek_board
from . import calls
from .hall import peek_outlet

logger = logging.getLogger(__name__)
STALE = calls.STALE  # answer(): cached but stale, being refreshed in the background
STALE_WAIT_SECONDS = 0.5

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


def answer(scope):
    """(status, JSON body) when the caches answer this request; STALE when they will after the
    refresher's next round; Counted or None when Django answers."""
    if scope.get("type") != "http" or scope.get("query_string"):
        return None
    path, method = scope.get("path", ""), scope.get("method")
    if method == "GET":
        match = BOARD.match(path)
        if match is None:
            return None
        outlet = peek_outlet(match.group(1))
        if outlet is None:
            return None
        refreshing = keep_board_fresh(outlet)  # each read keeps the entry wanted
        data = peek_board(match.group(1))
        if data is not None:
            return 200, json.dumps(data, cls=NinjaJSONEncoder).encode()
        return STALE if refreshing else None
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
        poll = calls.poll_from_cache(match.group(1), token.staff)
        if poll is calls.IDLE:
            return 204, b""
        if poll is calls.STALE:
            return STALE
        return None if poll is None else Counted(poll)
    return None


class Counted:
    """answer(): Django answers, and the request counts as a call under way for `key`."""

    def __init__(self, key):
        self.key = key


SWALLOW_LOG_SECONDS = 60.0  # one log line per kind of failure and minute: polls come 100 a second
_swallowed: dict[tuple, float] = {}
_swallowed_lock = threading.Lock()


def _answer(scope):
    try:
        return answer(scope)
    except Exception as exc:  # never fail here: Django gives the real answer
        _log_swallowed(scope, exc)
        return None


def _endpoint(scope) -> str:
    path = scope.get("path", "")
    return "board" if BOARD.match(path) else "call-next" if CALL_NEXT.match(path) else path


def _log_swallowed(scope, exc: Exception) -> None:
    """What the fast lane swallows is logged (with its traceback), at most once a minute for
    each kind of failure at each endpoint, with how many of that kind passed since."""
    endpoint = _endpoint(scope)
    key = (endpoint, type(exc).__name__)
    now = time.monotonic()
    with _swallowed_lock:
        last = _swallowed.get(key)
        count = _swallowed.get(key + ("count",), 0) + 1
        if last is not None and now - last < SWALLOW_LOG_SECONDS:
            _swallowed[key + ("count",)] = count
            return
        _swallowed[key] = now
        _swallowed[key + ("count",)] = 0
    logger.warning(
        "fast lane: %s on %s %s, handed to Django (%d such since the last report)",
        type(exc).__name__,
        scope.get("method"),
        endpoint,
        count,
        exc_info=exc,
    )


class FastLane:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        result = _answer(scope)
        deadline = time.monotonic() + STALE_WAIT_SECONDS
        while result is STALE and (left := deadline - time.monotonic()) > 0:
            try:
                await asyncio.wait_for(refresher.after_next_round(), left)
            except TimeoutError:
                break
            result = _answer(scope)
        if isinstance(result, Counted):
            with calls.calling(result.key):
                return await self.app(scope, receive, send)
        if result is None or result is STALE:
            if result is STALE and logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "fast lane: %s %s still stale after %.0f ms, handed to Django",
                    scope.get("method"),
                    _endpoint(scope),
                    STALE_WAIT_SECONDS * 1000,
                )
            return await self.app(scope, receive, send)
        status, body = result
        if logger.isEnabledFor(logging.DEBUG):  # polls come by the hundred a second
            logger.debug(
                "fast lane: %s %s answered %d without Django",
                scope.get("method"),
                _endpoint(scope),
                status,
            )
        headers = list(COMMON_HEADERS)
        if status != 204:
            headers += [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
