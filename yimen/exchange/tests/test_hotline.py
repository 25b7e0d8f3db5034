"""12345: the signed, idempotent webhook (bad signatures refused with Chinese JSON, 4xx never
500), replays, and the results going back to 12345."""

import json
import threading

import pytest
from django.db import connection

from yimen.exchange import rules
from yimen.exchange.models import H12345, WorkOrder
from yimen.exchange.simulator import send_work_order

from .conftest import worker_once

URL = "/exchange/12345/work-orders"


def _post(client, order, secret="h-s3cret", raw=None):
    body = raw if raw is not None else json.dumps(order, ensure_ascii=False).encode()
    return client.post(
        URL,
        body,
        content_type="application/json",
        HTTP_X_YIMEN_SIGNATURE=rules.sign(body, secret),
    )


def grievance_order(no="12345-20260302-0001", **extra):
    return {
        "order_no": no,
        "type": "grievance",
        "outlet_code": "XN-CX",
        "category": "cannot",
        "content": "来电反映：想办老年人优待证，窗口说办不了。",
        "caller_name": "王五",
        "caller_phone": "13912340000",
        **extra,
    }


@pytest.mark.parametrize(
    "signature,status,code",
    [
        ("", 401, "bad_signature"),
        ("sha256=00", 401, "bad_signature"),
        ("wrong", 401, "bad_signature"),
    ],
)
def test_bad_signatures_are_refused_in_chinese(client, db, demo, sim, signature, status, code):
    r = client.post(
        URL, b'{"order_no":"1"}', content_type="application/json", HTTP_X_YIMEN_SIGNATURE=signature
    )
    assert r.status_code == status and r.json()["code"] == code
    assert "签名" in r.json()["message"]
    assert not WorkOrder.objects.exists()


def test_bad_bodies_are_4xx_never_500(client, db, demo, sim, settings):
    assert _post(client, None, raw=b"not json").status_code == 400
    assert _post(client, None, raw=b"[1,2]").json()["code"] == "invalid_json"
    assert _post(client, {"type": "grievance"}).json()["code"] == "order_no_required"
    r = _post(client, grievance_order(type="praise"))
    assert r.status_code == 422 and r.json()["code"] == "type_invalid"
    r = _post(client, grievance_order(outlet_code="NOPE"))
    assert r.status_code == 422 and "网点" in r.json()["message"]
    r = _post(client, grievance_order(content=""))
    assert r.status_code == 422 and r.json()["code"] == "description_required"
    r = _post(client, grievance_order(content=["x"]))
    assert r.status_code == 422 and r.json()["code"] == "field_invalid"
    r = _post(client, {"order_no": "X1", "type": "bad_rating", "subject_no": "NOPE", "grade": 1})
    assert r.status_code == 422 and r.json()["code"] == "subject_not_found"
    assert client.get(URL).status_code == 405
    assert not WorkOrder.objects.exists()  # nothing half-made
    settings.YIMEN = {**settings.YIMEN, "EXCHANGE_12345_SECRET": ""}
    r = _post(client, grievance_order())
    assert r.status_code == 403 and r.json()["code"] == "not_configured"


def test_a_work_order_makes_one_grievance_and_a_replay_answers_the_same(
    client, db, demo, clock, sim
):
    from yimen.feedback.models import Grievance

    clock.freeze(clock.at(2026, 3, 2, 10, 0))
    first = _post(client, grievance_order())
    assert first.status_code == 200 and first.json()["duplicate"] is False
    g = Grievance.objects.get()
    assert g.channel == "phone" and g.category == "cannot" and first.json()["record_no"] == g.number
    again = _post(client, grievance_order())
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["record_no"] == g.number and Grievance.objects.count() == 1
    changed = _post(client, grievance_order(content="另一件事"))
    assert changed.status_code == 409 and changed.json()["code"] == "order_conflict"
    worker_once()
    (update,) = [json.loads(r["body"]) for r in sim.state.requests if r["system"] == H12345]
    assert update["stage"] == "accepted" and update["order_no"] == "12345-20260302-0001"
    assert update["record_no"] == g.number


def test_results_of_a_grievance_go_back_to_12345(client, db, demo, clock, sim, cx_staff):
    from yimen.feedback import services as feedback
    from yimen.feedback.models import Grievance

    clock.freeze(clock.at(2026, 3, 2, 10, 0))
    # what the (simulated) 12345 platform does: sign and POST to our webhook, here via the client
    assert _post(client, grievance_order()).status_code == 200
    g = Grievance.objects.get()
    _explain(g, cx_staff["bbcs_clerk"])
    g.refresh_from_db()
    feedback.record_person_feedback(g, cx_staff["bbcs_clerk"], satisfied=True, channel="phone")
    worker_once()
    stages = [json.loads(r["body"])["stage"] for r in sim.state.requests if r["system"] == H12345]
    assert stages == ["accepted", "handled", "callback"]
    callback = json.loads(sim.state.requests[-1]["body"])
    assert callback["satisfied"] is True and callback["status"] == "archived"
    assert sim.state.bad_signatures == 0


def _explain(g, staff):
    from yimen.feedback import services as feedback

    reason = next(iter(feedback.EXPLAIN_REASON_LABELS))
    feedback.explain_cannot(
        g,
        staff,
        reason_code=reason,
        legal_basis="《青海省老年人权益保障条例》",
        explanation="本市户籍满 60 周岁方可办理，已当面说明。",
        alternatives="可凭居住证到社区申请临时优待。",
        explained_in_person=True,
    )


def test_a_bad_rating_work_order_opens_a_rectification_and_its_steps_go_back(
    client, db, demo, clock, sim, cx_staff
):
    from yimen.feedback import services as feedback
    from yimen.feedback.models import Rating

    clock.freeze(clock.at(2026, 3, 2, 10, 0))
    case = _accepted_case(cx_staff)
    order = {
        "order_no": "12345-20260302-0002",
        "type": "bad_rating",
        "subject_no": case.receipt_number,
        "grade": 1,
        "reasons": ["attitude"],
        "content": "来电反映窗口态度差",
    }
    r = _post(client, order)
    assert r.status_code == 200
    rating = Rating.objects.get(case=case)
    assert rating.channel == "callback" and rating.rectification.state == "verify"
    assert r.json()["record_no"].endswith(f"{rating.rectification.pk:08d}")
    feedback.act_on_rectification(rating.rectification, cx_staff["chief"], "callback", "已回访")
    feedback.act_on_rectification(
        rating.rectification, cx_staff["chief"], "complete", "已批评教育", reported_back=True
    )
    worker_once()
    stages = [json.loads(r["body"])["stage"] for r in sim.state.requests if r["system"] == H12345]
    assert stages == ["accepted", "callback", "handled"]
    hcp = [json.loads(r["body"]) for r in sim.state.requests if r["system"] == "hcp"]
    assert hcp[0]["channel"] == "hotline" and hcp[0]["subject_no"] == case.receipt_number


def _accepted_case(cx_staff):
    from yimen.cases import services as cases
    from yimen.cases.tests.conftest import clerk_at, person
    from yimen.catalog.models import ServiceItem

    clerk, w = clerk_at("CX-ZY-RS-304")
    item = ServiceItem.objects.get(code="XN-RS-004")
    case = cases.open_case(clerk, item=item, outlet=w.outlet, window=w, applicant=person())
    cases.check_materials(clerk, case, {m.pk: ("received", "paper") for m in case.materials.all()})
    return cases.accept(clerk, case)


def test_the_simulator_sends_signed_work_orders_to_a_live_server(live_server, demo, sim, settings):
    status, body = send_work_order(
        f"{live_server.url}{URL}", "h-s3cret", grievance_order("12345-LIVE-1")
    )
    assert status == 200 and body["code"] == "ok"
    status, body = send_work_order(
        f"{live_server.url}{URL}", "nope", grievance_order("12345-LIVE-2")
    )
    assert status == 401 and body["message"].startswith("签名不正确")


@pytest.mark.django_db(transaction=True)
def test_a_replay_arriving_at_the_same_moment_makes_one_grievance(demo, sim, client):
    from django.test import Client

    from yimen.feedback.models import Grievance

    answers, errors = [], []
    barrier = threading.Barrier(2)

    def post():
        try:
            barrier.wait()
            answers.append(_post(Client(), grievance_order("12345-RACE")))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(a.status_code for a in answers) == [200, 200]
    assert sorted(a.json()["duplicate"] for a in answers) == [False, True]
    assert Grievance.objects.count() == 1 and WorkOrder.objects.count() == 1
