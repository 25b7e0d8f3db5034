"""Background tasks (django-tasks, the backport of Django 6's tasks framework, with its database
backend django-tasks-db): the worker enqueues each due chore as a task and runs the ready tasks;
other apps may enqueue their own tasks (`some_task.enqueue(...)`) and any worker runs them."""

from __future__ import annotations

import logging
from typing import Any

from django.utils.module_loading import import_string
from django_tasks import task

from yimen.core.jobs import JobRun

log = logging.getLogger("yimen.notify")


@task(queue_name="chores")
def run_chore(name: str, call: str) -> dict[str, Any]:
    """One periodic chore: each object in its own transaction (JobRun); a bad row is skipped."""
    run = JobRun(name)
    outcome = import_string(call)(run)
    if run.failed:
        log.warning("chore %s: %s", name, run.warning())
    return {**(outcome or {}), **run.as_dict()}
