"""Change bus (core.changes): versioned per-process caches, bumps inside/outside transactions,
lifetimes, reset, serving the previous value during a recompute, and the PostgreSQL listener."""

import itertools
import threading
import time
from types import SimpleNamespace

import pytest
from django.db import connection, transaction

from yimen.core import changes

_ids = itertools.count(1)


def fresh_topic(family="test"):
    """A topic no other test has bumped (versions are process-wide)."""
    return f"{family}:{next(_ids)}-{time.monotonic_ns()}"


class Counter:
    """compute() for the cache: returns 1, 2, 3, … and counts its calls."""

    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.calls


# --- VersionedCache and bump ------------------------------------------------------------------


@pytest.mark.django_db
def test_cached_value_until_bump_then_recomputed():
    cache, compute, topic = changes.VersionedCache(), Counter(), fresh_topic()
    assert cache.get(topic, "k", compute) == 1
    assert cache.get(topic, "k", compute) == 1
    assert cache.get(topic, "k", compute) == 1
    assert compute.calls == 1
    changes.bump(topic)
    assert cache.get(topic, "k", compute) == 2
    assert cache.get(topic, "k", compute) == 2
    assert compute.calls == 2


@pytest.mark.django_db
def test_bump_of_another_topic_keeps_the_entry():
    cache, compute = changes.VersionedCache(), Counter()
    topic, other = fresh_topic(), fresh_topic()
    assert cache.get(topic, "k", compute) == 1
    changes.bump(other)
    assert cache.get(topic, "k", compute) == 1
    assert compute.calls == 1


@pytest.mark.django_db
def test_keys_are_independent_under_one_topic():
    cache, topic = changes.VersionedCache(), fresh_topic()
    assert cache.get(topic, "a", lambda: "A") == "A"
    assert cache.get(topic, "b", lambda: "B") == "B"
    assert cache.get(topic, "a", lambda: "other") == "A"


@pytest.mark.django_db
def test_bump_inside_atomic_invalidates_at_once_and_again_after_commit(
    django_capture_on_commit_callbacks,
):
    cache, compute, topic = changes.VersionedCache(), Counter(), fresh_topic()
    assert cache.get(topic, "k", compute) == 1
    before = changes.version(topic)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            changes.bump(topic)
            # the writer's own thread sees the change at once
            assert changes.version(topic)[1] == before[1] + 1
            # a reader caching pre-commit data here stores it under the first increment …
            assert cache.get(topic, "k", compute) == 2
            assert cache.get(topic, "k", compute) == 2
    # … and the increment after commit makes that entry stale
    assert len(callbacks) == 1
    assert changes.version(topic)[1] == before[1] + 2
    assert cache.get(topic, "k", compute) == 3
    assert compute.calls == 3


@pytest.mark.django_db
def test_bump_in_rolled_back_block_counts_once_and_schedules_nothing(
    django_capture_on_commit_callbacks,
):
    topic = fresh_topic()
    before = changes.version(topic)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                changes.bump(topic)
                raise RuntimeError("rollback")
    assert callbacks == []
    assert (
        changes.version(topic)[1] == before[1] + 1
    )  # the immediate increment (harmless: one recompute)


@pytest.mark.django_db(transaction=True)
def test_bump_outside_a_transaction_counts_once():
    assert not connection.in_atomic_block
    cache, compute, topic = changes.VersionedCache(), Counter(), fresh_topic()
    assert cache.get(topic, "k", compute) == 1
    before = changes.version(topic)
    changes.bump(topic)
    assert changes.version(topic)[1] == before[1] + 1
    assert cache.get(topic, "k", compute) == 2
    assert cache.get(topic, "k", compute) == 2


@pytest.mark.django_db
def test_bump_all_changes_every_topic():
    cache, compute = changes.VersionedCache(), Counter()
    a, b = fresh_topic(), fresh_topic("hall")
    assert cache.get(a, "a", compute) == 1
    assert cache.get(b, "b", compute) == 2
    before_a, before_b = changes.version(a), changes.version(b)
    changes.bump_all()
    assert changes.version(a) != before_a and changes.version(b) != before_b
    assert cache.get(a, "a", compute) == 3
    assert cache.get(b, "b", compute) == 4


def test_topic_names():
    assert changes.hall(7) == "hall:7"
    assert changes.board(7) == "board:7"
    assert changes.sessions(7) == "sessions:7"


# --- lifetimes ------------------------------------------------------------------------------


@pytest.fixture
def fake_time(monkeypatch):
    """changes' monotonic clock, moved by hand (now.t += seconds)."""
    now = SimpleNamespace(t=1000.0)
    monkeypatch.setattr(changes, "time", SimpleNamespace(monotonic=lambda: now.t, sleep=time.sleep))
    return now


def test_max_age_per_family_with_and_without_listener(monkeypatch):
    monkeypatch.setattr(changes._listener, "connected", False)
    assert changes.max_age("hall:3") == 1.0
    assert changes.max_age("board:3") == 1.0
    assert changes.max_age("config") == 10.0
    assert changes.max_age("unknown:1") == 1.0
    assert changes.listening() is False
    monkeypatch.setattr(changes._listener, "connected", True)
    assert changes.max_age("hall:3") == 30.0
    assert changes.max_age("config") == 300.0
    assert changes.max_age("auth") == 300.0
    assert changes.max_age("unknown:1") == 10.0
    # not kept current by changes: the same lifetime either way
    assert changes.max_age("estimates") == 60.0
    assert changes.listening() is True


def test_entry_expires_after_max_age(fake_time):
    cache, compute, topic = changes.VersionedCache(), Counter(), fresh_topic("hall")
    assert changes.max_age(topic) == 1.0  # listener off in tests
    assert cache.get(topic, "k", compute) == 1
    fake_time.t += 0.9
    assert cache.get(topic, "k", compute) == 1
    fake_time.t += 0.2  # 1.1 s after the compute
    assert cache.get(topic, "k", compute) == 2
    fake_time.t += 0.5  # the new entry's age counts from its own compute
    assert cache.get(topic, "k", compute) == 2
    assert compute.calls == 2


def test_entry_lifetime_follows_monkeypatched_max_age(monkeypatch, fake_time):
    topic = fresh_topic("hall")
    monkeypatch.setattr(changes, "MAX_AGE", {**changes.MAX_AGE, "hall": (0.05, 0.05)})
    cache, compute = changes.VersionedCache(), Counter()
    assert cache.get(topic, "k", compute) == 1
    fake_time.t += 0.04
    assert cache.get(topic, "k", compute) == 1
    fake_time.t += 0.02  # 0.06 s after the compute: expired (no real sleep)
    assert cache.get(topic, "k", compute) == 2


def test_maxsize_clears_the_cache_when_full():
    cache, topic = changes.VersionedCache(maxsize=2), fresh_topic()
    computed = []

    def compute(key):
        computed.append(key)
        return key.upper()

    assert cache.get(topic, "a", lambda: compute("a")) == "A"
    assert cache.get(topic, "b", lambda: compute("b")) == "B"
    assert cache.get(topic, "c", lambda: compute("c")) == "C"  # full: cleared, then c stored
    assert len(cache._data) == 1
    assert cache.get(topic, "a", lambda: compute("a")) == "A"
    assert computed == ["a", "b", "c", "a"]


# --- reset ----------------------------------------------------------------------------------


def test_reset_drops_entries_of_every_cache():
    first, second = changes.VersionedCache(), changes.VersionedCache()
    compute, topic = Counter(), fresh_topic()
    assert first.get(topic, "k", compute) == 1
    assert second.get(topic, "k", compute) == 2
    assert first._data and second._data
    before = changes.version(topic)
    changes.reset()
    assert first._data == {} and second._data == {}
    assert (
        changes.version(topic) != before
    )  # the epoch moved: in-flight computes store stale entries
    assert first.get(topic, "k", compute) == 3
    assert second.get(topic, "k", compute) == 4


def test_reset_makes_an_entry_computed_before_it_stale():
    cache, topic = changes.VersionedCache(), fresh_topic()

    def compute_during_reset():
        changes.reset()  # e.g. another thread resets while this compute runs
        return "old"

    assert cache.get(topic, "k", compute_during_reset) == "old"
    assert cache.get(topic, "k", lambda: "new") == "new"


# --- serve_stale ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_serve_stale_only_while_another_thread_computes():
    cache, compute, topic = changes.VersionedCache(), Counter(), fresh_topic("hall")
    assert cache.get(topic, "k", compute, serve_stale=True) == 1
    changes.bump(topic)
    cache._computing.add("k")  # another thread is recomputing this key
    try:
        assert cache.get(topic, "k", compute, serve_stale=True) == 1  # previous value, no compute
        assert compute.calls == 1
        assert cache.get(topic, "k", compute) == 2  # without serve_stale: recomputed
        changes.bump(topic)
        assert (
            cache.get(topic, "other", compute, serve_stale=True) == 3
        )  # other keys are unaffected
    finally:
        cache._computing.discard("k")
    # nobody computing any more: the stale entry is recomputed
    assert cache.get(topic, "k", compute, serve_stale=True) == 4
    assert cache.get(topic, "k", compute, serve_stale=True) == 4
    assert compute.calls == 4


def test_serve_stale_never_serves_an_expired_entry(fake_time):
    cache, compute, topic = changes.VersionedCache(), Counter(), fresh_topic("hall")
    assert cache.get(topic, "k", compute, serve_stale=True) == 1
    cache._computing.add("k")
    fake_time.t += 5.0  # beyond max_age (1 s)
    assert cache.get(topic, "k", compute, serve_stale=True) == 2
    assert "k" not in cache._computing  # the recompute of this call cleared the marker


def test_serve_stale_with_a_real_thread_recomputing():
    cache, topic = changes.VersionedCache(), fresh_topic("hall")
    assert cache.get(topic, "k", lambda: "v1", serve_stale=True) == "v1"
    changes._local_bump(topic)  # in-process change (bump() without a database)
    entered, release = threading.Event(), threading.Event()
    results = []

    def slow():
        entered.set()
        assert release.wait(5)
        return "v2"

    worker = threading.Thread(
        target=lambda: results.append(cache.get(topic, "k", slow, serve_stale=True))
    )
    worker.start()
    try:
        assert entered.wait(5)
        started = time.monotonic()
        # while the worker recomputes, readers get the previous value at once (no second compute)
        assert (
            cache.get(topic, "k", lambda: pytest.fail("computed twice"), serve_stale=True) == "v1"
        )
        assert time.monotonic() - started < 0.5
    finally:
        release.set()
        worker.join(5)
    assert results == ["v2"]
    assert cache.get(topic, "k", lambda: pytest.fail("should be cached"), serve_stale=True) == "v2"


def test_failed_compute_caches_nothing_and_clears_the_marker():
    cache, topic = changes.VersionedCache(), fresh_topic()

    def boom():
        raise ValueError("database down")

    with pytest.raises(ValueError):
        cache.get(topic, "k", boom, serve_stale=True)
    assert cache._computing == set() and cache._data == {}
    assert cache.get(topic, "k", lambda: "ok") == "ok"


# --- PostgreSQL: NOTIFY from another connection reaches this process ------------------------


@pytest.mark.django_db(transaction=True)
def test_listener_receives_notify_from_another_connection(settings):
    if connection.vendor != "postgresql":
        pytest.skip("the change listener runs on PostgreSQL only")
    import psycopg

    settings.YIMEN_CHANGE_LISTENER = True
    topic = "hall:999"
    listener = changes._listener
    assert listener._thread is None, "a listener was already running"
    try:
        listener.ensure_started()
        assert listener.wait_connected(5), "listener did not connect"
        assert changes.listening() is True
        assert changes.max_age(topic) == 30.0  # long lifetimes while connected
        before = changes.version(topic)[1]
        params = {
            k: v
            for k, v in connection.get_connection_params().items()
            if k not in ("cursor_factory", "context")
        }
        with psycopg.connect(**params, autocommit=True) as other:
            other.execute("SELECT pg_notify('yimen_changes', 'hall:999')")
        deadline = time.monotonic() + 2.0
        while changes.version(topic)[1] <= before and time.monotonic() < deadline:
            time.sleep(0.01)
        assert changes.version(topic)[1] == before + 1
    finally:
        listener.stop()
    assert listener._thread is None and listener.connected is False
    assert changes.listening() is False
