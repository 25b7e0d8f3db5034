"""Issue 14 §5: sign-in lockout counts per account AND client address, so nobody can lock an
account (the admin's) out from elsewhere; X-Forwarded-For is believed only from a trusted proxy;
a 管理员 lifts locks in the Django admin (audited); refused reveals of personal data are audited."""

import pytest
from django.test import Client

from yimen.core.errors import Forbidden, ValidationFailed
from yimen.core.models import AuditEntry
from yimen.staff import services
from yimen.staff.models import LoginFailure, LoginLock, Staff
from yimen.staff.testing import make_staff

PASSWORD = "test-Passw0rd!"
ATTACKER, ADMIN_DESK, PROXY = "203.0.113.9", "198.51.100.20", "10.0.0.2"


def login_from(address, username, password, **headers):
    return Client(REMOTE_ADDR=address, **headers).post(
        "/staff/login/", {"username": username, "password": password}
    )


@pytest.fixture
def boss(demo, settings):
    settings.YIMEN = {**settings.YIMEN, "REQUIRE_TOTP": False}
    return make_staff("admin", username="boss_admin")


def test_a_stranger_cannot_lock_the_admin_out(boss, clock):
    clock.freeze(clock.at(2026, 12, 1, 9, 0))
    for _ in range(6):
        assert login_from(ATTACKER, "boss_admin", "wrong").status_code == 401
    # the attacker's address is locked for this account — even with the right password …
    assert "已暂时锁定" in login_from(ATTACKER, "boss_admin", PASSWORD).content.decode()
    # … but the admin at their own desk signs in as usual
    assert login_from(ADMIN_DESK, "boss_admin", PASSWORD).status_code == 302
    lock = LoginLock.objects.get(username="boss_admin")
    assert lock.source == ATTACKER
    assert services.locked_until("boss_admin", ip=ATTACKER) and not services.locked_until(
        "boss_admin", ip=ADMIN_DESK
    )


def test_forged_x_forwarded_for_changes_nothing_without_a_trusted_proxy(boss, clock):
    clock.freeze(clock.at(2026, 12, 1, 9, 0))
    # the attacker claims to be the admin's desk: ignored, the failures count against their own address
    for _ in range(5):
        login_from(ATTACKER, "boss_admin", "wrong", HTTP_X_FORWARDED_FOR=ADMIN_DESK)
    assert set(LoginFailure.objects.values_list("source", flat=True)) == {ATTACKER}
    assert login_from(ADMIN_DESK, "boss_admin", PASSWORD).status_code == 302
    audit_ips = set(
        AuditEntry.objects.filter(action="auth.login_failed").values_list("source_ip", flat=True)
    )
    assert audit_ips == {ATTACKER}


def test_behind_a_trusted_proxy_the_forwarded_client_counts(boss, clock, settings):
    clock.freeze(clock.at(2026, 12, 1, 9, 0))
    settings.YIMEN_TRUSTED_PROXIES = ["10.0.0.0/24"]
    for _ in range(5):  # everyone arrives through the proxy; the proxy appends the real client
        login_from(PROXY, "boss_admin", "wrong", HTTP_X_FORWARDED_FOR=f"{ADMIN_DESK}, {ATTACKER}")
    assert (
        LoginLock.objects.get(username="boss_admin").source == ATTACKER
    )  # the header's spoofed first hop is ignored
    assert (
        login_from(PROXY, "boss_admin", PASSWORD, HTTP_X_FORWARDED_FOR=ADMIN_DESK).status_code
        == 302
    )
    assert (
        login_from(PROXY, "boss_admin", PASSWORD, HTTP_X_FORWARDED_FOR=ATTACKER).status_code == 401
    )


def test_one_address_trying_many_accounts_is_locked_for_all(demo, clock, settings):
    clock.freeze(clock.at(2026, 12, 1, 9, 0))
    settings.YIMEN = {**settings.YIMEN, "LOCKOUT_FAILURES_PER_ADDRESS": 6}
    clerk = make_staff("clerk", outlet="XN-CX", username="spray_target")
    for i in range(6):  # one try per username: no account lock, but the address's budget runs out
        login_from(ATTACKER, f"guess_{i}", "wrong")
    assert LoginLock.objects.filter(username="", source=ATTACKER).exists()
    assert "已暂时锁定" in login_from(ATTACKER, clerk.user.username, PASSWORD).content.decode()
    assert login_from(ADMIN_DESK, clerk.user.username, PASSWORD).status_code == 302
    assert AuditEntry.objects.filter(action="auth.locked", object_id="*").count() == 1


def test_service_unlock_per_source_and_for_all(boss, clock):
    clock.freeze(clock.at(2026, 12, 1, 9, 0))
    clerk = make_staff("clerk", outlet="XN-CX", username="locked_twice")
    for address in (ATTACKER, ADMIN_DESK):
        for _ in range(5):
            services.record_login_failure("locked_twice", ip=address)
    assert LoginLock.objects.filter(username="locked_twice").count() == 2
    with pytest.raises(Forbidden):
        services.unlock(clerk, "locked_twice")
    assert services.unlock(boss, "locked_twice", source=ATTACKER) == 1
    assert not services.locked_until("locked_twice", ip=ATTACKER) and services.locked_until(
        "locked_twice", ip=ADMIN_DESK
    )
    assert services.unlock(boss, "locked_twice") == 1
    with pytest.raises(ValidationFailed):
        services.unlock(boss, "")
    assert AuditEntry.objects.filter(action="auth.unlock", object_id="locked_twice").count() == 2


def test_admin_actions_unlock_from_the_staff_list_and_the_lock_list(boss, clock):
    clock.freeze(clock.at(2026, 12, 1, 9, 0))
    clerk = make_staff("clerk", outlet="XN-CX", username="needs_unlock")
    for _ in range(5):
        login_from(ATTACKER, "needs_unlock", "wrong")
    for i in range(20):
        login_from(ADMIN_DESK, f"nobody_{i}", "wrong")
    assert LoginLock.objects.filter(username="needs_unlock").exists()
    assert LoginLock.objects.filter(username="", source=ADMIN_DESK).exists()
    boss.user.is_staff = boss.user.is_superuser = True  # a 管理员 account as the demo's yimen_admin
    boss.user.save()
    admin_client = Client(REMOTE_ADDR="192.0.2.1")
    admin_client.force_login(boss.user)
    page = admin_client.get("/admin/staff/loginlock/").content.decode()
    assert "解除所选登录锁定" in page and ATTACKER in page
    # the staff list: unlock a person (every address)
    r = admin_client.post(
        "/admin/staff/staff/",
        {"action": "unlock_sign_in", "_selected_action": [clerk.pk]},
        follow=True,
    )
    assert "已解除 1 个登录锁定" in r.content.decode()
    assert login_from(ATTACKER, "needs_unlock", PASSWORD).status_code == 302
    # the lock list: lift the address-wide lock
    lock = LoginLock.objects.get(username="", source=ADMIN_DESK)
    r = admin_client.post(
        "/admin/staff/loginlock/",
        {"action": "unlock_selected", "_selected_action": [lock.pk]},
        follow=True,
    )
    assert "已解除 1 个登录锁定" in r.content.decode() and not LoginLock.objects.exists()
    assert AuditEntry.objects.filter(action="auth.unlock", actor_label="boss_admin").count() == 2


def test_refused_reveals_are_audited_too(demo, client):
    target = Staff.objects.get(user__username="cx_zh_202")
    target.phone = "13912345678"
    target.save()
    outsider = make_staff("clerk", outlet="XN-CD", username="outsider_clerk")
    with pytest.raises(Forbidden):
        services.reveal(outsider, target, "phone", reason="看看", outlet=target.outlet)
    with pytest.raises(ValidationFailed):
        services.reveal(
            Staff.objects.get(user__username="cx_zh_201"),
            target,
            "phone",
            reason=" ",
            outlet=target.outlet,
        )
    refused = list(AuditEntry.objects.filter(action="personal.reveal_refused").order_by("id"))
    assert [e.actor_label for e in refused] == ["outsider_clerk", "cx_zh_201"]
    assert (
        refused[0].summary["after"]["field"] == "phone" and refused[0].summary["after"]["refused"]
    )
    assert not AuditEntry.objects.filter(action="personal.reveal").exists()
    assert "13912345678" not in str([e.summary for e in refused])
    # through HTTP (a token of another outlet): 403, and audited with the caller's address
    from yimen.staff.tokens import issue_token

    # another outlet's clerk does not even see the person (scope policy: 404, nothing revealed)
    _, raw = issue_token(staff=outsider)
    r = client.post(
        "/api/staff/cx_zh_202/phone/reveal",
        {"reason": "看看"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
        REMOTE_ADDR=ATTACKER,
    )
    assert r.status_code == 404 and "13912345678" not in r.content.decode()
    # a colleague who gives no purpose is refused, and that refusal is audited with the address
    colleague = Staff.objects.get(user__username="cx_zh_201")
    _, raw = issue_token(staff=colleague)
    r = client.post(
        "/api/staff/cx_zh_202/phone/reveal",
        {"reason": " "},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
        REMOTE_ADDR=ATTACKER,
    )
    assert r.status_code == 400 and "13912345678" not in r.content.decode()
    last = AuditEntry.objects.filter(action="personal.reveal_refused").latest("id")
    assert last.actor_label == "cx_zh_201" and last.source_ip == ATTACKER
