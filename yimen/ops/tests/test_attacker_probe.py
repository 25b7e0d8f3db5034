"""An attacker's pass over /metrics, /healthz, /readyz and the request log (docs/security.md)."""

import json
import logging
import re
from urllib.parse import unquote

import pytest

from yimen.ops.metrics import log_request


@pytest.fixture
def locked(settings):
    settings.YIMEN_METRICS_TOKEN = "s3cret-token"
    settings.YIMEN_METRICS_ALLOW = ["127.0.0.1"]
    settings.YIMEN_TRUSTED_PROXIES = ["10.0.0.2"]
    return settings


def test_metrics_refuses_spoofed_forwarding_and_wrong_or_query_tokens(client, locked):
    far = {"REMOTE_ADDR": "203.0.113.7"}
    # an untrusted peer claiming to be the local host
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="127.0.0.1", **far).status_code == 403
    # through the trusted proxy: the proxy appends the real client, read from the right
    via = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "127.0.0.1, 203.0.113.7"}
    assert client.get("/metrics", **via).status_code == 403
    # wrong token, token without "Bearer", token in the query string
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope", **far).status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="s3cret-token", **far).status_code == 403
    assert client.get("/metrics?token=s3cret-token", **far).status_code == 403
    assert client.get("/metrics?access_token=s3cret-token", **far).status_code == 403
    r = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token", **far)
    assert r.status_code == 200


def test_an_empty_token_setting_opens_nothing(client, locked):
    locked.YIMEN_METRICS_TOKEN = ""
    far = {"REMOTE_ADDR": "203.0.113.7"}
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ", **far).status_code == 403


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
@pytest.mark.parametrize("method", ["post", "put", "delete", "options", "head", "patch"])
def test_odd_methods_are_never_a_server_error(client, locked, path, method):
    r = getattr(client, method)(path + "?x=%00", REMOTE_ADDR="203.0.113.7")
    assert r.status_code < 500, (method, path, r.status_code)


@pytest.mark.parametrize(
    "query",
    [
        b"q=630102%31990%30101%31234",  # digits percent-encoded one by one
        b"q=%EF%BC%96%EF%BC%93%EF%BC%90%EF%BC%91%EF%BC%90%EF%BC%92199001011234",
        b"q=1381234%35678",
    ],
)
def test_the_request_log_masks_encoded_numbers(caplog, query):
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/portal/",
        "query_string": query,
        "client": ("127.0.0.1", 5000),
        "headers": [],
    }
    with caplog.at_level(logging.INFO, logger="yimen.request"):
        log_request(scope, "portal/", 200, 0.01)
    line = json.loads(caplog.records[-1].getMessage())
    # however it was encoded, no run of 8 digits survives once the logged text is decoded
    assert not re.search(r"\d{8}", unquote(line["query"])), line["query"]
