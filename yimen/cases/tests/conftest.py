"""Fixtures for the cases tests: clerks signed in at windows, tickets called through the queue
services, approvers of departments, valid ID numbers."""

from datetime import date

import pytest

from yimen.core.validators import make_credit_code, make_resident_id

PERSON_ID = make_resident_id("630104", date(1988, 6, 1), 123, "男")
AGENT_ID = make_resident_id("630102", date(1990, 2, 14), 57, "女")
COMPANY_CODE = make_credit_code("91630104MA7XYB123")


@pytest.fixture
def ids():
    return {"person": PERSON_ID, "agent": AGENT_ID, "company": COMPANY_CODE}


def window(code_or_group):
    from yimen.outlets.models import Window

    w = (
        Window.objects.filter(code=code_or_group).first()
        or Window.objects.filter(group_code=code_or_group).order_by("number").first()
    )
    assert w is not None, code_or_group
    return w


def clerk_at(window_code, **kw):
    """A clerk signed in at the window."""
    from yimen.staff.services import sign_in_window
    from yimen.staff.testing import make_staff

    w = window(window_code)
    clerk = make_staff("clerk", outlet=w.outlet, **kw)
    sign_in_window(clerk, w)
    return clerk, w


def called_ticket(w, clerk, items, *, start=False):
    """Issue a ticket for `items` at the window's outlet and call it at `w` (queue services)."""
    from yimen.queueing import services as q

    ticket = q.issue_ticket(w.outlet, items, channel="kiosk")
    called = q.call_next(w, clerk)
    assert called is not None and called.pk == ticket.pk, (
        "the new ticket should be called at this window"
    )
    if start:
        called = q.start(called, clerk)
    return called


def approver(department_code, **kw):
    from yimen.staff.testing import make_staff

    return make_staff("approver", department=department_code, **kw)


def person(**extra):
    data = {
        "applicant_kind": "person",
        "applicant_name": "张三",
        "applicant_id_number": PERSON_ID,
        "applicant_phone": "13800138000",
    }
    data.update(extra)
    return data


def company(**extra):
    data = {
        "applicant_kind": "company",
        "applicant_name": "西宁顺达运输有限公司",
        "credit_code": COMPANY_CODE,
        "agent_role": "经办人",
        "agent_name": "李四",
        "agent_id_number": AGENT_ID,
        "agent_phone": "13900139000",
    }
    data.update(extra)
    return data


def mark_all(case, *, missing=(), via="paper"):
    """Check every required material as received except those whose name contains a `missing` word."""
    from yimen.cases import rules, services

    marks = {}
    for m in case.materials.all():
        if any(word in m.name for word in missing):
            marks[m.pk] = (rules.M_MISSING, "")
        elif m.required:
            marks[m.pk] = (rules.M_RECEIVED, "electronic" if m.kind == "电子" else via)
    return services.check_materials(case.opened_by, case, marks)
