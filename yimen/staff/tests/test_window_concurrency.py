"""Many clerks racing for one window and one clerk double-clicking hand-over, each thread with its
own database connection: exactly one session per window, never two, never none during hand-over."""

import threading

import pytest
from django.db import connection

from yimen.core.errors import Conflict
from yimen.outlets.models import Window
from yimen.staff import selectors, services
from yimen.staff.models import HandOverOffer, WindowSession
from yimen.staff.testing import make_staff


def run_threads(n, target):
    barrier = threading.Barrier(n)
    results, lock = [], threading.Lock()

    def worker(i):
        try:
            barrier.wait()
            outcome = target(i)
        except Conflict as exc:
            outcome = ("conflict", exc.code)
        except Exception as exc:  # noqa: BLE001 — reported below
            outcome = ("error", repr(exc))
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.mark.slow
def test_eight_clerks_race_for_one_window(demo, transactional_db):
    window = Window.objects.select_related("outlet").get(code="CX-ZH-204")
    clerks = [make_staff("clerk", outlet="XN-CX", password=None) for _ in range(8)]
    results = run_threads(8, lambda i: ("ok", services.sign_in_window(clerks[i], window).staff_id))
    assert not [r for r in results if r[0] == "error"], results
    winners = [r for r in results if r[0] == "ok"]
    assert len(winners) == 1 and len([r for r in results if r == ("conflict", "window_taken")]) == 7
    assert WindowSession.objects.filter(window=window, ended_at__isnull=True).count() == 1


@pytest.mark.slow
def test_double_clicked_hand_over_gives_one_session(demo, transactional_db):
    """Offers of one window are serialised (one pending offer at a time), and a colleague's
    double-clicked confirmation takes the window once: one session, never two, never none."""
    window = Window.objects.select_related("outlet").get(code="CX-ZH-205")
    a, b, c = (make_staff("clerk", outlet="XN-CX", password=None) for _ in range(3))
    services.sign_in_window(a, window)
    targets = [b, c, b, c]
    results = run_threads(4, lambda i: ("ok", services.hand_over(a, targets[i]).to_staff_id))
    assert not [r for r in results if r[0] == "error"], results
    pending = HandOverOffer.objects.filter(window=window, state=HandOverOffer.PENDING)
    assert pending.count() == 1
    taker = b if pending.get().to_staff_id == b.pk else c
    assert (
        selectors.current_session(window).staff_id == a.pk
    )  # nothing changed before the confirmation
    results = run_threads(3, lambda i: ("ok", services.accept_hand_over(taker).staff_id))
    assert not [r for r in results if r[0] == "error"], results
    assert results.count(("ok", taker.pk)) == 1, results
    assert len([r for r in results if r[0] == "conflict"]) == 2
    open_sessions = WindowSession.objects.filter(window=window, ended_at__isnull=True)
    assert open_sessions.count() == 1 and open_sessions.get().staff_id == taker.pk
    assert selectors.session_of(a) is None
