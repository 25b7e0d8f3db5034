"""The ASGI fast lane (queueing/fastpath/lane.py): idle call-next and boards answered from the caches in
the event loop, byte for byte what Django answers, and everything else left to Django."""

import asyncio
import threading

import pytest
from django.test import Client

from yimen.core import changes
from yimen.queueing import selectors, services
from yimen.queueing.fastpath import calls, lane as fastlane
from yimen.staff import services as staff_services
from yimen.staff.tokens import issue_token, revoke_token

pytestmark = pytest.mark.django_db
ITEM = "XN-CG-001"  # → queue CX-ZH


@pytest.fixture(autouse=True)
def long_lifetimes(monkeypatch):
    # only a change may drop an entry (not the short safety lifetime on a slow machine)
    monkeypatch.setattr(
        changes, "MAX_AGE", {family: (3600.0, 3600.0) for family in changes.MAX_AGE}
    )


def scope(method, path, token=None, body=b"", query=b""):
    headers = [(b"host", b"testserver")]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    if body:
        headers.append((b"content-length", str(len(body)).encode()))
    return {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query,
        "headers": headers,
    }


def in_new_loop(coroutine_function):
    """asyncio.run in a thread of its own: after the browser tests Playwright's event loop is
    still running in the test thread, and asyncio.run refuses to start there."""
    result = {}

    def run():
        try:
            result["value"] = asyncio.run(coroutine_function())
        except BaseException as exc:  # noqa: BLE001 — re-raised in the test thread
            result["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(10)
    if "error" in result:
        raise result["error"]
    return result["value"]


def run_asgi(app, sc):
    """Drive an ASGI app once; returns (status, headers dict, body)."""
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    async def main():
        await app(sc, receive, send)

    in_new_loop(main)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body


@pytest.fixture
def window_client(at_cx, clerk_at):
    staff, window = clerk_at("CX-ZH-201")
    _token, raw = issue_token(staff=staff)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return staff, window, raw, client


def test_idle_call_next_is_answered_in_the_event_loop_like_django(window_client):
    staff, window, raw, client = window_client
    path = f"/api/windows/{window.pk}/call-next"
    assert fastlane.answer(scope("POST", path, raw)) is None  # cold caches: Django answers
    django = client.post(path)
    assert django.status_code == 204
    assert fastlane.answer(scope("POST", path, raw)) == (204, b"")
    called = []

    async def django_app(sc, receive, send):  # must not be reached
        called.append(sc)

    status, headers, body = run_asgi(fastlane.FastLane(django_app), scope("POST", path, raw))
    assert (status, body, called) == (204, b"", [])
    for name, value in fastlane.COMMON_HEADERS:
        assert django.headers[name.decode()] == value.decode() == headers[name.decode()]


def test_a_waiting_ticket_goes_to_django_which_calls_it(window_client):
    staff, window, raw, client = window_client
    path = f"/api/windows/{window.pk}/call-next"
    client.post(path)
    ticket = services.issue_ticket(window.outlet, [ITEM])
    assert fastlane.answer(scope("POST", path, raw)) is None  # stale hall, no refresher: Django
    selectors.hall_state(window.outlet_id)  # what core.refresher does after the change
    handed = fastlane.answer(scope("POST", path, raw))  # Django's turn, counted as a call under way
    assert isinstance(handed, fastlane.Counted) and handed.key == (
        window.outlet_id,
        frozenset({"CX-ZH"}),
    )
    with services.calling(
        handed.key
    ):  # another window's poll meanwhile: that call takes the ticket
        assert fastlane.answer(scope("POST", path, raw)) == (204, b"")
    response = client.post(path)
    assert response.status_code == 200 and response.json()["id"] == ticket.pk


def test_doubtful_requests_go_to_django(window_client, clerk_at):
    staff, window, raw, client = window_client
    path = f"/api/windows/{window.pk}/call-next"
    client.post(path)
    assert fastlane.answer(scope("POST", path, raw)) == (204, b"")
    assert fastlane.answer(scope("POST", path, raw, body=b"{}")) is None  # a body
    assert fastlane.answer(scope("POST", path, raw, query=b"x=1")) is None  # a query string
    assert fastlane.answer(scope("POST", path, "ym_unknown")) is None  # unknown token
    assert fastlane.answer(scope("POST", path)) is None  # no token
    assert fastlane.answer(scope("GET", path, raw)) is None  # another method
    other_staff, other_window = clerk_at("CX-ZH-202")
    other_path = f"/api/windows/{other_window.pk}/call-next"
    assert fastlane.answer(scope("POST", other_path, raw)) is None  # not this clerk's window
    assert client.post(other_path).status_code == 403  # …and Django says why


def test_revoked_token_and_paused_window_go_to_django(window_client):
    staff, window, raw, client = window_client
    path = f"/api/windows/{window.pk}/call-next"
    client.post(path)
    assert fastlane.answer(scope("POST", path, raw)) == (204, b"")
    staff_services.pause_window(staff, "午间轮换")
    assert fastlane.answer(scope("POST", path, raw)) is None
    assert client.post(path).json()["code"] == "window_paused"
    staff_services.resume_window(staff)
    client.post(path)
    assert fastlane.answer(scope("POST", path, raw)) == (204, b"")
    from yimen.staff.models import ApiToken

    revoke_token(ApiToken.objects.get(staff=staff))
    assert fastlane.answer(scope("POST", path, raw)) is None
    assert client.post(path).status_code == 401


def test_board_from_the_cache_is_byte_for_byte_djangos(window_client):
    staff, window, raw, client = window_client
    path = "/api/outlets/XN-CX/board"
    assert fastlane.answer(scope("GET", path)) is None  # cold
    django = client.get(path)
    assert django.status_code == 200
    status, body = fastlane.answer(scope("GET", path))
    assert status == 200 and body == django.content
    services.issue_ticket(window.outlet, [ITEM])  # the board shows waiting counts: stale now
    assert fastlane.answer(scope("GET", path)) is None
    fresh = client.get(path)
    assert fresh.json()["waiting_total"] == django.json()["waiting_total"] + 1
    status, headers, body = run_asgi(fastlane.FastLane(None), scope("GET", path))
    assert (status, body) == (200, fresh.content)
    assert headers["content-type"] == fresh.headers["content-type"]
    assert int(headers["content-length"]) == len(fresh.content)


def test_what_the_fast_lane_swallows_is_logged_once_a_minute_and_django_answers(
    window_client, monkeypatch, caplog
):
    _staff, window, raw, client = window_client
    path = f"/api/windows/{window.pk}/call-next"
    assert client.post(path).status_code == 204  # warms the token, setup and hall caches
    fastlane._swallowed.clear()

    def broken(*args, **kwargs):
        raise RuntimeError("cache entry of an unexpected shape")

    monkeypatch.setattr(calls, "poll_from_cache", broken)
    with caplog.at_level("WARNING", logger="yimen.queueing.fastpath.lane"):
        assert fastlane._answer(scope("POST", path, raw)) is None  # Django answers
        assert fastlane._answer(scope("POST", path, raw)) is None
    swallowed = [r for r in caplog.records if r.name == "yimen.queueing.fastpath.lane"]
    assert len(swallowed) == 1  # the second within the minute is only counted
    assert "RuntimeError" in swallowed[0].getMessage() and "call-next" in swallowed[0].getMessage()
    assert swallowed[0].exc_info is not None
    assert fastlane._swallowed[("call-next", "RuntimeError", "count")] == 1


def test_call_next_and_the_fast_lane_share_one_idle_decision(window_client, monkeypatch):
    """Both ask fastpath.calls.idle_for; when it says idle, call_next returns None and the fast
    lane answers 204 without Django."""
    _staff, window, raw, client = window_client
    asked = []
    real = calls.idle_for

    def spy(*args, **kwargs):
        asked.append(args[3])  # contenders
        return real(*args, **kwargs)

    monkeypatch.setattr(calls, "idle_for", spy)
    path = f"/api/windows/{window.pk}/call-next"
    assert client.post(path).status_code == 204  # call_next, through Django
    assert asked == [0]
    assert fastlane.answer(scope("POST", path, raw)) == (204, b"")
    assert asked == [0, 1]


def test_what_the_fast_lane_answers_without_django_is_logged_at_debug(window_client, caplog):
    _staff, window, raw, client = window_client
    path = f"/api/windows/{window.pk}/call-next"
    assert client.post(path).status_code == 204  # warms the caches
    client.get("/api/outlets/XN-CX/board")

    async def django_app(sc, receive, send):  # must not be reached
        raise AssertionError(sc["path"])

    with caplog.at_level("DEBUG", logger="yimen.queueing.fastpath.lane"):
        assert run_asgi(fastlane.FastLane(django_app), scope("POST", path, raw))[0] == 204
        board = scope("GET", "/api/outlets/XN-CX/board")
        assert run_asgi(fastlane.FastLane(django_app), board)[0] == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "yimen.queueing.fastpath.lane"]
    assert lines == [
        "fast lane: POST call-next answered 204 without Django",
        "fast lane: GET board answered 200 without Django",
    ]
    assert all(r.levelname == "DEBUG" for r in caplog.records if r.name.endswith("lane"))


def test_the_old_module_paths_are_the_moved_modules():
    """queueing.fastlane, queueing.services.calls and queueing.selectors.hall are aliases (the
    same module objects) of the fast-path package's modules: imports and monkeypatching through
    the old names still reach the code that runs."""
    import yimen.queueing.fastlane as old_lane
    import yimen.queueing.selectors.hall as old_hall
    import yimen.queueing.services.calls as old_calls
    from yimen.queueing.fastpath import hall

    assert (old_lane, old_calls, old_hall) == (fastlane, calls, hall)
    assert services.calls is calls and selectors.hall is hall
    assert services.call_next is calls.call_next and selectors.hall_state is hall.hall_state


@pytest.mark.parametrize(
    "first", ["yimen.queueing.fastpath.lane", "yimen.queueing.fastpath.calls", "yimen.asgi"]
)
def test_a_fresh_process_may_import_the_fast_path_first(first):
    """uvicorn imports yimen.asgi, which imports the fast lane before anything has loaded the
    queue's services and selectors (the test process always has them loaded already)."""
    import os
    import subprocess
    import sys

    code = (
        "import django; django.setup(); import importlib; "
        f"importlib.import_module({first!r}); "
        "from yimen.queueing import services; from yimen.queueing.fastpath import calls; "
        "assert services.call_next is calls.call_next"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "yimen.settings_test", "YIMEN_WARM_UP": "0"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
