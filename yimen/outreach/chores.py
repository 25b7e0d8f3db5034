"""Outreach's periodic chores, run by `yimen worker` (and once by `yimen outreach run`):

| chore | what | how often |
|---|---|---|
| `outreach.remind_appointments` | day-before and hour-before booking reminders | every 5 min |
| `outreach.closures` | bookings on days an outlet no longer opens: cancelled, holder told | hourly |
| `outreach.yearly_reminders` | 主动服务 yearly reminders whose day has come | hourly |
| `outreach.warn_escalations` | the leaders' notice before an automatic escalation | hourly |

Each one goes object by object (core.jobs.JobRun: its own transaction, a failure is logged and
skipped) and is idempotent (dedupe keys), so two workers running it at once, or a run repeated,
send nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from yimen.core.jobs import JobRun


@dataclass(frozen=True)
class Chore:
    name: str
    every_seconds: int
    run: Callable[[], JobRun]


def _remind() -> JobRun:
    from .appointments import remind_appointments

    return remind_appointments()


def _closures() -> JobRun:
    from .appointments import sweep_closures

    return sweep_closures()


def _yearly() -> JobRun:
    from .proactive import send_yearly_reminders

    return send_yearly_reminders()


def _escalations() -> JobRun:
    from .notices import warn_escalations

    return warn_escalations()


CHORES = (
    Chore("outreach.remind_appointments", 300, _remind),
    Chore("outreach.closures", 3600, _closures),
    Chore("outreach.yearly_reminders", 3600, _yearly),
    Chore("outreach.warn_escalations", 3600, _escalations),
)


def run_all() -> dict[str, dict[str, object]]:
    """Every chore once (the command; tests): {name: {"done": [...], "failed": n, …}}."""
    out: dict[str, dict[str, object]] = {}
    for chore in CHORES:
        run = chore.run()
        out[chore.name] = {"done": list(run.done), **run.as_dict()}
    return out
