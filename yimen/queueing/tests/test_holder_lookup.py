"""Holder pages (a slip's status page, its print page, the portal's ticket and appointment pages,
rating by slip) open a ticket or an appointment by its unguessable public id only: never by the
sequential primary key, the ticket number or anything else a stranger could count through."""

from datetime import date

import pytest

from yimen.core import clock as project_clock
from yimen.core.errors import NotFound
from yimen.core.validators import make_resident_id
from yimen.queueing import selectors, services

pytestmark = pytest.mark.django_db

PERSON = make_resident_id("630104", date(1985, 4, 1), 41)


def _guesses(obj) -> list[str]:
    """What a stranger would try: the pk (padded to a public id's length, and plain), the number."""
    return [f"{obj.pk:016d}", str(obj.pk), f"{obj.pk:024d}", getattr(obj, "number", "A001")]


def test_holder_ticket_pages_refuse_the_pk_and_the_number(client, at_cx):
    ticket = services.issue_ticket(at_cx, ["XN-CG-001"])
    for guess in _guesses(ticket):
        for url in (f"/queue/t/{guess}/", f"/queue/t/{guess}/print/", f"/portal/ticket/{guess}/"):
            page = client.get(url)
            assert page.status_code == 404, url
            assert ticket.number not in page.content.decode(), url
        refused = client.post(f"/queue/t/{guess}/", {"action": "cancel"})
        assert refused.status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == "waiting"
    assert client.get(f"/queue/t/{ticket.public_id}/").status_code == 200
    assert client.get(f"/portal/ticket/{ticket.public_id}/").status_code == 200


def test_holder_appointment_page_refuses_the_pk(client, demo, clock):
    clock.freeze(project_clock.at(2022, 3, 15, 8, 0))
    slot = project_clock.at(2022, 3, 16, 9, 30)
    appt = services.book_appointment("XN-CX", "XN-CG-001", slot, "张三", PERSON, "13800001111")
    for guess in _guesses(appt):
        page = client.get(f"/portal/appointment/{guess}/")
        assert page.status_code == 404 and "张" not in page.content.decode()
        refused = client.post(f"/portal/appointment/{guess}/", {"action": "check_in"})
        assert refused.status_code == 404
    assert not appt.__class__.objects.get(pk=appt.pk).ticket_id
    assert client.get(f"/portal/appointment/{appt.public_id}/").status_code == 200


def test_rating_by_slip_refuses_the_pk(client, at_cx):
    ticket = services.issue_ticket(at_cx, ["XN-CG-001"])
    page = client.post("/portal/rate/", {"slip": f"{ticket.pk:016d}"})
    assert page.status_code == 404


def test_holder_selectors_accept_only_public_ids(at_cx):
    ticket = services.issue_ticket(at_cx, ["XN-CG-001"])
    assert selectors.holder_ticket(ticket.public_id) == ticket
    for bad in (f"{ticket.pk:016d}", ticket.number, "", "x" * 200, "a\x00" * 8, "²" * 16):
        with pytest.raises(NotFound):
            selectors.holder_ticket(bad)
