"""Keeps hot cache entries current from one background thread per process.

Why: the ASGI fast lane (queueing/fastpath/lane.py) answers idle windows and boards from the
per-process caches, but only while they are current, and every ticket change makes them stale.
Without this thread the first request after a change refilled them — a Django request, waiting
in the admission queue behind the writes. Under load (benchmark, docs/queue.md) that wait grew,
the caches stayed stale longer, more requests fell through to Django, and the server tipped
into a backlog of seconds it never recovered from. Here one thread recomputes each wanted entry
once per change, whatever the backlog, and the fast lane waits a few milliseconds for it.

- `want(key, fn)`: call `fn()` (which fills a cache, e.g. `selectors.hall_state`) now and after
  every change until nobody has wanted it for `IDLE_SECONDS`. Readers call it on every read,
  not only on a stale one (else an entry in use is dropped), and the latest `fn` is kept (it
  may hold newer configuration). A round calls every wanted `fn`; an entry still current is a
  cache hit, so a round costs queries only for what changed.
- `after_next_round()`: an asyncio future done when a round that started after the call ends —
  its results are then at least as new as every change made before the call.
- `chore(fn)`: run `fn()` in the next round (batched writes, e.g. tokens' last use).

Enabled by YIMEN_BACKGROUND_REFRESH (on by default; off in tests, which drive it explicitly).
The thread keeps one database connection of its own and never holds a transaction open.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from django.conf import settings
from django.db import connection

from . import changes

logger = logging.getLogger(__name__)
IDLE_SECONDS = 10.0  # a poller asks every few seconds; a forgotten key stops costing after this
WAKE_SECONDS = 1.0  # rounds also run this often (safety lifetimes, the minute on the board)
# Rounds start at most this often: changes arriving meanwhile share one recompute. A hall with
# 5 tickets a second sees ~20 changes a second (issue, call, start, finish); recomputing after
# each cost a fifth of a worker's CPU in the benchmark.
MIN_ROUND_SECONDS = 0.2


class Refresher:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._jobs: dict[Hashable, list[Any]] = {}  # key -> [fn, monotonic time last wanted]
        # (loop, future) of after_next_round
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._chores: list[Callable[[], object]] = []
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.rounds = 0
        self.cpu_seconds = 0.0  # CPU time of this process's rounds so far

    def enabled(self) -> bool:
        return getattr(settings, "YIMEN_BACKGROUND_REFRESH", True)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def want(self, key: Hashable, fn: Callable[[], object]) -> bool:
        """Keep `fn` fresh; False (nothing registered) when the refresher is off."""
        if not self.enabled():
            return False
        with self._lock:
            job = self._jobs.get(key)
            if job is None:
                self._jobs[key] = [fn, time.monotonic()]
                self._wake.set()
            else:
                job[0], job[1] = fn, time.monotonic()
        self._ensure_started()
        return True

    def chore(self, fn: Callable[[], object]) -> bool:
        if not self.enabled():
            return False
        with self._lock:
            self._chores.append(fn)
        self._wake.set()
        self._ensure_started()
        return True

    def after_next_round(self) -> asyncio.Future[None]:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        with self._lock:
            self._waiters.append((loop, future))
        self._wake.set()
        self._ensure_started()
        return future

    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._stop.clear()
                changes.on_bump(self._wake.set)
                self._thread = threading.Thread(
                    target=self._run, name="yimen-refresher", daemon=True
                )
                self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        thread = self._thread
        self._stop.set()
        self._wake.set()
        if thread is not None:
            thread.join(timeout)
        changes.off_bump(self._wake.set)
        with self._lock:
            self._thread = None
            self._jobs.clear()
            self._chores.clear()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self._wake.wait(WAKE_SECONDS)
                began = time.monotonic()
                self._wake.clear()
                if not self._stop.is_set():
                    self.run_round()
                self._stop.wait(max(0.0, began + MIN_ROUND_SECONDS - time.monotonic()))
        finally:
            connection.close()

    def run_round(self) -> None:
        """One round: every wanted entry and pending chore, then the waiters from before it."""
        now = time.monotonic()
        with self._lock:
            waiters, self._waiters = self._waiters, []
            chores, self._chores = self._chores, []
            for key in [
                k for k, (_fn, wanted) in self._jobs.items() if now - wanted > IDLE_SECONDS
            ]:
                del self._jobs[key]
            jobs = [fn for fn, _wanted in self._jobs.values()]
        cpu = time.thread_time()
        for fn in chores + jobs:
            try:
                fn()
            except Exception:  # noqa: BLE001 — one failing entry must not stop the others
                logger.exception("background refresh failed")
                connection.close()  # a broken connection is replaced in the next call
        # what keeping the caches current costs this process (/metrics, docs/scaling.md)
        self.rounds += 1
        self.cpu_seconds += time.thread_time() - cpu
        for loop, future in waiters:
            try:
                loop.call_soon_threadsafe(_resolve, future)
            except RuntimeError:  # that event loop has closed meanwhile
                pass


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


refresher = Refresher()
