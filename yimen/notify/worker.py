"""`yimen worker`: delivers due outbox messages and runs the periodic chores (no crontab).

Chores (settings.YIMEN_CHORES: name, every seconds, dotted path of a callable taking a JobRun)
run object by object in their own transactions (core.jobs.JobRun): a bad row is skipped and
logged, never stopping the run. Which worker runs a chore is decided by a conditional UPDATE on
its schedule row, so with several workers each chore runs once per period.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils.module_loading import import_string

from yimen.core import clock
from yimen.core.jobs import JobRun

from .delivery import DeliveryStats, deliver_due
from .models import ChoreSchedule

log = logging.getLogger("yimen.notify")

DEFAULT_CHORES: list[dict[str, Any]] = [
    {"name": "queue.expire", "every": 60, "call": "yimen.notify.chores.queue_expire"},
    {"name": "cases.refresh", "every": 3600, "call": "yimen.notify.chores.cases_refresh"},
    {"name": "feedback.escalate", "every": 3600, "call": "yimen.notify.chores.feedback_escalate"},
]


def chores() -> list[dict[str, Any]]:
    return list(getattr(settings, "YIMEN_CHORES", DEFAULT_CHORES))


def _take(name: str, every: float) -> bool:
    """Claim this period of the chore (True for exactly one worker)."""
    now = clock.now()
    with transaction.atomic():
        ChoreSchedule.objects.get_or_create(name=name, defaults={"next_run_at": now})
        return bool(
            ChoreSchedule.objects.filter(name=name, next_run_at__lte=now).update(
                next_run_at=now + timedelta(seconds=every), last_started_at=now
            )
        )


def run_chores(only_due: bool = True) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for chore in chores():
        name = chore["name"]
        if only_due and not _take(name, float(chore["every"])):
            continue
        run = JobRun(name)
        try:
            outcome = import_string(chore["call"])(run)
        except Exception:  # noqa: BLE001 — one chore failing never stops the worker
            log.exception("chore %s failed", name)
            results[name] = {"error": True}
            continue
        if run.failed:
            log.warning("chore %s: %s", name, run.warning())
        results[name] = {**(outcome or {}), **run.as_dict()}
        ChoreSchedule.objects.filter(name=name).update(last_result=results[name])
    return results


@dataclass
class Worker:
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}")
    interval: float = 1.0
    stop: threading.Event = field(default_factory=threading.Event)

    def tick(self) -> tuple[DeliveryStats, dict[str, Any]]:
        close_old_connections()
        chores_done = run_chores()
        stats = deliver_due(self.worker_id, should_stop=self.stop.is_set)
        return stats, chores_done

    def run(self) -> None:
        log.warning("worker %s started", self.worker_id)
        while not self.stop.is_set():
            try:
                stats, _ = self.tick()
            except Exception:  # noqa: BLE001 — e.g. the database restarting: wait, go on
                log.exception("worker tick failed")
                stats = DeliveryStats()
            if not stats.handled:
                self.stop.wait(self.interval)
        log.warning("worker %s stopped", self.worker_id)

    def install_signals(self) -> None:
        def _stop(signum, frame):
            self.stop.set()

        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
