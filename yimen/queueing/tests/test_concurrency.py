"""50 kiosks issuing and 20 window threads calling at the same time, each thread with its own
database connection: no duplicate numbers, no ticket called twice, nothing lost. Runs on SQLite
(BEGIN IMMEDIATE) and on PostgreSQL (DATABASE_URL=postgres://…; SKIP LOCKED)."""

import random
import threading
import time
from collections import Counter
from datetime import date

import pytest
from django.db import connection

from yimen.core import audit, clock as project_clock
from yimen.core.validators import make_resident_id
from yimen.outlets.models import Outlet, Window
from yimen.queueing import services
from yimen.queueing.models import Ticket, TicketEvent
from yimen.staff.services import sign_in_window
from yimen.staff.testing import make_staff

KIOSKS = 50
TICKETS_PER_KIOSK = 3
ITEMS = [
    "XN-CG-001",
    "XN-WS-001",
    "XN-RS-004",
    "XN-SJ-001",
    "XN-MZ-002",
    "XN-TY-001",
    "XN-YB-001",
    "XN-CG-009",
    "XN-ZW-001",
    "XN-ZW-002",
]


@pytest.mark.slow
def test_50_kiosks_and_20_windows_at_once(demo, transactional_db, clock):
    clock.freeze(project_clock.at(2022, 3, 15, 10, 0))
    outlet = Outlet.objects.get(code="XN-CX")
    windows = list(
        Window.objects.filter(
            outlet=outlet, kind__in=["综合窗口", "绿色通道", "专业窗口", "帮办代办", "办不成事窗口"]
        ).order_by("number")
    )
    assert len(windows) == 19
    clerks = []
    for w in windows:
        staff = make_staff("clerk", outlet=outlet, password=None)
        sign_in_window(staff, w)
        clerks.append((staff, w))
    clerks.append(
        clerks[windows.index(next(w for w in windows if w.number == "203"))]
    )  # a double-clicking 203
    assert len(clerks) == 20
    elderly = make_resident_id("630104", date(1948, 5, 5), 17)

    issued, errors, served = [], [], []
    lock = threading.Lock()
    kiosks_done = threading.Event()
    start = threading.Barrier(KIOSKS + len(clerks))

    def kiosk(n):
        rnd = random.Random(n)
        try:
            start.wait()
            for i in range(TICKETS_PER_KIOSK):
                if rnd.random() < 0.15:
                    args = {"items": ["XN-MZ-003"], "id_number": elderly}
                else:
                    args = {"items": [rnd.choice(ITEMS)]}
                t = services.issue_ticket(outlet, idempotency_key=f"k{n}-{i}", **args)
                # a kiosk retry (same key, same request) must not create a second ticket
                again = services.issue_ticket(outlet, idempotency_key=f"k{n}-{i}", **args)
                assert again.pk == t.pk
                with lock:
                    issued.append(t.pk)
        except Exception as exc:  # noqa: BLE001 — collected and asserted below
            with lock:
                errors.append(
                    f"kiosk {n}: {exc!r} {getattr(exc, 'details', '')} {getattr(exc, '__context__', '')!r}"
                )
        finally:
            connection.close()

    def window(n, staff, w):
        from yimen.core.errors import Conflict

        try:
            start.wait()
            idle_rounds = busy_rounds = 0
            while True:
                try:
                    t = services.call_next(w, staff)
                except Conflict as exc:  # the other thread at the same window holds a ticket
                    assert exc.code in ("window_busy", "busy")
                    busy_rounds += 1
                    assert busy_rounds < 3000, "window stayed busy"
                    time.sleep(0.01)
                    continue
                if t is None:
                    if kiosks_done.is_set():
                        idle_rounds += 1
                        if idle_rounds > 3:
                            return
                    time.sleep(0.05)
                    continue
                idle_rounds = 0
                services.start(t, staff)
                services.finish(t, staff)
                with lock:
                    served.append(t.pk)
        except Exception as exc:  # noqa: BLE001
            with lock:
                errors.append(
                    f"window {n}: {exc!r} {getattr(exc, 'details', '')} {getattr(exc, '__context__', '')!r}"
                )
        finally:
            connection.close()

    threads = [threading.Thread(target=kiosk, args=(n,)) for n in range(KIOSKS)]
    threads += [threading.Thread(target=window, args=(n, s, w)) for n, (s, w) in enumerate(clerks)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads[:KIOSKS]:
        t.join(timeout=120)
    kiosks_done.set()
    for t in threads[KIOSKS:]:
        t.join(timeout=120)
    elapsed = time.monotonic() - began
    assert not any(t.is_alive() for t in threads), "threads hung"
    assert errors == []

    total = KIOSKS * TICKETS_PER_KIOSK
    tickets = Ticket.objects.filter(outlet=outlet, service_date=date(2022, 3, 15))
    assert len(issued) == total == tickets.count()  # nothing lost, no doubles
    numbers = list(tickets.values_list("number", flat=True))
    assert len(set(numbers)) == total  # no duplicate numbers
    assert sorted(served) == sorted(issued)  # every ticket served once
    calls = Counter(TicketEvent.objects.filter(action="call").values_list("ticket_id", flat=True))
    assert set(calls.values()) == {1} and len(calls) == total  # no ticket called twice
    assert set(tickets.values_list("status", flat=True)) == {Ticket.DONE}
    per_queue = Counter(n[0] for n in numbers)
    for prefix, count in per_queue.items():  # dense numbering per queue
        assert sorted(int(n[1:]) for n in numbers if n[0] == prefix) == list(range(1, count + 1))
    assert audit.verify() == []  # concurrent appends kept the chain whole, in id order
    print(
        f"\n{total} tickets issued+called+served by {KIOSKS} kiosks / {len(clerks)} windows "
        f"on {connection.vendor} in {elapsed:.1f}s"
    )
