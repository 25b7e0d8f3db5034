"""Delivery receipts: authenticated by the shared secret, recorded on the message."""

import json

from yimen.notify.models import OutboxMessage
from yimen.notify.services import enqueue


def _sent(provider, message_id):
    msg = enqueue(to="13800138000", template="outbox.test", params={"at": "x"}, dedupe_key="r")
    OutboxMessage.objects.filter(pk=msg.pk).update(
        status="sent", provider=provider, provider_message_id=message_id
    )
    return msg


def test_aliyun_receipt_is_recorded(db, client, monkeypatch):
    monkeypatch.setenv("YIMEN_SMS_RECEIPT_SECRET", "s3cret")
    msg = _sent("aliyun", "biz-1")
    body = [{"biz_id": "biz-1", "success": True, "err_code": "DELIVERED", "out_id": "yimen-1"}]
    r = client.post(
        "/notify/receipts/aliyun?token=s3cret", json.dumps(body), content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["code"] == 0
    msg.refresh_from_db()
    assert msg.receipt_status == "DELIVERED:DELIVERED" and msg.receipt_at is not None


def test_tencent_receipt_is_recorded(db, client, monkeypatch):
    monkeypatch.setenv("YIMEN_SMS_RECEIPT_SECRET", "s3cret")
    msg = _sent("tencent", "sid-9")
    body = [{"sid": "sid-9", "report_status": "FAIL", "errmsg": "MK:0005", "mobile": "138"}]
    r = client.post(
        "/notify/receipts/tencent?token=s3cret", json.dumps(body), content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["result"] == 0
    msg.refresh_from_db()
    assert msg.receipt_status == "FAILED:MK:0005"


def test_a_wrong_or_missing_secret_is_refused(db, client, monkeypatch):
    monkeypatch.setenv("YIMEN_SMS_RECEIPT_SECRET", "s3cret")
    for url in ("/notify/receipts/aliyun?token=nope", "/notify/receipts/aliyun"):
        r = client.post(url, "[]", content_type="application/json")
        assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = client.post("/notify/receipts/aliyun?token=s3cret", "{bad", content_type="application/json")
    assert r.status_code == 400 and "JSON" in r.json()["message"]
