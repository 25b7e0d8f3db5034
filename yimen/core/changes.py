"""Change bus: a version number per topic, so per-process caches know when an entry is stale.

Topics are short strings: ``"config"`` (the network: outlets, windows, queues, items, opening
hours), ``"hall:<outlet id>"`` (tickets of one outlet), ``"board:<outlet id>"`` (the ticket
changes its hall display shows: not start/finish), ``"sessions:<outlet id>"`` (who is signed in
at its windows), ``"auth"`` (API tokens, staff, users) and ``"calendar"`` (holidays, 调休). Writes call
``bump(topic)`` inside their transaction; readers key cached values by ``version(topic)`` through
``VersionedCache``. Why: the hot reads of the hall (an idle window asking "anybody for me?", the
boards) would otherwise hit the database on every request (docs/queue.md, benchmark).

Correctness, in order:
- in-process: ``bump`` increments at once (so the writer's own thread and tests that never commit
  see it) and again after commit (a reader in another thread that cached pre-commit data under the
  first increment is invalidated by the second);
- across processes on PostgreSQL (several uvicorn workers, management commands): ``bump`` also
  sends ``NOTIFY yimen_changes, '<topic>'`` in the transaction — PostgreSQL delivers it only if the
  transaction commits — and a listener thread per process (``YIMEN_CHANGE_LISTENER``) bumps the
  local version when it arrives (about a millisecond after the commit);
- safety net: an entry is also dropped after ``max_age()`` seconds — long while the listener is
  connected, short otherwise (SQLite with several processes, listener down), which bounds the
  staleness another process can cause.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from django.conf import settings
from django.db import connection, transaction

logger = logging.getLogger(__name__)
T = TypeVar("T")
CHANNEL = "yimen_changes"
RESET = "*"  # a payload meaning "everything may have changed" (demo reset, bulk imports)

# seconds an entry may live: (listener connected, otherwise) per topic family. While connected,
# every change arrives by NOTIFY and a reconnect drops everything (RESET), so the lifetime is
# only a safety net; entries the fast lane needs between changes (a window's token, its setup,
# who is signed in) must not all expire together every few seconds: each expiry sends a request
# through Django. The hall and the board are kept current by core.refresher anyway.
MAX_AGE = {
    "config": (300.0, 10.0),
    "hall": (30.0, 1.0),
    "sessions": (300.0, 1.0),
    "board": (30.0, 1.0),
    "auth": (300.0, 1.0),
    "estimates": (60.0, 60.0),  # estimates (average service time): a minute old is fine
    "ticket_items": (3600.0, 3600.0),  # never change once issued
    # holidays and 调休 days (core.selectors.work_calendar): edited a few times a year; without a
    # listener another process's import is seen within a minute
    "calendar": (3600.0, 60.0),
}

_lock = threading.Lock()
_versions: dict[str, int] = {}
_epoch = 0  # bumped by RESET: every topic changes at once
_caches: weakref.WeakSet[VersionedCache] = weakref.WeakSet()
_on_bump: list[
    Callable[[], object]
] = []  # callables run after every local bump (core.refresher wakes up)


def hall(outlet_id: object) -> str:
    return f"hall:{outlet_id}"


def board(outlet_id: object) -> str:
    return f"board:{outlet_id}"


def sessions(outlet_id: object) -> str:
    return f"sessions:{outlet_id}"


def version(topic: str, *, start_listener: bool = True) -> tuple[int, int]:
    if start_listener:
        _listener.ensure_started()
    return _epoch, _versions.get(topic, 0)


def _local_bump(topic: str) -> None:
    global _epoch
    with _lock:
        if topic == RESET:
            _epoch += 1
        else:
            _versions[topic] = _versions.get(topic, 0) + 1
    for callback in _on_bump:
        callback()


def on_bump(callback: Callable[[], object]) -> None:
    """Call `callback()` (fast, no arguments) after every change seen by this process."""
    if callback not in _on_bump:
        _on_bump.append(callback)


def off_bump(callback: Callable[[], object]) -> None:
    if callback in _on_bump:
        _on_bump.remove(callback)


def bump(*topics: str) -> None:
    """Record that `topics` changed (call it inside the writing transaction)."""
    if not topics:
        return
    for topic in topics:
        _local_bump(topic)
    if connection.vendor == "postgresql":
        pending = getattr(_pending, "topics", None)
        if pending is not None and connection.in_atomic_block:
            pending.extend(topics)  # sent as the notify_at_end block ends
        else:
            _send(topics)
    if connection.in_atomic_block:
        transaction.on_commit(lambda: _local_bump_all(topics))


def _local_bump_all(topics: Iterable[str]) -> None:
    for topic in topics:
        _local_bump(topic)


def _send(topics: Sequence[str]) -> None:
    sql, params = notify_sql(topics)
    with connection.cursor() as cursor:  # one statement for all topics
        cursor.execute("SELECT " + sql, params)


def notify_sql(topics: Sequence[str]) -> tuple[str, list[str]]:
    """A SELECT list (and its parameters) that sends NOTIFY for each of `topics`."""
    return ", ".join(["pg_notify(%s, %s)"] * len(topics)), [
        value for topic in topics for value in (CHANNEL, topic)
    ]


_pending = threading.local()


@contextmanager
def notify_at_end() -> Iterator[None]:
    """PostgreSQL: collect the NOTIFYs of bump() inside the block and send them as it ends, still
    inside the caller's transaction (which must enclose the block) — in one statement, or in none
    of their own when a last statement of the block carries them (take_pending(): the audit
    append that ends every queue write). Why: one round trip less per write (docs/queue.md)."""
    if getattr(_pending, "topics", None) is not None:  # nested: the outermost block sends
        yield
        return
    _pending.topics = []
    try:
        yield
        topics = list(dict.fromkeys(_pending.topics))
    finally:
        _pending.topics = None
    if topics:
        _send(topics)


def take_pending() -> list[str]:
    """The topics collected so far by the enclosing notify_at_end block, handed to a statement of
    the caller's that sends them (see notify_sql); the block then does not send them again."""
    topics = getattr(_pending, "topics", None)
    if not topics:
        return []
    taken = list(dict.fromkeys(topics))
    topics.clear()
    return taken


def bump_all() -> None:
    """Everything may have changed (bulk imports, demo reset)."""
    bump(RESET)


def max_age(topic: str) -> float:
    connected, otherwise = MAX_AGE.get(topic.split(":", 1)[0], (10.0, 1.0))
    return connected if _listener.connected else otherwise


def start_listening(timeout: float = 5.0) -> bool:
    """Start this process's listener and wait until it is connected (its connect drops every
    cached value, so caches filled before it would be lost). False when it is off or no connection
    came within `timeout`."""
    if not _listener.enabled():
        return False
    _listener.ensure_started()
    return _listener.wait_connected(timeout)


def listening() -> bool:
    """True while this process receives other processes' changes (PostgreSQL NOTIFY)."""
    return _listener.connected


def reset() -> None:
    """Drop every cached value (tests: rolled-back rows must not survive in a cache)."""
    _local_bump(RESET)
    for cache in list(_caches):
        cache.clear()


class VersionedCache:
    """A small per-process cache whose entries belong to a topic's version.

    `serve_stale=True` (hall reads): while one thread recomputes a stale entry, other threads get
    the previous value instead of all querying the database at once — under load every change of
    the hall otherwise made each in-flight request recompute the board at the same moment. The
    value served is then older than the newest change by at most the recompute (milliseconds).
    Waiting for the recomputing thread instead is not an option: a waiting request may hold one
    of the pool's database connections that the recompute needs."""

    def __init__(self, maxsize: int = 512) -> None:
        self.maxsize = maxsize
        self._data: dict[Hashable, tuple[tuple[int, int], float, Any]] = {}
        self._computing: set[Hashable] = set()
        _caches.add(self)

    def _usable(
        self,
        key: Hashable,
        entry: tuple[tuple[int, int], float, Any] | None,
        topic: str,
        seen: tuple[int, int],
        tick: float,
        serve_stale: bool = False,
        max_stale: float = 0.0,
    ) -> bool:
        return (
            entry is not None
            and tick - entry[1] < max_age(topic)
            and (
                entry[0] == seen
                or (serve_stale and key in self._computing)
                or tick - entry[1] < max_stale
            )
        )

    def get(
        self, topic: str, key: Hashable, compute: Callable[[], T], *, serve_stale: bool = False
    ) -> T:
        seen = version(topic)  # read before computing: a change during compute makes it stale
        tick = time.monotonic()
        entry = self._data.get(key)
        if entry is not None and self._usable(key, entry, topic, seen, tick, serve_stale):
            return cast(T, entry[2])
        self._computing.add(key)
        try:
            value = compute()
        finally:
            self._computing.discard(key)
        if len(self._data) >= self.maxsize:
            self._data.clear()
        self._data[key] = (seen, tick, value)
        return value

    def peek(
        self, topic: str, key: Hashable, default: Any = None, *, max_stale: float = 0.0
    ) -> Any:
        """The entry if it is current, else `default`; never computes, never touches the database
        (for answers given in the event loop, see queueing/fastpath/lane.py). `max_stale`: an entry
        computed less than that many seconds ago is usable even if a change has come since (its
        answer is then one the reader could have got that much earlier)."""
        entry = self._data.get(key)
        if entry is not None and self._usable(
            key,
            entry,
            topic,
            version(topic, start_listener=False),
            time.monotonic(),
            max_stale=max_stale,
        ):
            return entry[2]
        return default

    def put(self, topic: str, key: Hashable, value: Any) -> None:
        """Store a value known to be current (e.g. what the caller itself just wrote and committed)."""
        if len(self._data) >= self.maxsize:
            self._data.clear()
        self._data[key] = (version(topic, start_listener=False), time.monotonic(), value)

    def clear(self) -> None:
        self._data.clear()


class _Listener:
    """LISTEN yimen_changes on a connection of its own, in a daemon thread (PostgreSQL only)."""

    def __init__(self) -> None:
        self.connected = False
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._start_lock = threading.Lock()

    def enabled(self) -> bool:
        return getattr(settings, "YIMEN_CHANGE_LISTENER", True) and settings.DATABASES["default"][
            "ENGINE"
        ].endswith("postgresql")

    def ensure_started(self) -> None:
        if self._thread is not None or not self.enabled():
            return
        with self._start_lock:
            if self._thread is None:
                self._stop.clear()
                params = connection.get_connection_params()
                self._thread = threading.Thread(
                    target=self._run, args=(params,), name="yimen-changes", daemon=True
                )
                self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        thread = self._thread
        self._stop.set()
        if thread is not None:
            thread.join(timeout)
        self._thread = None
        self.connected = False

    def wait_connected(self, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while not self.connected and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.connected

    def _run(self, params: dict[str, Any]) -> None:
        import psycopg

        params = {k: v for k, v in params.items() if k not in ("cursor_factory", "context")}
        backoff = 0.5
        while not self._stop.is_set():
            try:
                with psycopg.connect(**params, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.connected = True
                    backoff = 0.5
                    _local_bump(RESET)  # notifications may have been missed while disconnected
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=1.0):
                            _local_bump(note.payload)
            except Exception as exc:  # noqa: BLE001 — keep listening; caches fall back to short TTLs
                logger.warning(
                    "change listener disconnected (%r); retrying in %.1f s", exc, backoff
                )
            finally:
                self.connected = False
            self._stop.wait(backoff)
            backoff = min(backoff * 2, 10.0)


_listener = _Listener()
