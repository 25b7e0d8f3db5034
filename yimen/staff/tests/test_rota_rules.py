"""Pure A/B rota rules: duty group rotation (scenario S12), relay, weekends, leave, coverage."""

from datetime import date, time

from hypothesis import given, settings, strategies as st

from yimen.staff import rules
from yimen.staff.rules import DayInput, Post, RotaPolicy

WEEKDAY = [(time(9), time(16, 40))]
SATURDAY = [(time(9), time(12))]
POSTS = [Post("W1", "1", {"A": "a1", "B": "b1"}), Post("W2", "2", {"A": "a2", "B": "b2"})]


def test_duty_group_s12():
    assert rules.duty_group(date(2022, 3, 31)) == "A"  # ISO week 13
    assert rules.duty_group(date(2022, 4, 4)) == "B"  # ISO week 14
    assert rules.duty_group(date(2022, 4, 4), "B") == "A"  # the setting flips it
    assert (
        date(2026, 12, 31).isocalendar().week == 53 and rules.duty_group(date(2026, 12, 31)) == "A"
    )


def test_weekday_noon_relay_by_the_other_group():
    d = date(2022, 3, 31)  # week 13: A on duty
    plan = rules.plan([DayInput(d, WEEKDAY)], POSTS, RotaPolicy())
    w1 = [(a.staff, a.start, a.end, a.kind) for a in plan if a.window == "W1"]
    assert w1 == [
        ("a1", time(9), time(12), "regular"),
        ("b1", time(12), time(13), "relay"),
        ("a1", time(13), time(16, 40), "regular"),
    ]
    assert rules.coverage_gaps([DayInput(d, WEEKDAY)], POSTS, plan) == []
    assert rules.double_bookings(plan) == []


def test_saturday_by_the_on_duty_group_only():
    d = date(2022, 4, 9)  # Saturday of week 14: B on duty
    plan = rules.plan([DayInput(d, SATURDAY, weekend=True)], POSTS, RotaPolicy())
    assert {(a.staff, a.start, a.end, a.kind) for a in plan} == {
        ("b1", time(9), time(12), "weekend"),
        ("b2", time(9), time(12), "weekend"),
    }


def test_closed_day_has_no_assignments_and_no_gaps():
    days = [DayInput(date(2026, 10, 1), [])]
    assert rules.plan(days, POSTS, RotaPolicy()) == []
    assert rules.coverage_gaps(days, POSTS, []) == []


def test_leave_without_substitute_makes_a_gap_and_substitute_closes_it():
    d = date(2022, 3, 31)
    days = [DayInput(d, WEEKDAY)]
    plan = rules.plan(days, POSTS, RotaPolicy(), absent={d: {"b1"}})
    assert [str(g) for g in rules.coverage_gaps(days, POSTS, plan)] == ["W1 2022-03-31 12:00-13:00"]
    plan = rules.plan(days, POSTS, RotaPolicy(), absent={d: {"a1"}})
    assert [str(g) for g in rules.coverage_gaps(days, POSTS, plan)] == [
        "W1 2022-03-31 09:00-12:00",
        "W1 2022-03-31 13:00-16:40",
    ]
    plan = rules.plan(days, POSTS, RotaPolicy(), absent={d: {"a1"}}, replacements={d: {"a1": "x9"}})
    assert rules.coverage_gaps(days, POSTS, plan) == []
    assert {a.kind for a in plan if a.staff == "x9"} == {"substitute"}


def test_a_post_without_members_is_a_gap_all_day():
    d = date(2022, 3, 31)
    days = [DayInput(d, WEEKDAY)]
    posts = POSTS + [Post("W3", "3", {})]
    gaps = rules.coverage_gaps(days, posts, rules.plan(days, posts, RotaPolicy()))
    assert [str(g) for g in gaps] == ["W3 2022-03-31 09:00-16:40"]


def test_double_booking_is_detected():
    d = date(2022, 3, 31)
    plan = rules.plan([DayInput(d, WEEKDAY)], POSTS, RotaPolicy(), replacements={d: {"a2": "a1"}})
    clashes = rules.double_bookings(plan)
    assert clashes and {clashes[0][0].window, clashes[0][1].window} == {"W1", "W2"}


def test_outlet_with_lunch_break_needs_no_relay():
    d = date(2022, 3, 31)
    spans = [(time(9), time(12)), (time(14), time(17))]
    plan = rules.plan([DayInput(d, spans)], POSTS, RotaPolicy(relay=(time(12), time(13))))
    assert {a.kind for a in plan} == {"regular"}
    assert rules.coverage_gaps([DayInput(d, spans)], POSTS, plan) == []


def test_staffed_windows_and_profile():
    d = date(2022, 3, 31)
    plan = rules.plan([DayInput(d, WEEKDAY)], POSTS, RotaPolicy(), absent={d: {"b2"}})
    assert rules.staffed_windows_at(plan, (d, time(10))) == 2
    assert rules.staffed_windows_at(plan, (d, time(12, 30))) == 1
    assert rules.staffed_windows_at(plan, (d, time(17))) == 0
    profile = dict(rules.half_hour_profile(plan, d))
    assert (
        profile[time(8, 30)] == 0
        and profile[time(9)] == 2
        and profile[time(12)] == 1
        and profile[time(16, 30)] == 2
    )


def test_span_arithmetic():
    assert rules.subtract([(time(9), time(17))], [(time(12), time(13))]) == [
        (time(9), time(12)),
        (time(13), time(17)),
    ]
    assert rules.subtract([(time(9), time(10))], [(time(8), time(11))]) == []
    assert rules.merge([(time(9), time(10)), (time(10), time(11)), (time(12), time(13))]) == [
        (time(9), time(11)),
        (time(12), time(13)),
    ]
    assert rules.split_evenly(["x", "y", "z"]) == {"x": "A", "y": "B", "z": "A"}


@settings(max_examples=60, deadline=None)
@given(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2027, 12, 31)),
    st.integers(min_value=8 * 60, max_value=11 * 60),
    st.integers(min_value=13 * 60, max_value=19 * 60),
    st.integers(min_value=1, max_value=6),
)
def test_full_pairs_always_cover_without_clashes(d, open_m, close_m, n_posts):
    spans = [(time(open_m // 60, open_m % 60), time(close_m // 60, close_m % 60))]
    posts = [Post(f"W{i}", str(i), {"A": f"a{i}", "B": f"b{i}"}) for i in range(n_posts)]
    days = [DayInput(d, spans, weekend=d.weekday() >= 5)]
    plan = rules.plan(days, posts, RotaPolicy())
    assert rules.coverage_gaps(days, posts, plan) == []
    assert rules.double_bookings(plan) == []
