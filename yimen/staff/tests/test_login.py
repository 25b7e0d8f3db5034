"""Sign-in security: lockout (per username, never revealing who exists), audit of failures and
locks, idle session timeout, TOTP second factor, CSRF on forms, admin login through ours."""

from datetime import timedelta

import pyotp
import pytest
from django.test import Client, override_settings
from django.utils import timezone

from yimen.core.models import AuditEntry
from yimen.staff.models import LoginLock, TotpDevice
from yimen.staff.testing import make_staff

PASSWORD = "test-Passw0rd!"


def post_login(client, username, password, **extra):
    return client.post("/staff/login/", {"username": username, "password": password, **extra})


@pytest.fixture
def clerk(demo):
    return make_staff("clerk", outlet="XN-CX", username="lock_me")


def test_login_page_is_chinese_and_logs_in(client, clerk):
    page = client.get("/staff/login/")
    assert page.status_code == 200 and "工作人员登录" in page.content.decode()
    response = post_login(client, "lock_me", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
    assert AuditEntry.objects.filter(action="auth.login", actor_label="lock_me").exists()


def test_login_rejects_open_redirect(client, clerk):
    response = post_login(client, "lock_me", PASSWORD, next="https://evil.example/")
    assert response["Location"] == "/staff/"


def test_five_failures_lock_for_thirty_minutes(client, clerk, clock):
    clock.freeze(clock.at(2026, 12, 1, 9, 0))
    for _ in range(4):
        r = post_login(client, "lock_me", "wrong-password")
        assert r.status_code == 401 and "用户名或密码错误" in r.content.decode()
    r = post_login(client, "lock_me", "wrong-password")
    assert "已暂时锁定" in r.content.decode()
    # even the right password is refused while locked
    r = post_login(client, "lock_me", PASSWORD)
    assert r.status_code == 401 and "已暂时锁定" in r.content.decode()
    assert AuditEntry.objects.filter(action="auth.login_failed", object_id="lock_me").count() == 6
    assert AuditEntry.objects.filter(action="auth.locked", object_id="lock_me").count() == 1
    clock.travel(minutes=29)
    assert "已暂时锁定" in post_login(client, "lock_me", PASSWORD).content.decode()
    clock.travel(minutes=2)
    assert post_login(client, "lock_me", PASSWORD).status_code == 302


def test_failures_spread_beyond_window_do_not_lock(client, clerk, clock):
    clock.freeze(clock.at(2026, 12, 1, 9, 0))
    for _ in range(4):
        post_login(client, "lock_me", "wrong")
    clock.travel(minutes=16)  # the first four fall out of the 15-minute window
    post_login(client, "lock_me", "wrong")
    assert not LoginLock.objects.filter(username="lock_me").exists()
    assert post_login(client, "lock_me", PASSWORD).status_code == 302


def test_unknown_username_is_treated_like_a_known_one(client, demo, clock):
    clock.freeze(clock.at(2026, 12, 1, 9, 0))
    answers = [post_login(client, "nobody_here", "wrong").content.decode() for _ in range(5)]
    assert "用户名或密码错误" in answers[0] and "已暂时锁定" in answers[-1]
    assert LoginLock.objects.filter(username="nobody_here").exists()


def test_lock_is_per_username(client, clerk, clock):
    clock.freeze(clock.at(2026, 12, 1, 9, 0))
    other = make_staff("clerk", outlet="XN-CX", username="not_locked")
    for _ in range(5):
        post_login(client, "lock_me", "wrong")
    assert post_login(client, other.user.username, PASSWORD).status_code == 302


def test_admin_site_login_goes_through_staff_login(client, demo):
    r = client.get("/admin/login/?next=/admin/")
    assert r.status_code == 302 and r["Location"].startswith("/staff/login/")


def test_csrf_is_required_on_login_and_logout(clerk):
    strict = Client(enforce_csrf_checks=True)
    assert (
        strict.post("/staff/login/", {"username": "lock_me", "password": PASSWORD}).status_code
        == 403
    )
    strict.get("/staff/login/")
    token = strict.cookies["csrftoken"].value
    r = strict.post(
        "/staff/login/", {"username": "lock_me", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert r.status_code == 302
    assert strict.post("/staff/logout/").status_code == 403


def test_logout_is_post_and_audited(client, clerk):
    client.force_login(clerk.user)
    assert client.get("/staff/logout/").status_code == 405
    assert client.post("/staff/logout/").status_code == 302
    assert client.get("/staff/").status_code == 302
    assert AuditEntry.objects.filter(action="auth.logout").exists()


def test_idle_session_times_out(client, clerk, monkeypatch, settings):
    assert settings.SESSION_SAVE_EVERY_REQUEST and settings.SESSION_COOKIE_AGE == 30 * 60
    post_login(client, "lock_me", PASSWORD)
    real_now = timezone.now
    start = real_now()
    # activity every 20 minutes keeps the session alive (sliding expiry) …
    for minutes in (20, 40, 60):
        monkeypatch.setattr(timezone, "now", lambda m=minutes: start + timedelta(minutes=m))
        assert client.get("/staff/").status_code == 200, minutes
    # … 31 idle minutes end it
    monkeypatch.setattr(timezone, "now", lambda: start + timedelta(minutes=60 + 31))
    r = client.get("/staff/")
    assert r.status_code == 302 and r["Location"].startswith("/staff/login/")


def test_demo_switch_is_announced_on_login_page(client, demo, settings):
    settings.YIMEN = {**settings.YIMEN, "REQUIRE_TOTP": False}
    assert "动态口令（第二重验证）已关闭" in client.get("/staff/login/").content.decode()
    settings.YIMEN = {**settings.YIMEN, "REQUIRE_TOTP": True}
    assert "已关闭" not in client.get("/staff/login/").content.decode()


def _code(secret, clock):
    return pyotp.TOTP(secret).at(clock.now())


def test_director_must_enrol_and_use_totp(client, demo, settings, clock):
    settings.YIMEN = {**settings.YIMEN, "REQUIRE_TOTP": True}
    clock.freeze(clock.at(2026, 12, 1, 9, 0))
    director = make_staff("director", outlet="XN-CX", username="dir_totp")
    r = post_login(client, "dir_totp", PASSWORD)
    assert r["Location"] == "/staff/login/totp/"
    assert client.get("/staff/").status_code == 302  # not signed in yet
    page = client.get("/staff/login/totp/").content.decode()
    assert "<svg" in page and "扫描二维码" in page
    secret = TotpDevice.objects.get(staff=director).secret
    assert (
        client.post(
            "/staff/login/totp/",
            {"code": "000000" if _code(secret, clock) != "000000" else "111111"},
        ).status_code
        == 401
    )
    r = client.post("/staff/login/totp/", {"code": _code(secret, clock)})
    assert r.status_code == 302 and client.get("/staff/").status_code == 200
    assert TotpDevice.objects.get(staff=director).confirmed
    # next time: the code is asked, and a used code cannot be replayed
    client.post("/staff/logout/")
    post_login(client, "dir_totp", PASSWORD)
    page = client.get("/staff/login/totp/").content.decode()
    assert "<svg" not in page
    assert (
        client.post("/staff/login/totp/", {"code": _code(secret, clock)}).status_code == 401
    )  # replay
    clock.travel(minutes=1)
    assert client.post("/staff/login/totp/", {"code": _code(secret, clock)}).status_code == 302


def test_clerk_needs_no_totp_even_in_production(client, clerk, settings):
    settings.YIMEN = {**settings.YIMEN, "REQUIRE_TOTP": True}
    assert post_login(client, "lock_me", PASSWORD)["Location"] == "/staff/"


def test_totp_failures_count_toward_lockout(client, demo, settings, clock):
    settings.YIMEN = {**settings.YIMEN, "REQUIRE_TOTP": True}
    clock.freeze(clock.at(2026, 12, 1, 9, 0))
    make_staff("admin", username="adm_totp")
    for _ in range(5):
        post_login(client, "adm_totp", PASSWORD)
        client.post("/staff/login/totp/", {"code": "12345"})  # malformed → failure
    assert LoginLock.objects.filter(username="adm_totp").exists()


def test_voluntary_enrolment_page(client, clerk, clock):
    client.force_login(clerk.user)
    page = client.get("/staff/totp/").content.decode()
    assert "<svg" in page
    secret = TotpDevice.objects.get(staff=clerk).secret
    r = client.post("/staff/totp/", {"code": pyotp.TOTP(secret).at(clock.now())})
    assert r.status_code == 302 and TotpDevice.objects.get(staff=clerk).confirmed
    with override_settings(YIMEN={"REQUIRE_TOTP": False}):
        from yimen.staff.services import totp_required

        assert totp_required(clerk)  # enrolled → always asked
