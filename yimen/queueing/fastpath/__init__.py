"""The hall's fast path: what answers an idle window's poll and a hall display without waiting.

- `hall.py`: the hall's state per outlet (who is signed in where, what waits for which queue),
  cached and refreshed on every change; what the fast lane peeks at;
- `calls.py`: `call_next` and the one idle-window decision (`idle_for`) it shares with the fast
  lane's `poll_from_cache`, the count of calls under way (`calling`), the per-window lock;
- `lane.py`: the ASGI fast lane in front of Django (`yimen/asgi.py`).

The old module paths (`queueing.fastlane`, `queueing.services.calls`, `queueing.selectors.hall`)
are aliases of these modules; `queueing.services` and `queueing.selectors` re-export their names.
The selectors and services packages are loaded here, first: they import `hall` and `calls` while
they are themselves being loaded, so whichever module is imported first (`asgi.py` imports `lane`)
the packages' `__init__` runs before these modules are needed complete.
"""

from .. import selectors as _selectors, services as _services  # noqa: F401  (load order)
