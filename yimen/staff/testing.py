"""Test helpers shared by every app's tests (not used by production code)."""

import itertools

from django.contrib.auth import get_user_model

from .models import Staff

_counter = itertools.count(1)


def make_staff(
    role: str,
    *,
    outlet=None,
    department=None,
    name: str | None = None,
    username: str | None = None,
    password: str = "test-Passw0rd!",
    region_code: str = "",
    shift_group: str = "",
) -> Staff:
    """Create a user + Staff profile. `outlet` / `department` may be objects or codes."""
    from yimen.catalog.models import Department
    from yimen.outlets.models import Outlet

    if isinstance(outlet, str):
        outlet = Outlet.objects.get(code=outlet)
    if isinstance(department, str):
        department = Department.objects.get(code=department)
    n = next(_counter)
    username = username or f"{role}{n}"
    user = get_user_model().objects.create_user(username=username, password=password)
    return Staff.objects.create(
        user=user,
        name=name or f"测试{role}{n}",
        role=role,
        outlet=outlet,
        department=department,
        region_code=region_code,
        shift_group=shift_group,
    )
