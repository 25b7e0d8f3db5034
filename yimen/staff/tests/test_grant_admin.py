"""`yimen grant-admin`: the first administrator of a fresh install (operations.md §0 step 5) can
sign in — `createsuperuser` alone makes an account /staff/login/ refuses."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from yimen.core.models import AuditEntry
from yimen.staff.models import ADMIN, Staff

PASSWORD = "Drill-Admin-2026!x"


def sign_in(client):
    return client.post("/staff/login/", {"username": "root1", "password": PASSWORD, "next": "/"})


@pytest.mark.django_db
def test_the_first_superuser_signs_in_once_granted(client, django_user_model):
    django_user_model.objects.create_superuser("root1", "", PASSWORD)  # as createsuperuser does
    refused = sign_in(client)
    assert refused.status_code == 401 and "不是工作人员账号" in refused.content.decode()

    call_command("grant-admin", "root1", "--name", "系统管理员")
    staff = Staff.objects.get(user__username="root1")
    assert (staff.role, staff.name) == (ADMIN, "系统管理员")
    assert AuditEntry.objects.filter(action="staff.create").count() == 1
    assert sign_in(client).status_code == 302  # signed in (or on to TOTP in production)

    call_command("grant-admin", "root1")  # twice: nothing changes
    assert Staff.objects.filter(user__username="root1").count() == 1


@pytest.mark.django_db
def test_only_an_existing_superuser_is_granted(django_user_model):
    with pytest.raises(CommandError, match="找不到账号"):
        call_command("grant-admin", "nobody")
    django_user_model.objects.create_user("plain", password=PASSWORD)
    with pytest.raises(CommandError, match="超级用户"):
        call_command("grant-admin", "plain")
    assert not Staff.objects.filter(user__username="plain").exists()
