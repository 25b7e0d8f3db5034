"""Issue 14 attacker pass over the 12345 webhook: a signature header that is not ASCII is a
refused signature (401, Chinese JSON), not a 500 — hmac.compare_digest raises TypeError on a
non-ASCII str, and anyone can send this header."""

import pytest

URL = "/exchange/12345/work-orders"


@pytest.mark.parametrize(
    "signature", ["sha256=é", "sha256=中文", "ｓｈａ２５６=00", "sha256=\u00ff" * 3]
)
def test_non_ascii_signature_header_is_refused(client, db, settings, signature):
    settings.YIMEN = {**settings.YIMEN, "EXCHANGE_12345_SECRET": "h-s3cret"}
    client.raise_request_exception = False
    r = client.post(
        URL,
        b'{"order_no":"1","type":"grievance"}',
        content_type="application/json",
        HTTP_X_YIMEN_SIGNATURE=signature,
    )
    assert r.status_code == 401, r.content
    assert r.json()["code"] == "bad_signature" and "签名" in r.json()["message"]


def test_rules_verify_with_bytes_that_are_not_ascii():
    from yimen.exchange import rules

    body = b'{"order_no":"1"}'
    assert rules.verify(body, "k", rules.sign(body, "k"))
    assert not rules.verify(body, "k", "sha256=\u00e9")
    assert not rules.verify(body, "k", "\udcff")
