"""/healthz, /readyz and /metrics in one process (SQLite and PostgreSQL)."""

import json
import logging

import pytest
from prometheus_client.parser import text_string_to_metric_families

from yimen.ops import health
from yimen.ops.metrics import log_request, route_of


def _families(text):
    return {f.name: f for f in text_string_to_metric_families(text)}


@pytest.mark.django_db
def test_healthz_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/healthz").json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_ready_once_warm_and_names_what_is_missing(client, monkeypatch, settings):
    settings.YIMEN_WARM_UP = True
    monkeypatch.setitem(health._state, "warm", False)
    r = client.get("/readyz")
    assert r.status_code == 503 and "缓存尚未预热" in r.json()["problems"]
    health.mark_warm()
    r = client.get("/readyz")
    assert r.status_code == 200, r.json()


@pytest.mark.django_db
def test_readyz_reports_pending_migrations(client, monkeypatch):
    health.mark_warm()
    monkeypatch.setitem(health._state, "migrated", False)

    class Executor:
        def __init__(self, conn):
            self.loader = type("L", (), {"graph": type("G", (), {"leaf_nodes": lambda s: []})()})()

        def migration_plan(self, targets):
            return [("ops", "0001")]

    monkeypatch.setattr("django.db.migrations.executor.MigrationExecutor", Executor)
    r = client.get("/readyz")
    assert r.status_code == 503 and any("迁移" in p for p in r.json()["problems"])


def test_metrics_is_refused_outside_the_allowed_addresses(client, settings):
    settings.YIMEN_METRICS_ALLOW = ["10.0.0.0/8"]
    settings.YIMEN_METRICS_TOKEN = ""
    r = client.get("/metrics")  # the test client comes from 127.0.0.1
    assert r.status_code == 403 and r.json()["code"] == "forbidden"


def test_a_forwarded_address_from_an_untrusted_peer_does_not_open_metrics(client, settings):
    settings.YIMEN_METRICS_ALLOW = ["10.0.0.0/8"]
    settings.YIMEN_TRUSTED_PROXIES = []
    r = client.get("/metrics", HTTP_X_FORWARDED_FOR="10.1.2.3")
    assert r.status_code == 403


@pytest.mark.django_db
def test_metrics_with_the_token_lists_the_database_gauges(client, settings, demo, at_cx, clerk_at):
    from yimen.queueing import services

    settings.YIMEN_METRICS_ALLOW = []
    settings.YIMEN_METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    services.issue_ticket(at_cx, ["XN-RS-004"])
    clerk_at("CX-ZH-203")
    r = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/plain")
    fams = _families(r.content.decode())
    waiting = {
        tuple(sorted(s.labels.items())): s.value
        for s in fams["yimen_queue_waiting_tickets"].samples
    }
    assert any(dict(k)["outlet"] == "XN-CX" and v >= 1 for k, v in waiting.items())
    assert any(
        s.labels["outlet"] == "XN-CX" and s.value >= 1
        for s in fams["yimen_windows_signed_in"].samples
    )
    for name in (
        "yimen_queue_longest_wait_seconds",
        "yimen_outbox_pending",
        "yimen_outbox_dead",
        "yimen_outbox_lag_seconds",
        "yimen_task_runs",
        "yimen_change_listener_connected",
        "yimen_refresher_cpu_seconds",
        "yimen_http_request_duration_seconds",
        "yimen_board_call_lag_seconds",
    ):
        assert name in fams, name


def test_routes_are_url_patterns_not_raw_paths():
    assert route_of("/api/windows/123/call-next") == route_of("/api/windows/456/call-next")
    assert route_of("/no/such/page/at/all") == "unmatched"


def test_the_request_log_is_json_with_personal_data_masked(caplog, settings):
    settings.YIMEN_TRUSTED_PROXIES = ["127.0.0.1"]
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/portal/lookup/630102199001011234",
        "query_string": b"phone=13812345678&x=1",
        "client": ("127.0.0.1", 5000),
        "headers": [(b"x-forwarded-for", b"203.0.113.9")],
    }
    with caplog.at_level(logging.INFO, logger="yimen.request"):
        log_request(scope, "portal/lookup/<str:id>", 200, 0.0123)
    line = json.loads(caplog.records[-1].getMessage())
    assert "199001011234" not in line["path"] and "13812345678" not in line["query"]
    assert line["client"] == "203.0.113.9" and line["status"] == 200 and line["ms"] == 12.3
