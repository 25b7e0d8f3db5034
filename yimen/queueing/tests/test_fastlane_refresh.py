"""The fast lane with core.refresher running (as under uvicorn): after a change it waits for the
background refresh instead of sending polls to Django, and records tokens' use in the background.
Transactional: the refresher's thread has a database connection of its own."""

import asyncio
import json
import time
from datetime import timedelta

import pytest
from django.test import Client

from yimen.core import changes
from yimen.core.refresher import refresher
from yimen.queueing import services
from yimen.queueing.fastpath import lane as fastlane
from yimen.staff.models import ApiToken
from yimen.staff.tokens import issue_token

from .test_fastlane import in_new_loop, run_asgi, scope

ITEM = "XN-CG-001"  # → queue CX-ZH


@pytest.fixture
def running_refresher(settings, monkeypatch, transactional_db):
    settings.YIMEN_BACKGROUND_REFRESH = True
    monkeypatch.setattr(
        changes, "MAX_AGE", {family: (3600.0, 3600.0) for family in changes.MAX_AGE}
    )
    yield refresher
    refresher.stop()


@pytest.fixture
def window_client(running_refresher, at_cx, clerk_at):
    staff, window = clerk_at("CX-ZH-201")
    token, raw = issue_token(staff=staff)
    return staff, window, raw, Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def never_django():
    called = []

    async def app(sc, receive, send):
        called.append(sc["path"])

    return app, called


def test_a_stale_board_is_refreshed_in_the_background_not_by_django(window_client):
    staff, window, raw, client = window_client
    path = "/api/outlets/XN-CX/board"
    before = client.get(path).json()  # Django fills the caches once
    services.issue_ticket(window.outlet, [ITEM])
    app, called = never_django()
    deadline = time.monotonic() + 3
    while True:  # within the staleness allowance the previous board may still be served
        status, _headers, body = run_asgi(fastlane.FastLane(app), scope("GET", path))
        assert status == 200 and called == []
        if (
            json.loads(body)["waiting_total"] == before["waiting_total"] + 1
            or time.monotonic() > deadline
        ):
            break
        time.sleep(0.02)
    assert (
        json.loads(body)["waiting_total"] == before["waiting_total"] + 1
    )  # caught up without Django
    assert body == client.get(path).content
    assert refresher.running


def test_after_a_new_ticket_one_poll_goes_to_django_counted_and_the_rest_are_idle(
    window_client, clerk_at
):
    staff, window, raw, client = window_client
    other_staff, other_window = clerk_at("CX-ZH-202")
    _t, other_raw = issue_token(staff=other_staff)
    path, other_path = (
        f"/api/windows/{window.pk}/call-next",
        f"/api/windows/{other_window.pk}/call-next",
    )
    assert client.post(path).status_code == 204
    assert Client(HTTP_AUTHORIZATION=f"Bearer {other_raw}").post(other_path).status_code == 204
    ticket = services.issue_ticket(window.outlet, [ITEM])  # the hall is stale now

    async def poll_both():
        handed = await asyncio.wait_for(_until_counted(scope("POST", path, raw)), 3)
        with services.calling(handed.key):  # the first poll's call is under way in Django…
            return handed, fastlane._answer(
                scope("POST", other_path, other_raw)
            )  # …the other idles

    handed, other = in_new_loop(poll_both)
    assert isinstance(handed, fastlane.Counted) and other == (204, b"")
    response = client.post(path)
    assert response.status_code == 200 and response.json()["id"] == ticket.pk


async def _until_counted(sc):
    while True:
        result = fastlane._answer(sc)
        if result is fastlane.STALE:
            await refresher.after_next_round()
        elif isinstance(result, fastlane.Counted):
            return result
        else:
            await asyncio.sleep(0.01)  # the previous, still allowed, state: nobody yet


def test_a_token_used_after_a_minute_is_answered_and_its_use_recorded_in_the_background(
    window_client, clock
):
    staff, window, raw, client = window_client
    path = f"/api/windows/{window.pk}/call-next"
    assert client.post(path).status_code == 204
    token = ApiToken.objects.get(staff=staff)
    first_use = token.last_used_at
    clock.freeze(clock.now() + timedelta(minutes=2))
    app, called = never_django()
    assert run_asgi(fastlane.FastLane(app), scope("POST", path, raw))[0] == 204 and called == []
    deadline = time.monotonic() + 3
    while (
        ApiToken.objects.get(pk=token.pk).last_used_at == first_use and time.monotonic() < deadline
    ):
        time.sleep(0.02)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == clock.now()


def test_an_entry_read_from_the_cache_stays_wanted(window_client, monkeypatch):
    """Readers renew their interest on every read, not only on a stale one: a board served from
    the cache for longer than IDLE_SECONDS must not be dropped while it is in use."""
    from yimen.core import refresher as refresher_module

    staff, window, raw, client = window_client
    path = "/api/outlets/XN-CX/board"
    client.get(path)
    monkeypatch.setattr(refresher_module, "IDLE_SECONDS", 0.3)
    app, called = never_django()
    until = time.monotonic() + 1.0
    while time.monotonic() < until:
        assert run_asgi(fastlane.FastLane(app), scope("GET", path))[0] == 200
        time.sleep(0.05)
    refresher.run_round()  # drops what nobody asked for within IDLE_SECONDS
    assert ("board", window.outlet_id) in refresher._jobs and called == []
