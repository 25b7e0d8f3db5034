"""Portal test helpers: a frozen clock at the centre, a finished ticket and an accepted case made
through the owning apps' services."""

from datetime import date

import pytest

from yimen.core import clock as project_clock
from yimen.core.validators import make_resident_id

PERSON_ID = make_resident_id("630104", date(1988, 6, 1), 123, "男")
ELDER_ID = make_resident_id("630104", date(1948, 3, 2), 45, "女")


@pytest.fixture
def at_centre(db, demo, clock):
    """Tue 2022-03-15 10:00, 城西区市民服务中心 open."""
    clock.freeze(project_clock.at(2022, 3, 15, 10, 0))
    from yimen.outlets.models import Outlet

    return Outlet.objects.get(code="XN-CX")


def signed_in_clerk(window_code):
    from yimen.outlets.models import Window
    from yimen.staff.services import sign_in_window
    from yimen.staff.testing import make_staff

    w = Window.objects.get(code=window_code)
    clerk = make_staff("clerk", outlet=w.outlet)
    sign_in_window(clerk, w)
    return clerk, w


def finished_ticket(outlet, item_code="XN-CG-001", window_code="CX-ZH-203"):
    from yimen.queueing import services as q

    clerk, w = signed_in_clerk(window_code)
    q.issue_ticket(outlet, [item_code], channel="kiosk")
    t = q.call_next(w, clerk)
    q.start(t, clerk)
    return q.finish(t, clerk)


def accepted_case(outlet, item_code="XN-WS-001", window_code="CX-ZH-204"):
    """A case for XN-WS-001 accepted at a comprehensive window (applicant 张三, PERSON_ID)."""
    from yimen.cases import rules, services
    from yimen.catalog.models import ServiceItem
    from yimen.queueing import services as q

    clerk, w = signed_in_clerk(window_code)
    q.issue_ticket(outlet, [item_code], channel="kiosk")
    t = q.start(q.call_next(w, clerk), clerk)
    case = services.open_case(
        clerk,
        item=ServiceItem.objects.get(code=item_code),
        ticket=t,
        applicant={
            "applicant_kind": "person",
            "applicant_name": "张三",
            "applicant_id_number": PERSON_ID,
            "applicant_phone": "13800138000",
        },
    )
    marks = {
        m.pk: (rules.M_RECEIVED, "electronic" if m.kind == "电子" else "paper")
        for m in case.materials.all()
        if m.required
    }
    services.check_materials(clerk, case, marks)
    case.refresh_from_db()
    return services.accept(clerk, case)


@pytest.fixture
def helpers():
    return {
        "finished_ticket": finished_ticket,
        "accepted_case": accepted_case,
        "PERSON_ID": PERSON_ID,
        "ELDER_ID": ELDER_ID,
    }
