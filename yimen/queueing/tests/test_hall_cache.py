"""The hall caches (core.changes): idle call-next and boards answered without queries once warm,
and invalidated at once by what changes them — tickets, window sessions, configuration, tokens."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yimen.core import changes
from yimen.core.errors import Conflict, Forbidden
from yimen.outlets.models import Outlet, Window
from yimen.queueing import notify, selectors, services
from yimen.queueing.models import Queue, Ticket
from yimen.staff import services as staff_services
from yimen.staff.testing import make_staff
from yimen.staff.tokens import authenticate_token, issue_token, revoke_token

pytestmark = pytest.mark.django_db

COMPREHENSIVE_ITEM = "XN-CG-001"  # → queue CX-ZH (windows CX-ZH-201 … 205)
SPECIALIST_ITEM = "XN-RS-004"  # → queue CX-ZY-RS


@pytest.fixture(autouse=True)
def long_lifetimes(monkeypatch):
    """Entries live for an hour: only a change (not the 1 s safety lifetime) may drop them, so a
    slow moment on a loaded machine cannot turn an expected 0 queries into a recompute."""
    monkeypatch.setattr(
        changes, "MAX_AGE", {family: (3600.0, 3600.0) for family in changes.MAX_AGE}
    )


class Queries(CaptureQueriesContext):
    def __init__(self):
        super().__init__(connection)

    @property
    def count(self):
        return len(self.captured_queries)


def idle_warm(window, staff):
    """Call once (nobody waiting), so window setup and hall state are cached."""
    assert services.call_next(window, staff) is None


# --- idle call-next -------------------------------------------------------------------------


def test_idle_call_next_answers_none_without_queries_once_warm(at_cx, clerk_at):
    staff, window = clerk_at("CX-ZH-201")
    idle_warm(window, staff)
    with Queries() as q:
        assert services.call_next(window, staff) is None
        assert services.call_next(window.pk, staff) is None  # by id, as the API passes it
    assert q.count == 0, q.captured_queries


def test_issued_ticket_is_called_at_once_despite_the_warm_cache(at_cx, clerk_at):
    staff, window = clerk_at("CX-ZH-201")
    other_staff, other_window = clerk_at("CX-ZH-202")
    idle_warm(window, staff)
    idle_warm(other_window, other_staff)
    ticket = services.issue_ticket(at_cx, [COMPREHENSIVE_ITEM])
    called = services.call_next(window, staff)
    assert called is not None and called.pk == ticket.pk
    assert called.status == Ticket.CALLED and called.window_id == window.pk
    # the call changed the hall again: the other window sees nobody left, and caches that answer
    assert services.call_next(other_window, other_staff) is None
    with Queries() as q:
        assert services.call_next(other_window, other_staff) is None
    assert q.count == 0
    second = services.issue_ticket(at_cx, [COMPREHENSIVE_ITEM])
    assert services.call_next(other_window, other_staff).pk == second.pk


def test_ticket_of_another_queue_does_not_reach_the_window(at_cx, clerk_at):
    staff, window = clerk_at("CX-ZH-201")
    idle_warm(window, staff)
    ticket = services.issue_ticket(at_cx, [SPECIALIST_ITEM])
    assert ticket.queue.code == "CX-ZY-RS"
    assert services.call_next(window, staff) is None
    with Queries() as q:  # the recomputed hall state says: nothing for this window's queue
        assert services.call_next(window, staff) is None
    assert q.count == 0
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.WAITING


def test_clerk_not_signed_in_is_refused_on_the_cached_path(at_cx, clerk_at):
    staff, window = clerk_at("CX-ZH-201")
    idle_warm(window, staff)
    stranger = make_staff("clerk", outlet="XN-CX", password=None)
    with Queries() as q:
        with pytest.raises(Forbidden) as refused:
            services.call_next(window, stranger)
    assert q.count == 0  # answered from the cached sessions, and still refused
    assert refused.value.code == "not_signed_in"
    assert "您没有在 201 号窗口签到" in refused.value.message


def test_clerk_at_another_window_is_refused_even_with_work_waiting(at_cx, clerk_at):
    staff, window = clerk_at("CX-ZH-201")
    neighbour, _ = clerk_at("CX-ZH-202")
    idle_warm(window, staff)
    ticket = services.issue_ticket(at_cx, [COMPREHENSIVE_ITEM])
    with pytest.raises(Forbidden) as refused:
        services.call_next(window, neighbour)
    assert refused.value.code == "not_signed_in"
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.WAITING


def test_sign_out_invalidates_the_cached_session(at_cx, clerk_at):
    staff, window = clerk_at("CX-ZH-201")
    idle_warm(window, staff)
    staff_services.sign_out_window(staff)
    with pytest.raises(Forbidden) as refused:
        services.call_next(window, staff)
    assert refused.value.code == "not_signed_in"
    # signed in again: served again
    staff_services.sign_in_window(staff, window)
    assert services.call_next(window, staff) is None


def test_paused_window_is_refused_then_serves_after_resume(at_cx, clerk_at):
    staff, window = clerk_at("CX-ZH-201")
    idle_warm(window, staff)
    staff_services.pause_window(staff, "午餐接力")
    ticket = services.issue_ticket(at_cx, [COMPREHENSIVE_ITEM])
    with pytest.raises(Conflict) as refused:
        services.call_next(window, staff)
    assert refused.value.code == "window_paused"
    assert "201 号窗口已暂停服务" in refused.value.message
    with Queries() as q:  # refused from the cache too, once warm
        with pytest.raises(Conflict):
            services.call_next(window, staff)
    assert q.count == 0
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.WAITING
    staff_services.resume_window(staff)
    assert services.call_next(window, staff).pk == ticket.pk


# --- configuration cache ----------------------------------------------------------------------


def test_window_setup_is_cached_until_the_window_changes(at_cx):
    window = Window.objects.get(code="CX-ZH-201", outlet=at_cx)
    setup = selectors.window_setup(window.pk)
    assert setup.window.pk == window.pk and "CX-ZH" in setup.profile.queues
    with Queries() as q:
        assert selectors.window_setup(window.pk) is setup
    assert q.count == 0
    window.label = "综合受理（测试）"
    window.save()
    fresh = selectors.window_setup(window.pk)
    assert fresh is not setup and fresh.window.label == "综合受理（测试）"


def test_outlet_by_code_and_queue_infos_follow_config_changes(at_cx):
    outlet = selectors.outlet_by_code("XN-CX")
    infos = selectors.queue_infos(outlet)
    assert any(i.queue.code == "CX-ZH" for i in infos)
    with Queries() as q:
        assert selectors.outlet_by_code("XN-CX") is outlet
        assert selectors.queue_infos(outlet) is infos
    assert q.count == 0
    queue = Queue.objects.get(outlet=at_cx, code="CX-ZH")
    queue.name = "综合窗口（改名）"
    queue.save()
    renamed = next(i for i in selectors.queue_infos(outlet) if i.queue.code == "CX-ZH")
    assert renamed.queue.name == "综合窗口（改名）"
    outlet = selectors.outlet_by_code("XN-CX")  # recomputed after the change, cached again
    Outlet.objects.filter(pk=at_cx.pk).update(name="城西（改名）")  # no signal …
    assert selectors.outlet_by_code("XN-CX").name == outlet.name  # … so still cached
    Outlet.objects.get(pk=at_cx.pk).save()  # a save bumps "config"
    assert selectors.outlet_by_code("XN-CX").name == "城西（改名）"


def test_warm_up_fills_the_configuration_cache_before_the_first_ticket(at_cx):
    changes.reset()
    assert selectors.peek_outlet("XN-CX") is None
    assert selectors.warm_up() == Outlet.objects.filter(active=True).count()
    outlet = selectors.peek_outlet("XN-CX")
    assert outlet is not None and outlet.pk == at_cx.pk
    with Queries() as q:  # what issuing a ticket reads of the network, now without queries
        assert selectors.outlet_by_code("XN-CX") is outlet
        assert any(i.queue.code == "CX-ZH" for i in selectors.queue_infos(outlet))
        selectors.schedule(outlet)
        assert [b.code for b in selectors.board_queues(outlet)]
    assert q.count == 0
    window = Window.objects.get(code="CX-ZH-201")
    assert (
        selectors.peek_window_setup(window.pk).window.pk == window.pk
    )  # each window's first poll too


def test_warm_up_caches_live_tokens_of_active_staff_and_devices(at_cx, clerk_at):
    from yimen.staff import tokens

    staff, _window = clerk_at("CX-ZH-201")
    _t, live = issue_token(staff=staff)
    _t, device = issue_token(outlet=at_cx, label="取号机")
    gone = make_staff("clerk", outlet="XN-CX", password=None)
    _t, inactive = issue_token(staff=gone)
    gone.active = False
    gone.save()
    changes.reset()
    assert tokens.peek_token(live) is None
    assert tokens.warm_up() >= 2
    with Queries() as q:
        assert tokens.authenticate_token(live).staff == staff
        assert tokens.authenticate_token(device).device_outlet == at_cx
    assert not [
        x
        for x in q.captured_queries
        if "staff_apitoken" in x["sql"] and x["sql"].startswith("SELECT")
    ]
    assert tokens.authenticate_token(inactive) is None


def test_a_locked_tickets_outlet_queue_and_window_come_from_the_configuration_cache(
    at_cx, clerk_at
):
    staff, window = clerk_at("CX-ZH-201")
    ticket = services.issue_ticket(at_cx, [COMPREHENSIVE_ITEM])
    called = services.call_next(window, staff)
    assert called.pk == ticket.pk
    assert called.queue is selectors.queue_by_id(called.queue_id)
    assert called.outlet is selectors.outlet_by_id(at_cx.pk)
    started = services.start(ticket.pk, staff)
    assert started.window is selectors.window_setup(window.pk).window
    assert (started.queue.code, started.outlet.code, started.window.number) == (
        "CX-ZH",
        "XN-CX",
        "201",
    )
    # a renamed queue reaches the next write (a configuration change drops the cached one)
    queue = Queue.objects.get(pk=ticket.queue_id)
    queue.name = "综合（改名）"
    queue.save()
    finished = services.finish(ticket.pk, staff)
    assert finished.queue.name == "综合（改名）" and finished.status == Ticket.DONE


def test_start_and_finish_check_the_sign_in_from_the_cache_and_follow_a_sign_out(at_cx, clerk_at):
    staff, window = clerk_at("CX-ZH-201")
    ticket = services.issue_ticket(at_cx, [COMPREHENSIVE_ITEM])
    services.call_next(window, staff)
    selectors.hall_sessions(at_cx.pk)  # cached
    with Queries() as q:
        services.start(ticket.pk, staff)
    assert not [x for x in q.captured_queries if "staff_windowsession" in x["sql"]]
    staff_services.pause_window(staff, "接听电话")
    with pytest.raises(Conflict) as refused:
        services.finish(ticket.pk, staff)
    assert refused.value.code == "window_paused"
    staff_services.resume_window(staff)
    assert services.finish(ticket.pk, staff).status == Ticket.DONE
    stranger = make_staff("clerk", outlet="XN-CX", password=None)
    other = services.issue_ticket(at_cx, [COMPREHENSIVE_ITEM])
    services.call_next(window, staff)
    with pytest.raises(Forbidden) as refused:
        services.start(other.pk, stranger)
    assert refused.value.code == "not_signed_in"


# --- API tokens -----------------------------------------------------------------------------


def test_revoked_token_is_refused_at_once_though_its_lookup_was_cached(at_cx, clerk_at):
    staff, _window = clerk_at("CX-ZH-201")
    token, raw = issue_token(staff=staff)
    assert authenticate_token(raw).pk == token.pk
    with Queries() as q:
        assert authenticate_token(raw).pk == token.pk
    assert q.count == 0  # cached (last use was just recorded)
    revoke_token(token)
    assert authenticate_token(raw) is None
    assert authenticate_token("ym_not-a-token") is None
    assert authenticate_token("") is None


def test_deactivated_staff_token_is_refused_at_once(at_cx):
    staff = make_staff("clerk", outlet="XN-CX", password=None)
    token, raw = issue_token(staff=staff)
    assert authenticate_token(raw).pk == token.pk
    staff.user.is_active = False
    staff.user.save()
    assert authenticate_token(raw) is None


# --- boards ---------------------------------------------------------------------------------


def calls_of(board):
    return [(c["number"], c["window"]) for c in board["calls"]]


def waiting_in(board, code):
    return next(q["waiting"] for q in board["queues"] if q["code"] == code)


def test_board_reflects_a_call_at_once_and_is_served_without_queries(at_cx, clerk_at):
    staff, window = clerk_at("CX-ZH-201")
    before = selectors.board(at_cx)
    ticket = services.issue_ticket(at_cx, [COMPREHENSIVE_ITEM])
    issued = selectors.board(at_cx)
    assert waiting_in(issued, "CX-ZH") == waiting_in(before, "CX-ZH") + 1
    assert issued["last_event_id"] > before["last_event_id"]
    called = services.call_next(window, staff)
    assert called.pk == ticket.pk
    board = selectors.board(at_cx)
    assert calls_of(board)[0] == (ticket.number, "201")
    assert board["calls"][0]["text"] == f"请 {ticket.number} 号到 201 号窗口办理"
    assert waiting_in(board, "CX-ZH") == waiting_in(before, "CX-ZH")
    assert selectors.board("XN-CX") is board  # by code: the same entry (warms the outlet lookup)
    with Queries() as q:
        assert selectors.board(at_cx) is board
        assert selectors.board("XN-CX") is board  # by code, through the configuration cache
    assert q.count == 0


def test_at_the_turn_of_a_minute_the_last_minutes_board_stands_in_only_while_refreshed(
    at_cx, clock, monkeypatch
):
    from datetime import timedelta

    from yimen.core.refresher import refresher

    board = selectors.board(at_cx)
    selectors.outlet_by_code("XN-CX")
    clock.freeze(
        clock.now() + timedelta(minutes=1)
    )  # the key of the cached board was the minute before
    assert selectors.peek_board("XN-CX") is None  # no refresher: nothing stands in
    monkeypatch.setattr(type(refresher), "running", property(lambda self: True))
    assert selectors.peek_board("XN-CX") is board  # the refresher computes this minute's meanwhile
    clock.freeze(clock.now() + timedelta(minutes=1))
    assert selectors.peek_board("XN-CX") is None  # two minutes old: never


def test_start_and_finish_keep_the_board_cache_but_a_call_drops_it(at_cx, clerk_at):
    staff, window = clerk_at("CX-ZH-201")
    first = services.issue_ticket(at_cx, [COMPREHENSIVE_ITEM])
    second = services.issue_ticket(at_cx, [COMPREHENSIVE_ITEM])
    called = services.call_next(window, staff)
    assert called.pk == first.pk
    board = selectors.board(at_cx)
    board_version, hall_version = notify.version(at_cx.pk), changes.version(changes.hall(at_cx.pk))

    services.start(called, staff)
    assert notify.version(at_cx.pk) == board_version  # the board does not show start …
    assert changes.version(changes.hall(at_cx.pk)) != hall_version  # … the hall state does
    with Queries() as q:
        assert selectors.board(at_cx) is board
    assert q.count == 0

    services.finish(called, staff)
    assert notify.version(at_cx.pk) == board_version
    with Queries() as q:
        assert selectors.board(at_cx) is board
    assert q.count == 0

    # the window is free again (hall invalidated by finish): the next call goes through and the
    # board shows it at once
    again = services.call_next(window, staff)
    assert again.pk == second.pk
    assert notify.version(at_cx.pk) != board_version
    with Queries() as q:
        after_call = selectors.board(at_cx)
    assert q.count > 0
    assert after_call is not board
    assert calls_of(after_call)[:2] == [(second.number, "201"), (first.number, "201")]


def test_window_with_a_ticket_in_hand_is_told_so_despite_the_cache(at_cx, clerk_at):
    staff, window = clerk_at("CX-ZH-201")
    services.issue_ticket(at_cx, [COMPREHENSIVE_ITEM])
    services.issue_ticket(at_cx, [COMPREHENSIVE_ITEM])
    called = services.call_next(window, staff)
    services.start(called, staff)
    with pytest.raises(Conflict) as busy:
        services.call_next(window, staff)
    assert busy.value.code == "window_busy"
    assert f"本窗口的 {called.number} 号尚未办结" in busy.value.message
