"""Concurrent runs of the escalation job never escalate one grievance twice (real threads, real
transactions: SQLite BEGIN IMMEDIATE / PostgreSQL row locks + the conditional UPDATE)."""

import threading
from datetime import date

import pytest
from django.db import connection

from yimen.feedback import rules, services
from yimen.feedback.models import EscalationLevel, Grievance
from yimen.outlets.models import Outlet
from yimen.staff.testing import make_staff


@pytest.mark.slow
def test_parallel_escalation_jobs_escalate_each_grievance_once(transactional_db, demo, clock):
    clock.freeze(clock.at(2022, 3, 21, 10, 0))
    clerk = make_staff("clerk", outlet="XN-CX")
    outlet = Outlet.objects.get(code="XN-CX")
    numbers = [
        services.submit_grievance(
            outlet=outlet,
            category=rules.HARD,
            description=f"很难办 {i}",
            phone="13912345678",
            actor=clerk,
        ).number
        for i in range(6)
    ]
    clock.freeze(clock.at(2022, 3, 25, 8, 0))  # level 1 (due 03-24) is overdue for all of them
    runs, errors = [], []
    barrier = threading.Barrier(8)

    def job():
        try:
            barrier.wait(timeout=20)
            runs.append(services.escalate_overdue(date(2022, 3, 25)))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=job) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert not [run.failed for run in runs if run.failed]
    escalated = [n for run in runs for n in run.done]
    assert sorted(escalated) == sorted(numbers)  # each exactly once across all runs
    for g in Grievance.objects.filter(number__in=numbers):
        assert g.level == 2
        assert EscalationLevel.objects.filter(grievance=g).count() == 2
        assert g.events.filter(action="escalate").count() == 1
        assert g.notices.filter(channel="sms", text__contains="区级主要领导").count() == 1
