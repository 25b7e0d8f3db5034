"""Helpers for the feedback tests: finished tickets, staff at the demo centre XN-CX and a 很难办
grievance there."""

from datetime import date

import pytest

from yimen.core.validators import make_resident_id
from yimen.staff.testing import make_staff


def make_ticket(
    window_code="CX-ZY-RS-304",
    *,
    staff,
    items=("XN-RS-004",),
    status="done",
    phone="13800138000",
    wait_minutes=40,
    service_minutes=5,
    outlet_code="XN-CX",
):
    """A visit through the real queue: issued now, called after `wait_minutes` at the window by
    `staff` (signed in there), served for `service_minutes`. Moves the frozen clock forward."""
    from yimen.core import clock
    from yimen.outlets.models import Window
    from yimen.queueing import services as queue
    from yimen.staff.services import sign_in_window

    window = Window.objects.get(outlet__code=outlet_code, code=window_code)
    sign_in_window(staff, window)
    ticket = queue.issue_ticket(
        outlet_code, list(items), channel="kiosk", queue=window.group_code, phone=phone
    )
    clock.travel(minutes=wait_minutes)
    called = queue.call_next(window, staff)
    assert called.pk == ticket.pk
    ticket = queue.start(called, staff)
    if status == "serving":
        return ticket
    clock.travel(minutes=service_minutes)
    return queue.finish(ticket, staff)


@pytest.fixture
def cx_staff(db, demo):
    """The people of scenario S06–S09 at 城西区市民服务中心."""
    return {
        "clerk": make_staff("clerk", outlet="XN-CX", name="李窗口"),
        "bbcs_clerk": make_staff("clerk", outlet="XN-CX", name="王受理"),
        "chief": make_staff("chief", outlet="XN-CX", name="赵科长"),
        "director": make_staff("director", outlet="XN-CX", name="钱主任"),
        "leader": make_staff("leader", name="孙区长", region_code="630104"),
        "other_chief": make_staff("chief", outlet="XN-CB", name="周科长"),
    }


# --- 办不成事 (test_grievances.py, test_grievance_pages.py) -----------------------------------------

PHONE = "13912345678"
OWNER_ID = make_resident_id("630104", date(1980, 5, 6), 31, "男")


def cx():
    from yimen.outlets.models import Outlet

    return Outlet.objects.get(code="XN-CX")


def _hard(clock, actor, **kw):
    """A 很难办 grievance at XN-CX about the demo business licence item (XN-SJ-001)."""
    from yimen.catalog.models import ServiceItem
    from yimen.feedback import rules, services

    return services.submit_grievance(
        outlet=cx(),
        category=rules.HARD,
        item=ServiceItem.objects.get(code="XN-SJ-001"),
        description="老楼没有房产证（历史遗留问题），开不出经营场所使用证明，办不了个体执照。",
        missing_materials=["经营场所使用证明（或住所申报承诺书）"],
        phone=PHONE,
        applicant_name="马建国",
        actor=actor,
        **kw,
    )
