"""Delivery: exactly once with concurrent workers, back-off and dead state, quiet hours, the daily
limit, the command line's JSON, chores skipping a bad row."""

import json
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from yimen.notify import delivery
from yimen.notify.backends import Outgoing, Provider, SendResult
from yimen.notify.models import DEAD, FAILED, SENT, OutboxMessage
from yimen.notify.services import enqueue, retry

PARAMS = {"at": "10:00"}


class Recorder(Provider):
    """A provider that records what it was asked to send (thread-safe)."""

    name = "recorder"

    def __init__(self, fail=None):
        self.sent: list[int] = []
        self.lock = threading.Lock()
        self.fail = fail

    def send(self, msg: Outgoing) -> SendResult:
        if self.fail:
            return self.fail(msg)
        with self.lock:
            self.sent.append(msg.id)
        return SendResult(True, f"r-{msg.id}")


def _queue(n, phone_base=13800000000, **kw):
    return [
        enqueue(
            to=str(phone_base + i), template="outbox.test", params=PARAMS, dedupe_key=f"m{i}", **kw
        )
        for i in range(n)
    ]


@pytest.fixture
def daytime(clock):
    clock.freeze(clock.at(2026, 3, 2, 10, 0))
    return clock


def test_delivers_each_message_once_and_records_it(db, daytime):
    _queue(5)
    provider = Recorder()
    stats = delivery.deliver_due("w1", provider)
    assert stats.sent == 5 and sorted(provider.sent) == sorted(
        OutboxMessage.objects.values_list("pk", flat=True)
    )
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {SENT}
    assert delivery.deliver_due("w1", provider).handled == 0  # nothing twice


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_workers_deliver_every_message_exactly_once(settings):
    settings.YIMEN = {**settings.YIMEN, "OUTBOX_BATCH": 7, "SMS_QUIET_HOURS": "off"}
    settings.YIMEN["SMS_DAILY_LIMIT"] = 0
    _queue(120)
    provider = Recorder()
    errors = []

    def work(name):
        try:
            delivery.deliver_due(name, provider)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(provider.sent) == 120 and len(set(provider.sent)) == 120
    assert OutboxMessage.objects.filter(status=SENT).count() == 120


def test_failures_back_off_then_die_and_an_admin_can_retry(db, daytime, settings):
    settings.YIMEN = {**settings.YIMEN, "OUTBOX_MAX_ATTEMPTS": 3, "OUTBOX_BACKOFF_SECONDS": 30}
    (msg,) = _queue(1)
    down = Recorder(fail=lambda m: SendResult(False, error="isp.SYSTEM_ERROR", retry=True))
    delivery.deliver_due("w", down)
    msg.refresh_from_db()
    assert msg.status == FAILED and msg.attempts == 1
    assert msg.next_attempt_at == daytime.at(2026, 3, 2, 10, 0, 30)
    assert delivery.deliver_due("w", down).handled == 0  # not due yet
    daytime.travel(seconds=30)
    delivery.deliver_due("w", down)
    msg.refresh_from_db()
    assert msg.attempts == 2 and msg.next_attempt_at == daytime.now() + __import__(
        "datetime"
    ).timedelta(seconds=60)
    daytime.travel(seconds=60)
    delivery.deliver_due("w", down)
    msg.refresh_from_db()
    assert msg.status == DEAD and msg.last_error == "isp.SYSTEM_ERROR"
    retry(msg.pk)
    ok = Recorder()
    delivery.deliver_due("w", ok)
    msg.refresh_from_db()
    assert msg.status == SENT and ok.sent == [msg.pk]


def test_an_invalid_number_is_dead_at_once(db, daytime):
    (msg,) = _queue(1)
    bad = Recorder(fail=lambda m: SendResult(False, error="isv.MOBILE_NUMBER_ILLEGAL", retry=False))
    delivery.deliver_due("w", bad)
    msg.refresh_from_db()
    assert msg.status == DEAD and msg.attempts == 1


def test_quiet_hours_hold_messages_until_eight_except_urgent(db, clock, monkeypatch):
    from yimen.notify import messages

    clock.freeze(clock.at(2026, 3, 2, 20, 0))
    (msg,) = _queue(1)  # queued at 20:00, due at once
    urgent = messages.Template(
        code="test.call", text="【西宁政务服务】请到{window}号窗口", urgent=True
    )
    monkeypatch.setitem(messages.TEMPLATES, "test.call", urgent)
    clock.freeze(clock.at(2026, 3, 2, 21, 30))
    call = enqueue(to="13900000000", template="test.call", params={"window": "3"}, dedupe_key="c")
    provider = Recorder()
    delivery.deliver_due("w", provider)
    assert provider.sent == [call.pk]  # the call goes out at 21:30, the other waits
    clock.freeze(clock.at(2026, 3, 3, 7, 59))
    assert delivery.deliver_due("w", provider).handled == 0
    clock.freeze(clock.at(2026, 3, 3, 8, 0))
    delivery.deliver_due("w", provider)
    assert provider.sent == [call.pk, msg.pk]


def test_daily_limit_per_phone_defers_to_the_next_morning(db, daytime, settings):
    settings.YIMEN = {**settings.YIMEN, "SMS_DAILY_LIMIT": 2}
    for i in range(3):
        enqueue(to="13800138000", template="outbox.test", params=PARAMS, dedupe_key=f"d{i}")
    enqueue(to="13900139000", template="outbox.test", params=PARAMS, dedupe_key="other")
    provider = Recorder()
    stats = delivery.deliver_due("w", provider)
    assert stats.sent == 3 and stats.deferred == 1
    held = OutboxMessage.objects.get(dedupe_key="d2")
    assert held.attempts == 0 and held.next_attempt_at == daytime.at(2026, 3, 3, 8, 0)
    daytime.freeze(daytime.at(2026, 3, 3, 8, 0))
    assert delivery.deliver_due("w", provider).sent == 1


def test_sensitive_parameters_are_wiped_after_delivery(db, daytime):
    (msg,) = _queue(1, sensitive=True)
    delivery.deliver_due("w", Recorder())
    msg.refresh_from_db()
    assert msg.status == SENT and msg.params == {}


def test_a_crashed_claim_is_taken_again_after_its_lease(db, daytime):
    (msg,) = _queue(1)
    token, claimed = delivery.claim("dead-worker")  # the worker dies before sending
    assert [m.pk for m in claimed] == [msg.pk]
    provider = Recorder()
    assert delivery.deliver_due("w2", provider).handled == 0  # still leased
    daytime.travel(seconds=121)
    delivery.deliver_due("w2", provider)
    msg.refresh_from_db()
    assert provider.sent == [msg.pk] and msg.status == SENT


def test_outbox_list_json_contract_masks_numbers(db, daytime):
    _queue(2)
    delivery.deliver_due("w", Recorder())
    out = StringIO()
    call_command("outbox", "list", "--phone", "13800000001", "--json", stdout=out)
    rows = json.loads(out.getvalue())
    assert len(rows) == 1
    row = rows[0]
    assert set(row) == {
        "id",
        "channel",
        "to",
        "template",
        "status",
        "dedupe_key",
        "created_at",
        "sent_at",
    }
    assert row["to"] == "138****0001" and row["status"] == "sent" and row["channel"] == "sms"
    assert "13800000001" not in out.getvalue()


def test_worker_once_runs_the_chores_and_a_bad_row_is_skipped_and_logged(
    demo, daytime, monkeypatch, caplog
):
    from yimen.notify import chores

    calls = []

    def flaky(run):
        def one(key):
            if key == 2:
                raise RuntimeError("bad row")
            calls.append(key)

        run.each([1, 2, 3], one)
        return {"done": len(calls)}

    monkeypatch.setattr(chores, "queue_expire", flaky)
    out = StringIO()
    call_command("worker", "--once", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert calls == [1, 3]
    assert result["chores"]["queue.expire"]["failed_items"] == ["2"]
    assert "cases.refresh" in result["chores"] and "feedback.escalate" in result["chores"]
    assert any("2 failed and was skipped" in r.getMessage() for r in caplog.records)
    out = StringIO()
    call_command("worker", "--once", "--json", stdout=out)
    assert json.loads(out.getvalue())["chores"] == {}  # not due again within the period
