"""core.refresher: one background thread keeps wanted cache entries current after every change."""

import asyncio
import threading
import time

import pytest

from yimen.core import changes, refresher as refresher_module
from yimen.core.refresher import Refresher


@pytest.fixture
def refresher(settings, monkeypatch):
    settings.YIMEN_BACKGROUND_REFRESH = True
    monkeypatch.setattr(refresher_module, "MIN_ROUND_SECONDS", 0.0)
    r = Refresher()
    yield r
    r.stop()


def wait_until(predicate, timeout=3.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def test_off_means_nothing_is_registered(settings):
    settings.YIMEN_BACKGROUND_REFRESH = False
    r = Refresher()
    assert r.want("k", lambda: None) is False
    assert r.chore(lambda: None) is False
    assert not r.running


def test_a_wanted_entry_is_computed_now_and_after_every_change(refresher):
    calls = []
    assert refresher.want("board", lambda: calls.append(1))
    assert wait_until(lambda: len(calls) >= 1)
    before = len(calls)
    changes._local_bump("board:1")  # a change seen by this process (a write, or a NOTIFY)
    assert wait_until(lambda: len(calls) > before)  # woken by the change, not by the clock


def test_wanting_again_keeps_one_job_with_the_latest_function(refresher):
    calls = []
    refresher.want("hall", lambda: calls.append("first"))
    refresher.want("hall", lambda: calls.append("second"))  # e.g. the outlet's newer configuration
    assert wait_until(lambda: "second" in calls)
    count = len(calls)
    refresher.run_round()
    assert calls[count:] == ["second"]


def test_a_forgotten_entry_stops_costing(refresher, monkeypatch):
    calls = []
    refresher.want("old", lambda: calls.append(1))
    assert wait_until(lambda: calls)
    monkeypatch.setattr(refresher_module, "IDLE_SECONDS", 0.0)
    time.sleep(0.01)
    refresher.run_round()  # drops it
    count = len(calls)
    refresher.run_round()
    assert len(calls) == count


def test_a_failing_entry_does_not_stop_the_others(refresher):
    good = []

    def broken():
        raise RuntimeError("database gone")

    refresher.want("broken", broken)
    refresher.want("good", lambda: good.append(1))
    assert wait_until(lambda: good)
    changes._local_bump("hall:1")
    count = len(good)
    assert wait_until(lambda: len(good) > count) and refresher.running


def test_a_chore_runs_once(refresher):
    done = []
    assert refresher.chore(lambda: done.append(threading.current_thread().name))
    assert wait_until(lambda: done)
    refresher.run_round()
    assert done == ["yimen-refresher"]


def test_after_next_round_waits_for_a_round_that_started_later(refresher):
    seen = []

    async def main():
        refresher.want("x", lambda: seen.append(time.monotonic()))
        asked = time.monotonic()
        await asyncio.wait_for(refresher.after_next_round(), 3)
        return asked

    asked = asyncio.run(main())
    assert seen and seen[-1] >= asked  # a round that began after the question


def test_rounds_are_spaced_so_a_burst_of_changes_shares_one(settings, monkeypatch):
    settings.YIMEN_BACKGROUND_REFRESH = True
    monkeypatch.setattr(refresher_module, "MIN_ROUND_SECONDS", 0.2)
    r = Refresher()
    calls = []
    try:
        r.want("board", lambda: calls.append(1))
        assert wait_until(lambda: calls)
        start = len(calls)
        for n in range(20):
            changes._local_bump(f"board:{n}")
            time.sleep(0.005)
        time.sleep(0.5)
        assert 1 <= len(calls) - start <= 4  # not twenty
    finally:
        r.stop()
