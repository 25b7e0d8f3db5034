"""Guarantees of the pure dispatch policy (hypothesis property tests; no database)."""

from hypothesis import given, settings, strategies as st

from yimen.queueing.rules import (
    GREEN_CHANNEL,
    DispatchPolicy,
    WaitingTicket,
    WindowHistory,
    WindowProfile,
    can_serve,
    choose_next,
)

QUEUES = ["ZH", "RS", "G"]
ITEMS = ["I1", "I2", "I3", "I4"]
NOW = 500.0


def tickets(with_targets=True, with_appointments=True, max_size=15):
    raw = st.tuples(
        st.sampled_from(QUEUES),
        st.integers(0, int(NOW)),
        st.sampled_from(["", "", "老年人", "残疾人"]),
        st.frozensets(st.sampled_from(ITEMS), max_size=2),
        st.sampled_from([None, None, None, "w1", "w2"]) if with_targets else st.none(),
        st.sampled_from([None, None, None, NOW - 5, NOW + 3, NOW + 60])
        if with_appointments
        else st.none(),
    )
    return st.lists(raw, max_size=max_size).map(
        lambda rows: [
            WaitingTicket(
                id=i,
                queue=q,
                issued_at=float(at),
                priority=p,
                items=items,
                target_window=tw,
                appointment_at=ap,
            )
            for i, (q, at, p, items, tw, ap) in enumerate(rows)
        ]
    )


windows = st.sampled_from(
    [
        WindowProfile(id="w1", kind="综合窗口", queues=frozenset({"ZH"})),
        WindowProfile(
            id="w2", kind="专业窗口", queues=frozenset({"RS"}), items=frozenset({"I1", "I2"})
        ),
        WindowProfile(
            id="w3",
            kind=GREEN_CHANNEL,
            queues=frozenset({"G"}),
            fallback_queues=frozenset({"RS", "ZH"}),
            fallback_items=frozenset({"I1", "I3"}),
        ),
    ]
)
policies = st.builds(
    DispatchPolicy,
    priority_mode=st.sampled_from(["strict", "ratio"]),
    ordinary_per_priority=st.integers(0, 4),
    max_ordinary_wait_minutes=st.floats(1, 200, allow_nan=False),
    appointment_early_minutes=st.floats(0, 30, allow_nan=False),
)
histories = st.builds(WindowHistory, ordinary_since_priority=st.integers(0, 6))


def key(t):
    return (t.issued_at, t.id)  # ids are ints here


@settings(max_examples=150, deadline=None)
@given(tickets(), windows, policies, histories)
def test_never_returns_a_ticket_the_window_cannot_serve_and_none_only_when_nothing_servable(
    waiting, window, policy, history
):
    choice = choose_next(waiting, window, NOW, policy, history)
    servable = [t for t in waiting if can_serve(window, t)]
    if choice is None:
        assert servable == []
    else:
        assert choice.ticket in waiting and can_serve(window, choice.ticket)
        assert choice.reason


@settings(max_examples=150, deadline=None)
@given(tickets(), windows, policies, histories)
def test_due_appointments_are_called_at_their_slot_first(waiting, window, policy, history):
    choice = choose_next(waiting, window, NOW, policy, history)
    due = [
        t
        for t in waiting
        if can_serve(window, t)
        and t.appointment_at is not None
        and t.appointment_at - NOW <= policy.appointment_early_minutes
    ]
    if due:
        assert choice.ticket in due
        assert choice.ticket.appointment_at == min(t.appointment_at for t in due)


@settings(max_examples=150, deadline=None)
@given(tickets(with_targets=False, with_appointments=False), windows, policies, histories)
def test_first_come_first_served_within_class(waiting, window, policy, history):
    choice = choose_next(waiting, window, NOW, policy, history)
    if choice is None:
        return
    chosen = choice.ticket
    same_class = [
        t
        for t in waiting
        if can_serve(window, t)
        and t.is_priority == chosen.is_priority
        and (t.queue in window.queues) == (chosen.queue in window.queues)
    ]
    assert chosen == min(same_class, key=key)


@settings(max_examples=150, deadline=None)
@given(tickets(with_targets=False, with_appointments=False), policies, histories)
def test_green_window_takes_priority_tickets_first(waiting, policy, history):
    green = WindowProfile(
        id="w3",
        kind=GREEN_CHANNEL,
        queues=frozenset({"G"}),
        fallback_queues=frozenset({"RS", "ZH"}),
        fallback_items=frozenset({"I1", "I3"}),
    )
    choice = choose_next(waiting, green, NOW, policy, history)
    servable = [t for t in waiting if can_serve(green, t)]
    if any(t.is_priority for t in servable):
        assert choice.ticket.is_priority
        own_priority = [t for t in servable if t.is_priority and t.queue == "G"]
        if own_priority:
            assert choice.ticket == min(own_priority, key=key)
    elif servable:
        own = [t for t in servable if t.queue == "G"]
        assert choice.ticket == min(own or servable, key=key)


@settings(max_examples=150, deadline=None)
@given(tickets(with_targets=False, with_appointments=False), policies, histories)
def test_anti_starvation_bound_at_ordinary_windows(waiting, policy, history):
    window = WindowProfile(id="w1", kind="综合窗口", queues=frozenset({"ZH"}))
    choice = choose_next(waiting, window, NOW, policy, history)
    ordinary = sorted((t for t in waiting if can_serve(window, t) and not t.is_priority), key=key)
    if ordinary and NOW - ordinary[0].issued_at >= policy.max_ordinary_wait_minutes:
        assert choice.ticket == ordinary[0]


@settings(max_examples=150, deadline=None)
@given(tickets(with_targets=False, with_appointments=False), st.integers(1, 4), st.integers(0, 6))
def test_ratio_rule_n_ordinary_per_priority(waiting, n, served):
    window = WindowProfile(id="w1", kind="综合窗口", queues=frozenset({"ZH"}))
    policy = DispatchPolicy(
        priority_mode="ratio", ordinary_per_priority=n, max_ordinary_wait_minutes=10_000
    )
    choice = choose_next(waiting, window, NOW, policy, WindowHistory(served))
    servable = [t for t in waiting if can_serve(window, t)]
    has_priority = any(t.is_priority for t in servable)
    has_ordinary = any(not t.is_priority for t in servable)
    if has_priority and has_ordinary:
        if served >= n:
            assert choice.ticket.is_priority
        elif served > 0:
            assert not choice.ticket.is_priority


def test_ratio_rule_sequence_over_a_day():
    """Simulated with the same function: with N=2 the calls alternate 2 ordinary : 1 priority."""
    waiting = [WaitingTicket(id=f"o{i}", queue="ZH", issued_at=i) for i in range(6)]
    waiting += [
        WaitingTicket(id=f"p{i}", queue="ZH", issued_at=10 + i, priority="老年人") for i in range(3)
    ]
    window = WindowProfile(id="w1", kind="综合窗口", queues=frozenset({"ZH"}))
    policy = DispatchPolicy(
        priority_mode="ratio", ordinary_per_priority=2, max_ordinary_wait_minutes=10_000
    )
    history = WindowHistory(ordinary_since_priority=2)
    order = []
    while waiting:
        choice = choose_next(waiting, window, 20, policy, history)
        order.append(choice.ticket.id)
        history.record(choice.ticket)
        waiting.remove(choice.ticket)
    assert order == ["p0", "o0", "o1", "p1", "o2", "o3", "p2", "o4", "o5"]


def test_strict_mode_priority_always_first_until_starvation_bound():
    waiting = [
        WaitingTicket(id="o", queue="ZH", issued_at=0),
        WaitingTicket(id="p", queue="ZH", issued_at=5, priority="军人"),
    ]
    window = WindowProfile(id="w1", kind="综合窗口", queues=frozenset({"ZH"}))
    strict = DispatchPolicy(priority_mode="strict", max_ordinary_wait_minutes=30)
    assert choose_next(waiting, window, 10, strict).ticket.id == "p"
    assert choose_next(waiting, window, 30, strict).ticket.id == "o"


def test_equal_times_break_ties_by_numeric_id():
    window = WindowProfile(id="w1", kind="综合窗口", queues=frozenset({"ZH"}))
    waiting = [
        WaitingTicket(id=10, queue="ZH", issued_at=0),
        WaitingTicket(id=8, queue="ZH", issued_at=0),
    ]
    assert choose_next(waiting, window, 1).ticket.id == 8


def test_transferred_ticket_only_for_its_window():
    t = WaitingTicket(id=1, queue="ZH", issued_at=0, target_window="w2")
    assert not can_serve(WindowProfile(id="w1", kind="综合窗口", queues=frozenset({"ZH"})), t)
    assert can_serve(WindowProfile(id="w2", kind="综合窗口", queues=frozenset({"ZH"})), t)
