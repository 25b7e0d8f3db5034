"""In-process change notifier for the boards.

Services call `changed(outlet_id)` (after commit); the SSE loops of the same process see the
version move and query the database at once. Other processes (several uvicorn workers) are not
notified: their SSE loops also poll the database every `POLL_SECONDS`, so a call reaches every
board within that bound (see docs/queue.md)."""
import threading

from django.db import transaction

POLL_SECONDS = 1.0
_lock = threading.Lock()
_versions: dict[int, int] = {}


def version(outlet_id: int) -> int:
    return _versions.get(outlet_id, 0)


def _bump(outlet_id: int) -> None:
    with _lock:
        _versions[outlet_id] = _versions.get(outlet_id, 0) + 1


def changed(outlet_id: int) -> None:
    transaction.on_commit(lambda: _bump(outlet_id))
