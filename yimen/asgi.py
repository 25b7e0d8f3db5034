"""ASGI entry point (uvicorn; `yimen serve`).

Django runs every synchronous view of an ASGI server in a thread of its own. Under a burst (400
windows, kiosks and boards in the benchmark) that is a hundred threads per process taking turns
on the GIL, and a thread holding a database lock (a ticket counter, the audit chain) waits for its
turn while every other transaction waits for the lock. `AdmissionControl` lets at most
YIMEN_MAX_CONCURRENT_REQUESTS (default 16) requests per process and lane run at once; the rest
wait in the event loop, which costs nothing. Event streams (SSE boards) are long-lived and async,
so they are not counted. In front of it, the fast lane (queueing/fastpath/lane.py) answers idle
windows and cached boards without Django at all (YIMEN_FASTLANE=0 turns it off). Before its first
request each process fills its configuration and token caches (`warm_up`, YIMEN_WARM_UP).
"""

import asyncio
import gc
import logging
import os
import threading

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yimen.settings")
STREAM_SUFFIX = "/events"
POLL_SUFFIXES = ("/call-next", "/board")


class AdmissionControl:
    """At most `limit` ordinary requests at once per process, the rest wait in the event loop.
    The polling requests of the hall (call-next, board: those the fast lane could not answer,
    mostly the first after a change, refilling the caches) have lanes of their own, so they do not
    wait behind slow writes."""

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit
        self._semaphores = None  # created inside the server's event loop

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path or path.rstrip("/").endswith(STREAM_SUFFIX):
            return await self.app(scope, receive, send)
        if self._semaphores is None:
            self._semaphores = {lane: asyncio.Semaphore(self.limit) for lane in ("poll", "other")}
        lane = "poll" if path.endswith(POLL_SUFFIXES) else "other"
        async with self._semaphores[lane]:
            return await self.app(scope, receive, send)


django_application = get_asgi_application()

from yimen.queueing.fastpath.lane import FastLane  # noqa: E402  (needs the apps loaded)

application = AdmissionControl(
    django_application, int(os.environ.get("YIMEN_MAX_CONCURRENT_REQUESTS", "16"))
)


def warm_up() -> None:
    """Fill the configuration and token caches before the first request (YIMEN_WARM_UP). In a
    thread of its own: uvicorn imports this module inside its running event loop, where Django
    refuses to query (and that thread's connection is closed when it ends). A database not
    reachable yet only costs the first requests their cache misses."""
    from django.conf import settings
    from django.db import connection

    from yimen.core import changes
    from yimen.ops.health import mark_warm
    from yimen.queueing.selectors import warm_up as warm_queue_caches
    from yimen.staff.tokens import warm_up as warm_tokens

    def run():
        try:
            changes.start_listening()  # first: its connect empties the caches
            warm_queue_caches()
            warm_tokens()
        except Exception:  # noqa: BLE001 — the server starts anyway
            logging.getLogger(__name__).warning("cache warm-up failed", exc_info=True)
        finally:
            connection.close()
            mark_warm()  # a failed warm-up leaves the caches to fill on demand: not a reason to stay unready

    if not settings.YIMEN_WARM_UP:
        from yimen.ops.health import mark_warm

        mark_warm()  # nothing to wait for
    else:
        thread = threading.Thread(target=run, name="yimen-warm-up")
        thread.start()
        thread.join()


warm_up()
# Everything loaded so far (Django, the apps, URL patterns, API schemas: ~90 000 objects) lives
# as long as the process: keep it out of the garbage collector's full collections, which
# otherwise walked all of it every few seconds (pauses of 0.1–0.4 s on the benchmark machine).
gc.collect()
gc.freeze()
if os.environ.get("YIMEN_FASTLANE", "1") != "0":
    # answers from per-process caches in the event loop (not counted by admission control)
    application = FastLane(application)
# outermost: request latency per route for /metrics, the fast lane's answers included
from yimen.ops.metrics import RequestMetrics  # noqa: E402

application = RequestMetrics(application)
