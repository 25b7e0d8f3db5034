"""Pure rules: rating validation, the rectification state machine, deadlines, the ladder."""

from datetime import date

import pytest
from hypothesis import given, settings, strategies as st

from yimen.core.calendar import WorkCalendar
from yimen.core.errors import InvalidTransition, ValidationFailed
from yimen.feedback import rules

# 2022 around 清明: Sat 04-02 is a 调休 workday, Sun 04-03 – Tue 04-05 off.
CAL = WorkCalendar(
    special={
        date(2022, 4, 2): False,
        date(2022, 4, 3): True,
        date(2022, 4, 4): True,
        date(2022, 4, 5): True,
    },
    verified_years={2022},
)


def test_bad_rating_needs_a_ticked_reason_but_no_compulsory_comment():
    with pytest.raises(ValidationFailed) as e:
        rules.check_rating(2, [], "")
    assert e.value.code == "reason_required"
    # GB/T 39734 / 51号: no compulsory text for a 差评
    assert rules.check_rating(1, ["wait_long"], "  ") == (1, ["wait_long"], "")
    assert rules.check_rating("1", ["wait_long", "wait_long"], " 排队太久 ") == (
        1,
        ["wait_long"],
        "排队太久",
    )
    assert rules.check_rating(5, [], "") == (5, [], "")
    assert rules.check_rating(3, [], "")[0] == 3  # 基本满意 is not a 差评


@pytest.mark.parametrize("score", [0, 6, "x", None])
def test_score_out_of_range(score):
    with pytest.raises(ValidationFailed):
        rules.check_rating(score, ["other"], "x")


def test_unknown_reason():
    with pytest.raises(ValidationFailed) as e:
        rules.check_rating(1, ["bribe"], "x")
    assert e.value.code == "reason_invalid"


def test_rectification_happy_path_and_guards():
    s = rules.rectification_next(rules.R_VERIFY, "callback", note="已电话回访，情况属实")
    assert s == rules.R_RECTIFYING
    with pytest.raises(ValidationFailed):
        rules.rectification_next(rules.R_VERIFY, "callback", note="")
    # cannot complete before the callback
    with pytest.raises(InvalidTransition):
        rules.rectification_next(rules.R_VERIFY, "complete", note="x")
    with pytest.raises(ValidationFailed) as e:
        rules.rectification_next(rules.R_RECTIFYING, "complete", callback_note="回访", note="")
    assert e.value.code == "rectification_note_required"
    with pytest.raises(ValidationFailed) as e:
        rules.rectification_next(rules.R_RECTIFYING, "complete", callback_note="", note="整改")
    assert e.value.code == "callback_note_required"
    assert (
        rules.rectification_next(
            rules.R_RECTIFYING, "complete", callback_note="回访", note="增开窗口"
        )
        == rules.R_RECTIFIED
    )
    # appeal needs a chief's decision; closed states accept nothing
    assert (
        rules.rectification_next(
            rules.R_RECTIFYING, "appeal", callback_note="c", note="差评对象错误"
        )
        == rules.R_APPEALED
    )
    assert (
        rules.rectification_next(rules.R_APPEALED, "approve_appeal", callback_note="c", note="同意")
        == rules.R_INVALID
    )
    assert (
        rules.rectification_next(
            rules.R_APPEALED, "reject_appeal", callback_note="c", note="不同意"
        )
        == rules.R_RECTIFYING
    )
    for closed in rules.RECTIFICATION_CLOSED:
        for action in rules.RECTIFICATION_TRANSITIONS:
            with pytest.raises(InvalidTransition):
                rules.rectification_next(closed, action, callback_note="c", note="n")
    with pytest.raises(ValidationFailed):
        rules.rectification_next(rules.R_RECTIFYING, "unfixable", callback_note="c", note="")


def test_rectification_deadlines_use_working_days():
    d = rules.rectification_deadlines(date(2022, 3, 31), CAL, 3)
    assert d.callback_due == date(2022, 4, 1)
    assert d.rectify_due == date(2022, 4, 6)  # 04-01, 04-02 (调休), 04-06
    d = rules.rectification_deadlines(date(2022, 3, 24), CAL)  # S09: Thu, default 15
    assert d.callback_due == date(2022, 3, 25)
    assert CAL.workdays_between(date(2022, 3, 24), d.rectify_due) == 15


def test_rectification_flags():
    assert rules.rectification_flags(
        rules.R_VERIFY, date(2022, 3, 28), date(2022, 3, 25), date(2022, 4, 15), False
    ) == ["回访超期"]
    assert rules.rectification_flags(
        rules.R_RECTIFYING, date(2022, 4, 18), date(2022, 3, 25), date(2022, 4, 15), True
    ) == ["整改超期"]
    assert (
        rules.rectification_flags(
            rules.R_RECTIFIED, date(2022, 5, 1), date(2022, 3, 25), date(2022, 4, 15), True
        )
        == []
    )


def test_ladder_from_xn_cx_chain():
    chain = ["窗口工作人员", "中心各科室科长局务会", "区级主要领导", "省市相关部门协调"]
    ladder = rules.ladder_from_chain(chain)
    assert [(r.level, r.owner_role, r.workdays) for r in ladder.rungs] == [
        (1, "chief", 3),
        (2, "leader", 5),
        (3, "director", 10),
    ]
    assert ladder.top == 3
    custom = rules.ladder_from_chain(chain, {"1": 2, 2: 4})
    assert [r.workdays for r in custom.rungs] == [2, 4, 10]
    assert rules.level_due(date(2022, 3, 31), ladder.rung(1), CAL) == date(2022, 4, 6)


def test_no_level_skipped_without_reason():
    ladder = rules.ladder_from_chain(None)
    rules.check_escalation(1, 2, ladder)
    with pytest.raises(ValidationFailed) as e:
        rules.check_escalation(1, 3, ladder)
    assert e.value.code == "skip_reason_required" and "区级主要领导" in e.value.message
    rules.check_escalation(1, 3, ladder, "涉及省级审批权限，区级无权决定")
    with pytest.raises(ValidationFailed):
        rules.check_escalation(3, 4, ladder)
    with pytest.raises(ValidationFailed):
        rules.check_escalation(2, 2, ladder)


def test_auto_escalation_predicate():
    ladder = rules.ladder_from_chain(None)
    assert rules.needs_auto_escalation(1, date(2022, 3, 24), date(2022, 3, 25), ladder)
    assert not rules.needs_auto_escalation(
        1, date(2022, 3, 24), date(2022, 3, 24), ladder
    )  # due day itself
    assert not rules.needs_auto_escalation(
        3, date(2022, 3, 24), date(2022, 4, 25), ladder
    )  # top: tracked only


def test_grievance_state_machine():
    assert rules.grievance_next(rules.G_RECEIVED, rules.CANNOT, "explain") == rules.G_FEEDBACK
    assert (
        rules.grievance_next(rules.G_RECEIVED, rules.REFUSED, "investigate")
        == rules.G_INVESTIGATING
    )
    assert rules.grievance_next(rules.G_INVESTIGATING, rules.REFUSED, "finding") == rules.G_HANDLING
    assert rules.grievance_next(rules.G_HANDLING, rules.REFUSED, "handle") == rules.G_FEEDBACK
    assert rules.grievance_next(rules.G_FEEDBACK, rules.REFUSED, "close") == rules.G_ARCHIVED
    assert rules.grievance_next(rules.G_ARCHIVED, rules.HARD, "reopen") == rules.G_HANDLING
    with pytest.raises(InvalidTransition) as e:
        rules.grievance_next(rules.G_RECEIVED, rules.HARD, "explain")
    assert "办不了" in e.value.message
    with pytest.raises(InvalidTransition):
        rules.grievance_next(rules.G_RECEIVED, rules.REFUSED, "close")


ACTIONS = list(rules.RECTIFICATION_TRANSITIONS)


@settings(deadline=None)  # a loaded CI machine must not turn timing into a failure
@given(st.lists(st.tuples(st.sampled_from(ACTIONS), st.sampled_from(["", "说明"])), max_size=12))
def test_rectification_never_closes_without_callback_and_note(steps):
    """Any sequence of actions: a closed task always has a callback note, 已整改 a rectification note,
    and nothing leaves a closed state."""
    state, callback_note, last_note = rules.R_VERIFY, "", ""
    for action, note in steps:
        try:
            new = rules.rectification_next(state, action, callback_note=callback_note, note=note)
        except (InvalidTransition, ValidationFailed):
            continue
        assert state not in rules.RECTIFICATION_CLOSED
        if action == "callback":
            callback_note = note
        state, last_note = new, note
        if state in rules.RECTIFICATION_CLOSED:
            assert callback_note
            if state == rules.R_RECTIFIED:
                assert last_note
