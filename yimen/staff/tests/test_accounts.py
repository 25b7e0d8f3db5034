"""Staff accounts saved through services.save_staff (the admin's 工作人员 form): audited with
what changed, never the phone number; taking someone off duty or moving them signs them out of
their window at once and (off duty) revokes their API tokens; only 管理员 may do it; the admin
offers 停用 instead of delete."""

import pytest

from yimen.core.errors import Forbidden
from yimen.core.models import AuditEntry
from yimen.outlets.models import Outlet, Window
from yimen.staff import selectors, services
from yimen.staff.models import Staff
from yimen.staff.testing import make_staff
from yimen.staff.tokens import authenticate_token, issue_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_staff(demo):
    return make_staff("admin", password=None)


@pytest.fixture
def signed_in_clerk(demo):
    clerk = make_staff("clerk", outlet="XN-CX", password=None)
    services.sign_in_window(clerk, Window.objects.get(code="CX-ZH-201"))
    _token, raw = issue_token(staff=clerk)
    return clerk, raw


def entries(action):
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def test_create_and_change_are_audited_with_what_changed(admin_staff):
    user = make_staff("guide", outlet="XN-CX", password=None).user
    Staff.objects.filter(user=user).delete()
    staff = Staff(user=user, name="新同事", role="guide", outlet=Outlet.objects.get(code="XN-CX"))
    services.save_staff(admin_staff, staff)
    created = entries("staff.create")[-1]
    assert (
        created.summary["after"]["role"] == "guide" and created.summary["after"]["name"] == "新同事"
    )
    staff.role = "clerk"
    staff.phone = "13912345678"
    services.save_staff(admin_staff, staff)
    updated = entries("staff.update")[-1]
    assert updated.summary["before"] == {"role": "guide", "phone": "—"}
    assert updated.summary["after"] == {"role": "clerk", "phone": "（已修改）"}
    assert "13912345678" not in str(updated.summary)
    services.save_staff(admin_staff, staff)  # nothing changed: no entry
    assert entries("staff.update")[-1].pk == updated.pk


def test_taking_a_clerk_off_duty_signs_out_and_revokes_tokens_at_once(admin_staff, signed_in_clerk):
    clerk, raw = signed_in_clerk
    assert authenticate_token(raw) is not None
    clerk.active = False
    services.save_staff(admin_staff, clerk)
    assert selectors.session_of(clerk) is None
    assert selectors.window_state(Window.objects.get(code="CX-ZH-201")) == "closed"
    assert authenticate_token(raw) is None
    closed = entries("window.close")[-1]
    assert closed.reason == "账号停用"
    assert entries("token.revoke")[-1].object_id == str(clerk.tokens.get().pk)
    assert entries("staff.update")[-1].summary["after"] == {"active": False}


def test_moving_a_clerk_to_another_outlet_ends_the_session_but_keeps_tokens(
    admin_staff, signed_in_clerk
):
    clerk, raw = signed_in_clerk
    clerk.outlet = Outlet.objects.exclude(code="XN-CX").first()
    services.save_staff(admin_staff, clerk)
    assert selectors.session_of(clerk) is None
    assert entries("window.close")[-1].reason == "岗位变更"
    assert authenticate_token(raw) is not None


def test_renaming_keeps_the_clerk_at_the_window(admin_staff, signed_in_clerk):
    clerk, _raw = signed_in_clerk
    clerk.name = "改名后"
    services.save_staff(admin_staff, clerk)
    assert selectors.session_of(clerk) is not None


def test_only_an_administrator_may_change_accounts(signed_in_clerk):
    clerk, _raw = signed_in_clerk
    director = make_staff("director", outlet="XN-CX", password=None)
    clerk.role = "director"
    with pytest.raises(Forbidden):
        services.save_staff(director, clerk)
    assert Staff.objects.get(pk=clerk.pk).role == "clerk"


def test_admin_form_saves_through_the_service_and_offers_no_delete(admin_client, signed_in_clerk):
    clerk, raw = signed_in_clerk
    url = f"/admin/staff/staff/{clerk.pk}/change/"
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url,
        {
            "user": clerk.user_id,
            "name": clerk.name,
            "role": "clerk",
            "outlet": clerk.outlet_id,
            "region_code": "",
            "shift_group": "",
            "phone": "",
            "home_window": "",
        },
    )  # 在岗 unticked
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Staff.objects.get(pk=clerk.pk).active is False
    assert selectors.session_of(clerk) is None and authenticate_token(raw) is None
    assert entries("staff.update")[-1].actor_label == "admin"
    assert admin_client.get(f"/admin/staff/staff/{clerk.pk}/delete/").status_code == 403
