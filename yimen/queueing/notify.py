"""Change notifier for the hall of an outlet (boards, the idle-window fast path).

Services call `changed(outlet_id)` inside their transaction: it bumps the outlet's "hall" topic on
the change bus (`core.changes`): at once and after commit in this process, and through PostgreSQL
NOTIFY in every other process that runs the listener. SSE loops wake on the version; they also
poll the database every `poll_seconds()` as a fallback (1 s while the listener is not connected,
e.g. on SQLite with several processes), so a call reaches every board within that bound
(docs/queue.md)."""

from yimen.core import changes

POLL_SECONDS = 1.0  # fallback polling while no cross-process notification arrives
POLL_SECONDS_LISTENING = 10.0  # a safety poll only: NOTIFY wakes the loop


def version(outlet_id: int):
    return changes.version(changes.board(outlet_id))


def changed(outlet_id: int, *, board: bool = True) -> None:
    """A ticket of the outlet changed; `board=False` when the hall display does not show the
    change (start, finish: the board lists calls and waiting counts)."""
    if board:
        changes.bump(changes.hall(outlet_id), changes.board(outlet_id))
    else:
        changes.bump(changes.hall(outlet_id))


def poll_seconds() -> float:
    return POLL_SECONDS_LISTENING if changes.listening() else POLL_SECONDS
