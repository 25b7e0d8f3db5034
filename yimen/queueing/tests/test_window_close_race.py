"""A call racing the end of a window's session (threads with their own database connections):
never a ticket called at a window nobody is signed in at. Runs on SQLite and PostgreSQL."""

import pytest

from yimen.core import clock as project_clock
from yimen.core.errors import Forbidden
from yimen.outlets.models import Outlet, Window
from yimen.queueing import services
from yimen.queueing.models import Ticket
from yimen.staff import services as staff_services
from yimen.staff.models import WindowSession
from yimen.staff.testing import make_staff
from yimen.staff.tests.test_window_concurrency import run_threads


@pytest.mark.slow
def test_sign_out_or_close_racing_a_call_never_strands_a_ticket(demo, transactional_db, clock):
    clock.freeze(project_clock.at(2022, 3, 15, 10, 0))
    outlet = Outlet.objects.get(code="XN-CX")
    window = Window.objects.select_related("outlet").get(code="CX-ZH-204")
    clerk = make_staff("clerk", outlet=outlet, password=None)
    chief = make_staff("chief", outlet=outlet, password=None)
    outcomes = set()
    for round_ in range(8):
        staff_services.sign_in_window(clerk, window)
        ticket = services.issue_ticket(outlet, ["XN-CG-001"])
        if round_ % 2:
            end = lambda: ("closed", staff_services.close_window(chief, window, reason="测试").pk)  # noqa: E731
        else:
            end = lambda: ("signed_out", staff_services.sign_out_window(clerk).pk)  # noqa: E731

        def act(i, end=end):
            if i == 0:
                return end()
            try:
                called = services.call_next(window, clerk)
            except Forbidden as exc:  # the session had ended: refused
                return ("refused", exc.code)
            return ("called", called.pk if called else None)

        results = run_threads(2, act)
        assert not [r for r in results if r[0] == "error"], results
        t = Ticket.objects.get(pk=ticket.pk)
        open_session = WindowSession.objects.filter(window=window, ended_at__isnull=True).first()
        if t.status == Ticket.CALLED:  # the call won: the sign-out was refused (ticket in hand)
            assert t.window_id == window.pk and open_session is not None, results
            outcomes.add("call first")
            assert ("conflict", "ticket_in_hand") in results
            staff_services.sign_out_window(clerk, return_ticket=True)
        else:  # the session ended first (or the close returned it): the ticket waits, at no window
            assert t.status == Ticket.WAITING and t.window_id is None, results
            assert open_session is None, results
            outcomes.add("end first")
        Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.CANCELLED, window=None)
        if WindowSession.objects.filter(staff=clerk, ended_at__isnull=True).exists():
            staff_services.sign_out_window(clerk, return_ticket=True)
