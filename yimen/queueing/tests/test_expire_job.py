"""`yimen queue expire` goes ticket by ticket: one that fails is logged and skipped, the others
lapse, and the run reports the failure (issue 14 §3)."""

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from yimen.core.validators import make_resident_id
from yimen.queueing import services
from yimen.queueing.models import Ticket

pytestmark = pytest.mark.django_db


def test_one_failing_ticket_does_not_stop_the_expiry_job(at_cx, clock, monkeypatch, caplog):
    tickets = [
        services.issue_remote_ticket(
            at_cx, ["XN-CG-001"], id_number=make_resident_id("630104", date(1980, 1, 2), 41 + 2 * i)
        )
        for i in range(3)
    ]
    clock.travel(minutes=61)
    real = services._expire

    def poisoned(t, *args, **kw):
        if t.pk == tickets[1].pk:
            raise RuntimeError("broken row")
        return real(t, *args, **kw)

    monkeypatch.setattr(services.issuing, "_expire", poisoned)
    out, err = StringIO(), StringIO()
    call_command("queue", "expire", "--json", stdout=out, stderr=err)
    result = json.loads(out.getvalue())
    assert result["expired"] == 2 and result["failed"] == 1
    assert result["failed_items"] == [f"{tickets[1].number}（#{tickets[1].pk}）"]
    assert "警告：1 个对象处理失败" in err.getvalue()
    assert "broken row" in caplog.text
    statuses = [Ticket.objects.get(pk=t.pk).status for t in tickets]
    assert statuses == [Ticket.EXPIRED, Ticket.WAITING, Ticket.EXPIRED]
    monkeypatch.setattr(services.issuing, "_expire", real)
    out = StringIO()
    call_command("queue", "expire", stdout=out, stderr=StringIO())
    assert "1 个" in out.getvalue()
    assert Ticket.objects.get(pk=tickets[1].pk).status == Ticket.EXPIRED
