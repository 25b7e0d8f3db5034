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


# --- outreach (yimen/outreach/chores.py describes them) -------------------------------------------


def outreach_remind_appointments(run: JobRun) -> dict[str, Any]:
    from yimen.outreach.appointments import remind_appointments

    remind_appointments(run=run)
    return {"reminded": len(run.done)}


def outreach_closures(run: JobRun) -> dict[str, Any]:
    from yimen.outreach.appointments import sweep_closures

    sweep_closures(run=run)
    return {"outlets_with_cancellations": len(run.done)}


def outreach_yearly_reminders(run: JobRun) -> dict[str, Any]:
    from yimen.outreach.proactive import send_yearly_reminders

    send_yearly_reminders(run=run)
    return {"sent": len(run.done)}


def outreach_warn_escalations(run: JobRun) -> dict[str, Any]:
    from yimen.outreach.notices import warn_escalations

    warn_escalations(run=run)
    return {"warned": len(run.done)}


# --- exchange (docs/exchange.md) ----------------------------------------------------------------


def exchange_reconcile(run: JobRun) -> dict[str, Any]:
    from yimen.exchange.reconcile import chore

    return chore(run)
