"""Pure rules: transition table, material assessment, no-surprise rule, time limits."""

from datetime import date

import pytest

from yimen.cases import rules
from yimen.core.selectors import _package_calendar


@pytest.fixture(scope="module")
def cal():
    return _package_calendar()  # chinesecalendar data, no database


def test_transition_table_allows_and_refuses():
    assert rules.next_status(rules.DRAFT, "accept") == rules.ACCEPTED
    assert rules.next_status(rules.ACCEPTED, "review_step") == rules.ACCEPTED
    assert rules.next_status(rules.PAUSED, "resume") == rules.ACCEPTED
    for state, action in [
        (rules.DRAFT, "decide"),
        (rules.NOTIFIED, "accept"),
        (rules.PAUSED, "decide"),
        (rules.CLOSED, "withdraw"),
        (rules.REJECTED, "accept"),
        (rules.DECIDED, "pause"),
        (rules.RESULT_READY, "issue_result"),
        (rules.ESCALATED, "return_visit"),
    ]:
        with pytest.raises(rules.TransitionError):
            rules.next_status(state, action)
    for final in rules.FINAL_STATES:
        assert rules.allowed_actions(final) == []
    # no decision is reachable without acceptance
    for state in (rules.DRAFT, rules.NOTIFIED):
        assert "decide" not in rules.allowed_actions(state)


def line(key, state, required=True, tol=False):
    return rules.MaterialLine(key, f"材料{key}", required, tol, state)


def test_assess_outcomes():
    a = rules.assess([line(1, "received"), line(2, "received"), line(3, "missing", required=False)])
    assert a.can_accept and not a.must_notify
    a = rules.assess([line(1, "received"), line(2, "missing", tol=True)])
    assert a.can_accept_with_tolerance and not a.can_accept and a.must_notify
    a = rules.assess([line(1, "missing"), line(2, "missing", tol=True)])
    assert not a.can_accept_with_tolerance and [m.key for m in a.blocking] == [1]
    a = rules.assess([line(1, "pending"), line(2, "received")])
    assert not a.can_accept and not a.must_notify and a.pending


def test_no_second_surprise():
    assert rules.surprise_materials({1, 2}, [1], {1, 2, 3, 4}) == []
    assert rules.surprise_materials({1, 2}, [2, 3], {1, 2, 3, 4}) == [3]
    assert (
        rules.surprise_materials({1}, [9], {1, 2}) == []
    )  # not on the checklist before: not a surprise


def test_approval_steps():
    assert rules.approval_steps("行政许可", 3) == ("承办", "审核", "批准")
    assert rules.approval_steps("公共服务", 5) == ("承办", "批准")
    assert rules.approval_steps("行政确认", 1) == ("承办",)
    assert rules.approval_steps("行政许可", 0) == ("承办",)


def test_due_dates_s11_and_s12(cal):
    assert rules.due_date(cal, date(2022, 3, 28), 3) == date(2022, 3, 31)
    assert rules.due_date(cal, date(2022, 3, 28), 5) == date(2022, 4, 2)  # 调休 Saturday
    assert rules.due_date(cal, date(2022, 3, 31), 3) == date(2022, 4, 6)  # 清明 skipped
    assert rules.due_date(cal, date(2022, 3, 31), None) is None
    # two paused working days push the date back by two working days
    assert rules.due_date(cal, date(2022, 3, 28), 3, paused_workdays=2) == date(2022, 4, 2)


def test_time_status(cal):
    due = date(2022, 4, 6)
    assert rules.time_status(cal, date(2022, 3, 31), due) == rules.NORMAL
    assert rules.time_status(cal, date(2022, 4, 2), due) == rules.WARNING  # 1 working day left
    assert rules.time_status(cal, date(2022, 4, 5), due) == rules.WARNING  # holiday: still 1 left
    assert rules.time_status(cal, date(2022, 4, 6), due) == rules.WARNING  # due today
    assert rules.time_status(cal, date(2022, 4, 7), due) == rules.OVERDUE
    assert rules.time_status(cal, date(2022, 4, 1), due, warning_workdays=2) == rules.WARNING
    assert rules.time_status(cal, date(2022, 4, 7), None) == rules.NORMAL


def test_pause_workdays_and_tolerance_deadline(cal):
    assert (
        rules.pause_workdays(cal, date(2022, 3, 31), date(2022, 4, 6)) == 3
    )  # 04-01, 04-02, 04-06
    assert rules.pause_workdays(cal, date(2022, 3, 31), date(2022, 3, 31)) == 0
    assert rules.tolerance_deadline_ok(cal, date(2022, 3, 25), date(2022, 3, 30), 3)
    assert not rules.tolerance_deadline_ok(cal, date(2022, 3, 25), date(2022, 3, 31), 3)
    assert not rules.tolerance_deadline_ok(cal, date(2022, 3, 25), date(2022, 3, 24), 3)
    assert rules.reminder_day(cal, date(2022, 3, 30)) == date(2022, 3, 29)
    assert rules.reminder_day(cal, date(2022, 4, 6)) == date(2022, 4, 2)
