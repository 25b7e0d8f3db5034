"""The periodic chores the worker runs (each takes a JobRun; objects in their own transactions)."""

from __future__ import annotations

from typing import Any

from yimen.core.jobs import JobRun


def queue_expire(run: JobRun) -> dict[str, Any]:
    from yimen.queueing import services

    services.expire_remote(run=run)
    return {"expired": len(run.done)}


def cases_refresh(run: JobRun) -> dict[str, Any]:
    from yimen.cases import services

    return dict(services.refresh_time_status(None, run))


def feedback_escalate(run: JobRun) -> dict[str, Any]:
    from yimen.feedback import services

    services.escalate_overdue(None, run)
    return {"escalated": list(run.done)}
