"""Intake from a ticket (收件 and 补齐回访) takes only a ticket being served at the outlet that takes
the case in: a ticket of another outlet, or one not called, is refused inside the intake service
whichever way it arrives (service, API, page)."""

import pytest

from yimen.cases import rules, services
from yimen.catalog.models import ServiceItem
from yimen.core.errors import Conflict, DomainError, ValidationFailed
from yimen.queueing import services as q
from yimen.staff.tokens import issue_token

from .conftest import called_ticket, clerk_at, mark_all, person, window

pytestmark = pytest.mark.django_db


def auth(staff):
    _token, raw = issue_token(staff=staff)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def other_outlet_ticket():
    """A ticket called at 城东区 (XN-CD) by its own clerk."""
    clerk, w = clerk_at("CD-ZH")
    q.issue_ticket(w.outlet, [], queue="CD-ZH")
    ticket = q.call_next(w, clerk)
    assert ticket is not None and ticket.outlet.code == "XN-CD"
    return ticket


def notified_case(clerk, w):
    case = services.open_case(
        clerk,
        item=ServiceItem.objects.get(code="XN-WS-001"),
        outlet=w.outlet,
        window=w,
        applicant=person(),
    )
    mark_all(case, missing=["卫生设施平面布局图", "卫生检测"])
    services.notify_missing(clerk, case)
    case.refresh_from_db()
    assert case.status == rules.NOTIFIED
    return case


def test_return_visit_refuses_a_ticket_of_another_outlet(demo, clock):
    clock.freeze(clock.at(2022, 3, 28, 10, 0))
    clerk, w = clerk_at("CX-ZH-201")
    case = notified_case(clerk, w)
    foreign = other_outlet_ticket()
    with pytest.raises(ValidationFailed) as err:
        services.return_visit(clerk, case, ticket=foreign)
    assert err.value.code == "other_outlet" and "不是本网点" in err.value.message
    case.refresh_from_db()
    assert case.status == rules.NOTIFIED and case.ticket_id is None
    assert not case.visits.filter(ticket=foreign).exists()


def test_return_visit_refuses_a_ticket_not_called(demo, clock):
    clock.freeze(clock.at(2022, 3, 28, 10, 0))
    clerk, w = clerk_at("CX-ZH-201")
    case = notified_case(clerk, w)
    waiting = q.issue_ticket(w.outlet, ["XN-WS-001"])
    with pytest.raises(Conflict) as err:
        services.return_visit(clerk, case, ticket=waiting)
    assert err.value.code == "ticket_not_active"
    case.refresh_from_db()
    assert case.status == rules.NOTIFIED


def test_return_visit_api_refuses_a_ticket_of_another_outlet(client, demo, clock):
    clock.freeze(clock.at(2022, 3, 28, 10, 0))
    clerk, w = clerk_at("CX-ZH-201")
    case = notified_case(clerk, w)
    foreign = other_outlet_ticket()
    r = client.post(
        f"/api/cases/{case.pk}/return",
        {"ticket_id": foreign.pk},
        content_type="application/json",
        **auth(clerk),
    )
    assert r.status_code == 400 and r.json()["code"] == "other_outlet", r.content
    case.refresh_from_db()
    assert case.status == rules.NOTIFIED


def test_open_case_refuses_a_ticket_or_window_of_another_outlet(demo, clock):
    clock.freeze(clock.at(2022, 3, 28, 10, 0))
    clerk, w = clerk_at("CX-ZH-201")
    item = ServiceItem.objects.get(code="XN-WS-001")
    foreign = other_outlet_ticket()
    with pytest.raises(ValidationFailed) as err:
        services.open_case(clerk, item=item, outlet=w.outlet, ticket=foreign, applicant=person())
    assert err.value.code == "other_outlet"
    with pytest.raises(DomainError):  # no outlet given: the ticket's outlet is not the clerk's
        services.open_case(clerk, item=item, ticket=foreign, applicant=person())
    with pytest.raises(ValidationFailed) as err:
        services.open_case(
            clerk, item=item, outlet=w.outlet, window=window("CD-ZH"), applicant=person()
        )
    assert err.value.code == "other_outlet"
    own = called_ticket(w, clerk, ["XN-WS-001"])
    case = services.open_case(clerk, item=item, ticket=own, applicant=person())
    assert case.ticket == own and case.outlet == w.outlet
