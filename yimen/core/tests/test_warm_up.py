"""yimen/asgi.py warm_up: a server process fills the network's configuration cache before its
first request. uvicorn imports the module inside its running event loop, where Django refuses
to query, so the warm-up runs in a thread of its own."""

import asyncio

import pytest

from yimen import asgi
from yimen.core import changes
from yimen.outlets.models import Outlet
from yimen.queueing import selectors


@pytest.mark.django_db(transaction=True)
def test_warm_up_inside_the_servers_event_loop_fills_the_cache(demo, settings):
    settings.YIMEN_WARM_UP = True
    changes.reset()
    assert selectors.peek_outlet("XN-CX") is None

    async def as_uvicorn_imports_it():
        asgi.warm_up()

    asyncio.run(as_uvicorn_imports_it())
    outlet = selectors.peek_outlet("XN-CX")
    assert outlet is not None and outlet.pk == Outlet.objects.get(code="XN-CX").pk


@pytest.mark.django_db
def test_warm_up_is_off_when_the_setting_says_so(settings, demo):
    settings.YIMEN_WARM_UP = False
    changes.reset()
    asgi.warm_up()
    assert selectors.peek_outlet("XN-CX") is None


def test_a_database_that_cannot_be_reached_does_not_stop_the_server(settings, monkeypatch, caplog):
    settings.YIMEN_WARM_UP = True

    def unreachable():
        raise RuntimeError("connection refused")

    monkeypatch.setattr(selectors, "warm_up", unreachable)
    asgi.warm_up()  # logs, does not raise
    assert "cache warm-up failed" in caplog.text
