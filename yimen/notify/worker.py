"""`yimen worker`: delivers due outbox messages and runs the periodic chores (no crontab).

Chores (settings.YIMEN_CHORES: name, every seconds, dotted path of a callable taking a JobRun)
are enqueued as django-tasks tasks (database backend) when due — the conditional UPDATE on the
chore's schedule row and the task row commit together, so with several workers each period is
enqueued once — and run by whichever worker claims the task. Each chore handles its objects in
their own transactions (core.jobs.JobRun): a bad row is skipped and logged, never stopping it.
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

from yimen.core import clock

from .delivery import DeliveryStats, deliver_due
from .models import ChoreSchedule

log = logging.getLogger("yimen.notify")

DEFAULT_CHORES: list[dict[str, Any]] = [
    {"name": "queue.expire", "every": 60, "call": "yimen.notify.chores.queue_expire"},
    {"name": "cases.refresh", "every": 3600, "call": "yimen.notify.chores.cases_refresh"},
    {"name": "feedback.escalate", "every": 3600, "call": "yimen.notify.chores.feedback_escalate"},
    # outreach: booking reminders, closures, 主动服务 yearly reminders, leaders' escalation notice
    {
        "name": "outreach.remind_appointments",
        "every": 300,
        "call": "yimen.notify.chores.outreach_remind_appointments",
    },
    {"name": "outreach.closures", "every": 3600, "call": "yimen.notify.chores.outreach_closures"},
    {
        "name": "outreach.yearly_reminders",
        "every": 3600,
        "call": "yimen.notify.chores.outreach_yearly_reminders",
    },
    {
        "name": "outreach.warn_escalations",
        "every": 3600,
        "call": "yimen.notify.chores.outreach_warn_escalations",
    },
    # online: 网上预审 deadlines 正常/预警/逾期 (yimen/online)
    {"name": "online.precheck", "every": 3600, "call": "yimen.online.backoffice.precheck_chore"},
    # exchange: yesterday's 好差评 reconciliation per outlet, re-push of what is missing
    {"name": "exchange.reconcile", "every": 3600, "call": "yimen.notify.chores.exchange_reconcile"},
]


def chores() -> list[dict[str, Any]]:
    return list(getattr(settings, "YIMEN_CHORES", DEFAULT_CHORES))


def _take(name: str, every: float) -> bool:
    """Claim this period of the chore (True for exactly one worker)."""
    now = clock.now()
    ChoreSchedule.objects.get_or_create(name=name, defaults={"next_run_at": now})
    return bool(
        ChoreSchedule.objects.filter(name=name, next_run_at__lte=now).update(
            next_run_at=now + timedelta(seconds=every), last_started_at=now
        )
    )


def schedule_chores(only_due: bool = True) -> list[str]:
    """Enqueue each due chore as a django-tasks task, in the transaction that moves its schedule
    (so with several workers each period is enqueued once). Returns the task ids."""
    from .tasks import run_chore

    ids = []
    for chore in chores():
        with transaction.atomic():
            if only_due and not _take(chore["name"], float(chore["every"])):
                continue
            ids.append(str(run_chore.enqueue(chore["name"], chore["call"]).id))
    return ids


def run_ready_tasks(worker_id: str) -> dict[str, Any]:
    """Run the ready tasks of the database backend (claimed with SELECT … FOR UPDATE SKIP LOCKED
    on PostgreSQL, an exclusive transaction on SQLite, by django-tasks-db) until none is left.
    Returns {chore name: its result} for the chores among them."""
    from django_tasks_db.management.commands.db_worker import Worker as TaskWorker
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction

    runner = TaskWorker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id[:64],
        excluded_queue_names=[],
    )
    results: dict[str, Any] = {}
    while True:
        ready = DBTaskResult.objects.ready()
        with exclusive_transaction(ready.db):
            item = ready.get_locked()
            if item is not None:
                item.claim(worker_id[:64])
        if item is None:
            return results
        runner.run_task(item)  # records success or the exception on the task row
        item.refresh_from_db()
        if item.task_path.endswith("run_chore"):
            name = (item.args_kwargs.get("args") or ["?"])[0]
            value = item.return_value if item.return_value is not None else {"error": True}
            if item.return_value is None:
                log.error("chore %s failed: %s", name, item.exception_class_path)
            results[name] = value
            ChoreSchedule.objects.filter(name=name).update(last_result=value)


def run_chores(worker_id: str = "once", only_due: bool = True) -> dict[str, Any]:
    schedule_chores(only_due)
    return run_ready_tasks(worker_id)


@dataclass
class Worker:
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}")
    interval: float = 1.0
    stop: threading.Event = field(default_factory=threading.Event)

    def tick(self) -> tuple[DeliveryStats, dict[str, Any]]:
        close_old_connections()
        chores_done = run_chores(self.worker_id)
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
