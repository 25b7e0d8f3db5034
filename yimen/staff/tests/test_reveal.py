"""Personal data: masked by default, full value only through the audited reveal service."""

import pytest

from yimen.core.errors import Forbidden, ValidationFailed
from yimen.core.models import AuditEntry
from yimen.staff import services
from yimen.staff.models import Staff
from yimen.staff.testing import make_staff
from yimen.staff.tokens import issue_token


@pytest.fixture
def target(demo):
    staff = Staff.objects.get(user__username="cx_zh_202")
    staff.phone = "13912345678"
    staff.save()
    return staff


def test_clerk_reveals_at_own_outlet_with_reason_and_it_is_audited(target):
    clerk = Staff.objects.get(user__username="cx_zh_201")
    assert (
        services.reveal(clerk, target, "phone", reason="联系同事换班", outlet=target.outlet)
        == "13912345678"
    )
    entry = AuditEntry.objects.filter(action="personal.reveal").latest("id")
    assert entry.actor_label == "cx_zh_201" and entry.summary["after"] == {"field": "phone"}
    assert "13912345678" not in str(entry.summary) + entry.reason


def test_reveal_refused_without_reason_or_outside_scope(target):
    clerk = Staff.objects.get(user__username="cx_zh_201")
    with pytest.raises(ValidationFailed):
        services.reveal(clerk, target, "phone", reason=" ", outlet=target.outlet)
    with pytest.raises(Forbidden):
        services.reveal(
            make_staff("clerk", outlet="XN-CD"), target, "phone", reason="x", outlet=target.outlet
        )
    with pytest.raises(Forbidden):
        services.reveal(
            Staff.objects.get(user__username="cx_guide"),
            target,
            "phone",
            reason="x",
            outlet=target.outlet,
        )
    assert not AuditEntry.objects.filter(action="personal.reveal").exists()


def test_approver_reveals_only_for_own_department(target):
    approver = Staff.objects.get(user__username="appr_ws")
    assert (
        services.reveal(approver, target, "phone", reason="核对", department=approver.department)
        == "13912345678"
    )
    from yimen.catalog.models import Department

    with pytest.raises(Forbidden):
        services.reveal(
            approver,
            target,
            "phone",
            reason="核对",
            department=Department.objects.get(code="XN-RS"),
        )


def test_reveal_api_and_masked_me(client, target):
    _, raw = issue_token(staff=Staff.objects.get(user__username="cx_chief_zh"))
    h = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    r = client.post(
        "/api/staff/cx_zh_202/phone/reveal",
        {"reason": "紧急联系"},
        content_type="application/json",
        **h,
    )
    assert r.status_code == 200 and r.json()["phone"] == "13912345678"
    r = client.post(
        "/api/staff/cx_zh_202/phone/reveal", {"reason": ""}, content_type="application/json", **h
    )
    assert r.status_code == 400
    _, own = issue_token(staff=target)
    assert (
        client.get("/api/staff/me", HTTP_AUTHORIZATION=f"Bearer {own}").json()["phone"]
        == "139****5678"
    )


def test_admin_list_masks_phone(client, target):
    admin = Staff.objects.get(user__username="yimen_admin")
    client.force_login(admin.user)
    page = client.get("/admin/staff/staff/?q=cx_zh_202").content.decode()
    assert "139****5678" in page and "13912345678" not in page
