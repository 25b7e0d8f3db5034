"""Issue 14 §5/§6: secure defaults. DEBUG off unless asked for; production refuses to start without
its keys (one line, no traceback); the personal-data key is never derived from a public default;
the client address comes from trusted proxies only; CSP and HSTS; request logs redacted in every
mode; `yimen demo` on a never-migrated database; the system-packages check."""

import io
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory

from yimen.core import clientaddr, fields, masking

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE_DIRS = [p for p in (ROOT / "yimen").rglob("templates") if p.is_dir()]


def run_yimen(args, env_extra=None, drop=(), timeout=120):
    """`yimen …` in a subprocess with the plain settings (not the test settings)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIMEN_") and k not in drop}
    env.update({"DJANGO_SETTINGS_MODULE": "yimen.settings", "PYTHONPATH": str(ROOT)})
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "yimen.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def python_with_settings(code, env_extra=None, cwd=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIMEN_")}
    env.update({"DJANGO_SETTINGS_MODULE": "yimen.settings", "PYTHONPATH": str(ROOT)})
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=cwd or ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- DEBUG and keys ---------------------------------------------------------------------------------


def test_debug_is_off_unless_explicitly_on(tmp_path):
    code = (
        "from django.conf import settings; import json; print(json.dumps([settings.DEBUG, "
        "settings.SESSION_COOKIE_SECURE, settings.SECURE_HSTS_SECONDS, settings.YIMEN['REQUIRE_TOTP']]))"
    )
    off = python_with_settings(code, {"YIMEN_SECRET_KEY": "s" * 50, "YIMEN_DATA_KEY": "d" * 50})
    debug, secure_cookie, hsts, totp = json.loads(off.stdout)
    assert debug is False and secure_cookie is True and hsts >= 31536000 and totp is True
    on = python_with_settings(
        code, {"YIMEN_DEBUG": "1", "YIMEN_DEV_KEYS_FILE": str(tmp_path / "k.json")}
    )
    assert json.loads(on.stdout)[0] is True


@pytest.mark.parametrize(
    "command", [["serve", "--port", "0"], ["demo"], ["queue", "expire"], ["audit", "verify"]]
)
def test_production_refuses_to_start_without_keys(command):
    r = run_yimen(command)
    assert r.returncode == 2 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr
    assert (
        "YIMEN_SECRET_KEY" in lines[0] and "YIMEN_DATA_KEY" in lines[0] and "一门未启动" in lines[0]
    )
    only_data = run_yimen(command, {"YIMEN_SECRET_KEY": "s" * 50})
    assert only_data.returncode == 2 and "YIMEN_DATA_KEY" in only_data.stderr
    assert "YIMEN_SECRET_KEY" not in only_data.stderr.split("必须设置")[1].split("（")[0]


def test_keyless_commands_still_run_in_production():
    r = run_yimen(["check"])
    assert r.returncode == 0, r.stderr


def test_data_key_is_never_derived_from_the_secret_key(monkeypatch, settings):
    monkeypatch.delenv("YIMEN_DATA_KEY", raising=False)
    settings.YIMEN_DATA_KEY = ""
    with pytest.raises(fields.ProtectedDataError, match="YIMEN_DATA_KEY"):
        fields.encrypt("13800138000")
    with pytest.raises(fields.ProtectedDataError):
        fields.protected_lookup_hash("630104199001011237")
    # the old public development key opens old demo data only in debug mode, and never seals new data
    settings.YIMEN_DATA_KEY = "a-real-key-" + "k" * 40
    monkeypatch.setenv("YIMEN_DATA_KEY", settings.LEGACY_DEV_SECRET)
    legacy = fields.encrypt("13800138000")
    monkeypatch.delenv("YIMEN_DATA_KEY")
    settings.YIMEN_DATA_KEYS_READ_ONLY = []  # production
    with pytest.raises(fields.ProtectedDataError):
        fields.decrypt(legacy)
    settings.YIMEN_DATA_KEYS_READ_ONLY = [settings.LEGACY_DEV_SECRET]  # debug mode
    assert fields.decrypt(legacy) == "13800138000"
    assert fields.stored_key_id(fields.encrypt("x")) != fields.stored_key_id(legacy)


def test_debug_mode_keys_are_random_local_and_private(tmp_path):
    keys = tmp_path / "keys.json"
    code = "from django.conf import settings; print(settings.SECRET_KEY); print(settings.YIMEN_DATA_KEY)"
    first = python_with_settings(
        code, {"YIMEN_DEBUG": "1", "YIMEN_DEV_KEYS_FILE": str(keys)}
    ).stdout.split()
    again = python_with_settings(
        code, {"YIMEN_DEBUG": "1", "YIMEN_DEV_KEYS_FILE": str(keys)}
    ).stdout.split()
    assert first == again and len(set(first)) == 2  # kept across restarts, and two different keys
    assert all(len(k) >= 40 and "dev-only" not in k for k in first)
    assert oct(keys.stat().st_mode & 0o777) == "0o600"
    other = python_with_settings(
        code, {"YIMEN_DEBUG": "1", "YIMEN_DEV_KEYS_FILE": str(tmp_path / "b.json")}
    )
    assert set(other.stdout.split()).isdisjoint(first)  # another checkout, other keys


def test_production_settings_fail_closed_when_started_another_way():
    r = python_with_settings("from django.conf import settings; settings.SECRET_KEY")
    assert r.returncode != 0 and "SECRET_KEY" in r.stderr


# --- the real client address ------------------------------------------------------------------------


def test_client_address_trusts_forwarded_for_only_from_configured_proxies(settings):
    rf = RequestFactory()

    def req(peer, xff=None):
        return rf.get("/", REMOTE_ADDR=peer, **({"HTTP_X_FORWARDED_FOR": xff} if xff else {}))

    settings.YIMEN_TRUSTED_PROXIES = []
    assert clientaddr.client_ip(req("203.0.113.5", "1.2.3.4")) == "203.0.113.5"
    settings.YIMEN_TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    assert (
        clientaddr.client_ip(req("203.0.113.5", "1.2.3.4")) == "203.0.113.5"
    )  # not a proxy of ours
    assert clientaddr.client_ip(req("127.0.0.1", "1.2.3.4")) == "1.2.3.4"
    # the client prepends a lie; our proxies append what they saw: the last untrusted hop wins
    assert (
        clientaddr.client_ip(req("127.0.0.1", "9.9.9.9, 198.51.100.1, 10.1.1.1")) == "198.51.100.1"
    )
    assert clientaddr.client_ip(req("127.0.0.1", "not-an-ip")) == "127.0.0.1"
    assert clientaddr.client_ip(req("127.0.0.1")) == "127.0.0.1"
    settings.YIMEN_TRUSTED_PROXIES = ["nonsense/99"]  # a typo trusts nothing
    assert clientaddr.client_ip(req("127.0.0.1", "1.2.3.4")) == "127.0.0.1"
    assert clientaddr.limit_key("2001:db8:aa:bb:1:2:3:4") == "2001:db8:aa:bb::/64"
    assert (
        clientaddr.limit_key("::ffff:192.0.2.1") == "192.0.2.1"
        and clientaddr.limit_key(None) == "unknown"
    )


# --- CSP and HSTS -----------------------------------------------------------------------------------

INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)


def test_templates_have_no_inline_handlers_and_inline_scripts_carry_the_nonce():
    offenders = []
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            text = path.read_text(encoding="utf-8")
            if INLINE_HANDLER.search(text) or "javascript:" in text:
                offenders.append(str(path))
            for tag in re.findall(r"<script\b[^>]*>", text):
                if (
                    "src=" not in tag
                    and 'type="application/json"' not in tag
                    and "csp_nonce" not in tag
                ):
                    offenders.append(f"{path}: {tag}")
    assert offenders == []


def test_pages_carry_a_content_security_policy_with_a_fresh_nonce(client, demo):
    first, second = client.get("/insight/"), client.get("/queue/board/XN-CX/")
    policy = second["Content-Security-Policy"]
    assert (
        "script-src 'self' 'nonce-" in policy
        and "object-src 'none'" in policy
        and "frame-ancestors" in policy
    )
    assert (
        "unsafe-eval" not in policy
        and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    )
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    html = second.content.decode()
    assert f'nonce="{nonce}"' in html  # the board's config block carries the page's nonce
    assert nonce not in first.get("Content-Security-Policy", "")
    assert client.get("/api/outlets").has_header("Content-Security-Policy")
    assert client.get("/portal/").has_header("Content-Security-Policy")


def test_hsts_in_production_over_https_only(client, demo, settings):
    settings.SECURE_HSTS_SECONDS = (
        31536000  # the production value (test settings run in debug mode)
    )
    assert client.get("/portal/", secure=True)["Strict-Transport-Security"].startswith(
        "max-age=31536000"
    )
    assert not client.get("/portal/").has_header("Strict-Transport-Security")
    # a client claiming HTTPS itself is not believed …
    assert not client.get("/portal/", HTTP_X_FORWARDED_PROTO="https").has_header(
        "Strict-Transport-Security"
    )
    assert not client.get("/portal/", HTTP_X_YIMEN_FORWARDED_PROTO="https").has_header(
        "Strict-Transport-Security"
    )
    # … the TLS proxy we trust is
    settings.YIMEN_TRUSTED_PROXIES = ["127.0.0.1"]
    r = client.get("/portal/", HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="127.0.0.1")
    assert r.has_header("Strict-Transport-Security")


# --- request logs -----------------------------------------------------------------------------------


def test_uvicorn_access_log_is_redacted():
    from uvicorn.logging import AccessFormatter

    config = masking.uvicorn_log_config("info")
    assert all(h["filters"] == ["redact_personal_data"] for h in config["handlers"].values())
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(AccessFormatter(config["formatters"]["access"]["fmt"], use_colors=False))
    handler.addFilter(masking.RedactingFilter())
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("192.0.2.1:5000", "GET", "/api/x?id_number=6301041990&phone=13812345678&q=1", "1.1", 200),
        None,
    )
    handler.handle(record)
    line = stream.getvalue()
    assert "6301041990" not in line and "13812345678" not in line
    assert "id_number=***" in line and "phone=***" in line and "q=1" in line and " 200" in line


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_access_log_never_prints_an_id_or_phone(tmp_path):
    """The real server, access log on: the request line is logged with the numbers masked."""
    import httpx

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIMEN_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "yimen.settings",
            "PYTHONPATH": str(ROOT),
            "YIMEN_SECRET_KEY": "s" * 50,
            "YIMEN_DATA_KEY": "d" * 50,
            "YIMEN_WARM_UP": "0",
            "YIMEN_CHANGE_LISTENER": "0",
            "YIMEN_BACKGROUND_REFRESH": "0",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
        }
    )
    log = open(tmp_path / "serve.log", "w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "yimen.cli", "serve", "--port", str(port), "--access-log"],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}/static/yimen/ui.js?id_number=630104199001011237&phone=13812345678&secret=1234"
        for _ in range(100):
            try:
                r = httpx.get(url, timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert r.status_code == 200 and r.headers["content-security-policy"]
        time.sleep(0.3)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    log.seek(0)
    text = log.read()
    assert "GET /static/yimen/ui.js" in text, text
    for secret in ("630104199001011237", "13812345678", "secret=1234"):
        assert secret not in text


# --- demo and a fresh machine -----------------------------------------------------------------------


def test_short_demo_password_is_refused(db, monkeypatch):
    monkeypatch.setenv("YIMEN_DEMO_PASSWORD", "short")
    with pytest.raises(CommandError, match="至少需要 10 个字符"):
        call_command("demo", "--if-empty", stdout=io.StringIO())


def test_demo_reset_on_a_never_migrated_database_migrates_first(tmp_path):
    database = tmp_path / "fresh.sqlite3"
    r = run_yimen(
        ["demo", "--reset"],
        {
            "YIMEN_DEBUG": "1",
            "YIMEN_TESTING": "1",
            "DATABASE_URL": f"sqlite:///{database}",
            "YIMEN_DEV_KEYS_FILE": str(tmp_path / "k.json"),
            "YIMEN_DEMO_PASSWORD": "Demo-Passw0rd-2026",
        },
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    assert r.stdout.splitlines()[0].startswith("数据库尚未迁移") and "演示数据已载入" in r.stdout
    again = run_yimen(
        ["demo", "--if-empty"],
        {
            "YIMEN_DEBUG": "1",
            "YIMEN_TESTING": "1",
            "DATABASE_URL": f"sqlite:///{database}",
            "YIMEN_DEV_KEYS_FILE": str(tmp_path / "k.json"),
        },
    )
    assert again.returncode == 0 and "尚未迁移" not in again.stdout and "跳过" in again.stdout


def test_system_packages_check_names_the_exact_install_line():
    script = ROOT / "scripts" / "ensure-system-packages"
    env = {**os.environ, "YIMEN_CHROMIUM": "/nonexistent/chromium"}
    r = subprocess.run(
        [str(script), "--check"], env=env, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 1
    assert "apt-get update && apt-get install -y chromium" in r.stderr
    makefile = (ROOT / "Makefile").read_text()
    assert "scripts/ensure-system-packages" in makefile and "test-fast:" in makefile
    assert "scripts/ensure-system-packages" in (ROOT / ".ci" / "run").read_text()
