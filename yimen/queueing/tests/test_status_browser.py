"""The page behind the ticket's QR code: a person follows their place in the queue."""

import pytest

from yimen.core import clock as project_clock
from yimen.outlets.models import Outlet
from yimen.queueing import services


@pytest.mark.browser
def test_ticket_status_page_shows_number_and_people_ahead(
    page, live_server, demo, clock, screenshot
):
    clock.freeze(project_clock.at(2022, 3, 16, 10, 0))  # a Wednesday morning: the centre is open
    outlet = Outlet.objects.get(code="XN-CX")
    first = services.issue_ticket(outlet, ["XN-CG-001"])
    mine = services.issue_ticket(outlet, ["XN-WS-001"])
    page.goto(f"{live_server.url}/queue/t/{mine.public_id}/")
    text = page.inner_text("main")
    assert mine.number in text
    assert "前面还有 1 人" in text and first.number in ("A001",)  # one person is ahead
    screenshot("queue-ticket-status")
    page.goto(f"{live_server.url}/queue/t/not-a-ticket/")
    assert "找不到该排队号" in page.inner_text("main")
