"""好差评 push: a rating at the window tablet reaches the capture server after the worker runs,
signed, exactly once; rectification steps and appeal results; nothing without a URL; retries;
two workers."""

import hashlib
import hmac
import json
import threading

import pytest
from django.db import connection

from yimen.exchange import services
from yimen.exchange.models import HCP, Document
from yimen.feedback.tests.conftest import make_ticket
from yimen.notify.models import DEAD, FAILED, SENT, OutboxMessage

from .conftest import worker_once


def _rate_at_tablet(client, clock, clerk, score, **form):
    from yimen.outlets.models import Window
    from yimen.staff.services import sign_in_window

    clock.freeze(clock.at(2026, 3, 2, 10, 0))
    sign_in_window(clerk, Window.objects.get(code="CX-ZY-RS-304"))
    ticket = make_ticket("CX-ZY-RS-304", staff=clerk)
    client.force_login(clerk.user)  # the tablet runs in the session of the window's clerk
    r = client.post(
        "/feedback/rate/window/CX-ZY-RS-304/", {"ticket": ticket.pk, "score": score, **form}
    )
    assert r.status_code == 302
    return ticket


def test_rating_at_window_tablet_reaches_capture_server_signed_exactly_once(
    client, db, demo, clock, cx_staff, sim
):
    from yimen.feedback.models import Rating

    ticket = _rate_at_tablet(client, clock, cx_staff["clerk"], "4")
    rating = Rating.objects.get(ticket=ticket)
    assert sim.state.requests == []  # nothing leaves before the worker runs
    worker_once()  # (it also delivers the ticket's SMS, through the log backend)
    assert OutboxMessage.objects.get(channel="exchange").status == SENT
    (req,) = sim.state.requests
    # the signature, checked here independently of the project's own code
    expected = hmac.new(b"hcp-s3cret", req["body"], hashlib.sha256).hexdigest()
    assert req["headers"]["X-Yimen-Signature"] == f"sha256={expected}"
    doc = json.loads(req["body"])
    assert doc["evaluation_id"] == f"YIMEN-PJ-{rating.pk:08d}"
    assert doc["channel"] == "window_device" and doc["grade"] == 4
    assert doc["subject_no"] == ticket.number and doc["outlet_code"] == "XN-CX"
    assert doc["window_code"] == "CX-ZY-RS-304" and doc["item_code"] == "XN-RS-004"
    assert doc["evaluated_at"].endswith("+08:00") and doc["evaluated_at"].startswith("2026-03-02T")
    assert doc["reasons"] == [] and doc["comment"] == ""
    # exactly once: another worker round sends nothing again
    assert worker_once("w2").handled == 0
    assert sim.state.deliveries(HCP) == {doc["evaluation_id"]: 1}
    assert Document.objects.get(doc_id=doc["evaluation_id"]).acknowledged_at is not None


def test_bad_rating_without_comment_and_its_rectification_and_appeal_are_pushed(
    client, db, demo, clock, cx_staff, sim
):
    from yimen.feedback import services as feedback
    from yimen.feedback.models import Rating

    # a 差评 needs a ticked reason but no comment (GB/T 39734, 51号)
    ticket = _rate_at_tablet(client, clock, cx_staff["clerk"], "1", reasons=["wait_long"])
    rating = Rating.objects.get(ticket=ticket)
    rect = rating.rectification
    chief = cx_staff["chief"]
    feedback.act_on_rectification(rect, chief, "callback", "已电话回访，情况属实")
    feedback.act_on_rectification(rect, cx_staff["director"], "appeal", "当日系统故障，非窗口原因")
    feedback.act_on_rectification(rect, chief, "approve_appeal", "经核实，申诉成立")
    worker_once()
    kinds = [json.loads(r["body"])["type"] for r in sim.state.requests]
    assert kinds.count("evaluation") == 1
    assert kinds.count("rectification") == 4  # open, callback, appeal, approve_appeal
    assert kinds.count("appeal") == 1
    docs = [json.loads(r["body"]) for r in sim.state.requests]
    eid = services.evaluation_id(rating)
    assert all(d["evaluation_id"] == eid for d in docs)
    (appeal,) = [d for d in docs if d["type"] == "appeal"]
    assert appeal["result"] == "upheld" and appeal["appeal_reason"] == "当日系统故障，非窗口原因"
    (evaluation,) = [d for d in docs if d["type"] == "evaluation"]
    assert evaluation["grade"] == 1 and evaluation["reasons"] == ["排队等候时间长"]
    assert sim.state.bad_signatures == 0


def test_nothing_is_pushed_when_the_url_is_unset(client, db, demo, clock, cx_staff, settings):
    settings.YIMEN = {**settings.YIMEN, "EXCHANGE_HCP_URL": ""}
    _rate_at_tablet(client, clock, cx_staff["clerk"], "5")
    assert Document.objects.filter(system=HCP).count() == 1  # our ledger still knows it
    assert not OutboxMessage.objects.filter(channel="exchange").exists()
    worker_once()
    assert not OutboxMessage.objects.filter(channel="exchange").exists()


def _docs(n, day_hour=10, outlet="XN-CX"):
    from yimen.core import clock

    at = clock.at(2026, 3, 2, day_hour, 0)
    return [
        services.record(
            HCP,
            "evaluation",
            f"T-{outlet}-{i}",
            {"type": "evaluation", "outlet_code": outlet, "grade": 5},
            outlet_code=outlet,
            at=at,
        )
        for i in range(n)
    ]


def test_a_refused_push_is_retried_and_an_invalid_one_dies(db, clock, sim, settings):
    settings.YIMEN = {**settings.YIMEN, "OUTBOX_BACKOFF_SECONDS": 30}
    clock.freeze(clock.at(2026, 3, 2, 23, 0))  # quiet hours do not hold pushes
    (doc,) = _docs(1)
    sim.state.fail_next = [503]
    assert worker_once().failed == 1
    msg = OutboxMessage.objects.get(pk=Document.objects.get(pk=doc.pk).message_id)
    assert msg.status == FAILED and "503" in msg.last_error
    clock.travel(seconds=30)
    assert worker_once().sent == 1
    msg.refresh_from_db()
    assert msg.status == SENT and msg.attempts == 2
    (other,) = _docs(1, outlet="XN-CB")
    sim.state.fail_next = [400]
    assert worker_once().dead == 1
    assert OutboxMessage.objects.get(pk=Document.objects.get(pk=other.pk).message_id).status == DEAD
    assert sim.state.deliveries(HCP) == {doc.doc_id: 1}


def test_a_wrong_secret_is_refused_by_the_receiver_and_retried(db, clock, sim, settings):
    settings.YIMEN = {**settings.YIMEN, "EXCHANGE_HCP_SECRET": "wrong"}
    clock.freeze(clock.at(2026, 3, 2, 10, 0))
    _docs(1)
    assert worker_once().failed == 1 and sim.state.bad_signatures == 1
    assert sim.state.requests == []


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_workers_push_every_document_exactly_once(sim, settings):
    settings.YIMEN = {**settings.YIMEN, "OUTBOX_BATCH": 5}
    docs = _docs(40)
    errors = []

    def work(name):
        try:
            worker_once(name)
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
    counts = sim.state.deliveries(HCP)
    assert len(counts) == 40 and set(counts.values()) == {1}
    assert {d.doc_id for d in docs} == set(counts)
    assert OutboxMessage.objects.filter(channel="exchange", status=SENT).count() == 40


def test_a_push_in_doubt_after_a_worker_crash_is_sent_again_and_held_once(db, clock, sim):
    """A worker killed after the receiver accepted a push but before it settled the row: the next
    worker sends it again when the lease runs out; the receiver is idempotent on the document id."""
    from yimen.exchange.delivery import send
    from yimen.notify.delivery import claim

    clock.freeze(clock.at(2026, 3, 2, 10, 0))
    (doc,) = _docs(1)
    _token, (msg,) = claim("dead-worker")  # claimed …
    assert send(msg).ok  # … pushed, and the worker dies before settling
    clock.travel(seconds=121)  # the lease runs out
    assert worker_once("w2").sent == 1
    msg.refresh_from_db()
    assert msg.status == SENT and msg.attempts == 2
    assert sim.state.deliveries(HCP) == {doc.doc_id: 2}  # sent twice …
    assert list(sim.state.documents["hcp"]) == [doc.doc_id]  # … held once
