"""PostgreSQL: a queue write's change notifications (core.changes NOTIFY, which keep the other
server processes' caches exact) ride on the audit append's last statement instead of a statement
of their own — and are still delivered only when the write commits."""

import psycopg
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from yimen.core import changes
from yimen.core.errors import InvalidTransition
from yimen.queueing import services

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def listener(settings):
    if connection.vendor != "postgresql":
        pytest.skip("NOTIFY is PostgreSQL's")
    params = {
        k: v
        for k, v in connection.get_connection_params().items()
        if k not in ("cursor_factory", "context")
    }
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute(f"LISTEN {changes.CHANNEL}")
        yield lambda: sorted(n.payload for n in other.notifies(timeout=1.0, stop_after=10))


def test_a_ticket_issued_notifies_in_its_audit_statement_once_committed(at_cx, listener):
    with CaptureQueriesContext(connection) as q:
        ticket = services.issue_ticket(at_cx, ["XN-CG-001"])
    statements = [x["sql"] for x in q.captured_queries]
    assert not [s for s in statements if s.startswith("SELECT pg_notify")]
    carrying = [s for s in statements if "pg_notify" in s]
    assert len(carrying) == 1 and "core_auditseal" in carrying[0]
    assert listener() == [f"board:{at_cx.pk}", f"hall:{at_cx.pk}"]
    assert ticket.pk is not None


def test_a_write_that_fails_sends_nothing(at_cx, clerk_at, listener):
    staff, window = clerk_at("CX-ZH-201")
    listener()  # the sign-in's own notification
    ticket = services.issue_ticket(at_cx, ["XN-CG-001"])
    listener()
    with pytest.raises(InvalidTransition):
        services.start(ticket.pk, staff)  # not called yet: refused inside the transaction
    assert listener() == []


def test_notifications_without_an_audit_entry_are_sent_as_the_block_ends(listener):
    with CaptureQueriesContext(connection) as q:
        with transaction.atomic(), changes.notify_at_end():
            changes.bump("hall:998", "hall:999")
            changes.bump("hall:999")
            sent_inside = [x["sql"] for x in q.captured_queries if "pg_notify" in x["sql"]]
    assert sent_inside == []
    assert (
        len([x for x in q.captured_queries if "pg_notify" in x["sql"]]) == 1
    )  # one statement for all
    assert listener() == ["hall:998", "hall:999"]


def test_taken_topics_are_not_sent_twice(listener):
    with CaptureQueriesContext(connection) as q:
        with transaction.atomic(), changes.notify_at_end():
            changes.bump("hall:997")
            assert changes.take_pending() == ["hall:997"]
    assert [x for x in q.captured_queries if "pg_notify" in x["sql"]] == []
    assert listener() == []  # taken, and in this test nobody sent them
