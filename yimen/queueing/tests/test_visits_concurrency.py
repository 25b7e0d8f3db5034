"""Visits of several queues under concurrency, each thread with its own database connection: the
two 人社 windows finish first stops while the five 2F windows (one clicked twice) call at the
same moment — a ticket moving on is called once at its next stop, never twice, never lost.
SQLite (BEGIN IMMEDIATE) and PostgreSQL (DATABASE_URL=postgres://…; row locks, SKIP LOCKED)."""

import threading
import time
from collections import Counter
from datetime import date

import pytest
from django.db import connection

from yimen.core import audit, clock as project_clock
from yimen.core.errors import Conflict
from yimen.outlets.models import Outlet, Window
from yimen.queueing import services
from yimen.queueing.models import Ticket, TicketEvent, TicketLeg
from yimen.staff.services import sign_in_window
from yimen.staff.testing import make_staff

VISITS = 24  # 人社 (2 windows) then 2F 综合 (5 windows)
ORDINARY = 16  # 2F only


@pytest.mark.slow
def test_windows_finishing_and_calling_at_once_keep_each_visit_once(demo, transactional_db, clock):
    clock.freeze(project_clock.at(2022, 3, 15, 10, 0))
    outlet = Outlet.objects.get(code="XN-CX")
    visits = [
        services.issue_ticket(outlet, ["XN-RS-004", "XN-WS-001"], several_queues=True).pk
        for _ in range(VISITS)
    ]
    ordinary = [services.issue_ticket(outlet, ["XN-CG-001"]).pk for _ in range(ORDINARY)]
    assert Ticket.objects.filter(pk__in=visits, stops=2, queue__code="CX-ZY-RS").count() == VISITS

    clerks = []
    for code in ["CX-ZY-RS-304", "CX-ZY-RS-305", *[f"CX-ZH-20{n}" for n in range(1, 6)]]:
        staff = make_staff("clerk", outlet=outlet, password=None)
        w = Window.objects.get(code=code)
        sign_in_window(staff, w)
        clerks.append((staff, w))
    clerks.append(clerks[4])  # a double-clicking 203
    errors, served = [], []
    lock = threading.Lock()
    start = threading.Barrier(len(clerks))
    began = time.monotonic()
    total_stops = VISITS * 2 + ORDINARY

    def window(n, staff, w):
        try:
            start.wait()
            while True:
                try:
                    t = services.call_next(w, staff)
                except Conflict as exc:  # the other thread at the same window holds a ticket
                    assert exc.code in ("window_busy", "busy")
                    time.sleep(0.005)
                    continue
                if t is None:
                    with lock:
                        finished = len(served) >= total_stops
                    if finished or time.monotonic() - began > 120:
                        return
                    time.sleep(0.01)
                    continue
                services.start(t, staff)
                done = services.finish(t, staff)
                with lock:
                    served.append((t.pk, w.group_code, done.status))
        except Exception as exc:  # noqa: BLE001 — collected and asserted below
            with lock:
                errors.append(f"window {n}: {exc!r} {getattr(exc, 'details', '')}")
        finally:
            connection.close()

    threads = [threading.Thread(target=window, args=(n, s, w)) for n, (s, w) in enumerate(clerks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    elapsed = time.monotonic() - began
    assert not any(t.is_alive() for t in threads), "threads hung"
    assert errors == []

    # every stop served once: a visit once at 人社 (moving on) and once at 2F (done)
    assert len(served) == total_stops
    per_ticket = Counter(pk for pk, _g, _s in served)
    assert all(per_ticket[pk] == 2 for pk in visits) and all(per_ticket[pk] == 1 for pk in ordinary)
    for pk in visits:
        groups = [(g, s) for p, g, s in served if p == pk]
        assert groups == [("CX-ZY-RS", Ticket.WAITING), ("CX-ZH", Ticket.DONE)], groups
    calls = Counter(TicketEvent.objects.filter(action="call").values_list("ticket_id", flat=True))
    assert all(calls[pk] == 2 for pk in visits) and all(calls[pk] == 1 for pk in ordinary)
    advances = Counter(
        TicketEvent.objects.filter(action="advance").values_list("ticket_id", flat=True)
    )
    assert sorted(advances) == sorted(visits) and set(advances.values()) == {1}
    tickets = Ticket.objects.filter(outlet=outlet, service_date=date(2022, 3, 15))
    assert tickets.count() == VISITS + ORDINARY
    assert set(tickets.values_list("status", flat=True)) == {Ticket.DONE}
    assert TicketLeg.objects.filter(finished_at__isnull=True).count() == 0
    for t in Ticket.objects.filter(pk__in=visits).prefetch_related("handled_items"):
        assert sorted(i.code for i in t.handled_items.all()) == ["XN-RS-004", "XN-WS-001"]
        assert t.queued_at == t.issued_at and t.leg == 1
    assert audit.verify() == []
    print(
        f"\n{VISITS} two-stop visits + {ORDINARY} tickets served by {len(clerks)} window "
        f"threads on {connection.vendor} in {elapsed:.1f}s"
    )
