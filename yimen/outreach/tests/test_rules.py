"""Pure rules: positions (as the ticket page counts them), reminder times, keywords, and every
outreach template within one SMS with realistic parameters."""

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from yimen.notify import messages
from yimen.outreach import rules

T0 = datetime(2022, 3, 15, 9, 0, tzinfo=timezone(timedelta(hours=8)))


def w(pk, minutes, *, queue=1, priority=False, counted=True):
    return rules.Waiting(pk, queue, T0 + timedelta(minutes=minutes), priority, counted)


def test_positions_count_checked_in_tickets_ahead_and_priority_among_priority():
    rows = [
        w(1, 0),
        w(2, 1, counted=False),  # a remote ticket not checked in: keeps its place, not counted
        w(3, 2),
        w(4, 3, priority=True),
        w(5, 0, queue=2),
    ]
    assert rules.positions(rows) == {1: 1, 2: 2, 3: 2, 4: 1, 5: 1}
    assert rules.near_turn(rows, 1) == {1: 1, 4: 1, 5: 1}


@given(st.lists(st.tuples(st.integers(0, 50), st.booleans(), st.booleans()), max_size=30))
def test_positions_are_one_plus_the_counted_tickets_ahead(spec):
    rows = [w(i, m, priority=p, counted=c) for i, (m, p, c) in enumerate(spec)]
    pos = rules.positions(rows)
    for r in rows:
        ahead = [
            o
            for o in rows
            if (o.queued_at, o.id) < (r.queued_at, r.id)
            and o.counted
            and (o.priority or not r.priority)
        ]
        assert pos[r.id] == len(ahead) + 1


def test_reminders_due():
    slot = datetime(2022, 3, 16, 9, 30, tzinfo=T0.tzinfo)
    booked = datetime(2022, 3, 14, 9, 0, tzinfo=T0.tzinfo)
    at = lambda d, h, m: datetime(2022, 3, d, h, m, tzinfo=T0.tzinfo)  # noqa: E731
    assert rules.reminders_due(slot, booked, at(15, 9, 59)) == []
    assert rules.reminders_due(slot, booked, at(15, 10, 0)) == [rules.DAY_BEFORE]
    assert rules.reminders_due(slot, booked, at(16, 8, 30)) == [rules.HOUR_BEFORE_KIND]
    assert rules.reminders_due(slot, booked, at(16, 9, 30)) == []  # the slot has begun
    assert rules.reminders_due(slot, at(15, 15, 0), at(15, 16, 0)) == []  # booked after 10:00
    assert rules.reminders_due(slot, booked, at(16, 8, 45), cancelled=True) == []


@pytest.mark.parametrize("text", ["T", "td", " 退订 ", "TD "])
def test_unsubscribe_keywords(text):
    assert rules.is_unsubscribe(text)


def test_clip():
    assert rules.clip("城西区市民服务中心", 20) == "城西区市民服务中心"
    assert rules.clip("个体工商户设立登记（含名称自主申报）", 10) == "个体工商户设立登记…"


LONG_OUTLET = rules.clip("城西区胜利路街道便民服务中心分中心", 14)
LONG_ITEM = rules.clip("个体工商户设立登记（含名称自主申报）", 10)
EXAMPLES = {
    "queue.near": {"outlet": LONG_OUTLET, "number": "A123", "ahead": "2"},
    "queue.near_remote": {
        "number": "A123",
        "ahead": "2",
        "deadline": "10:45",
        "outlet": LONG_OUTLET,
    },
    "queue.call": {"number": "A123", "window": "205", "outlet": LONG_OUTLET},
    "appt.booked": {
        "when": "12月31日16:30",
        "outlet": rules.clip(LONG_OUTLET, 12),
        "item": LONG_ITEM,
        "code": "AB12CD",
    },
    "appt.day_before": {"time": "16:30", "outlet": rules.clip(LONG_OUTLET, 12), "item": LONG_ITEM},
    "appt.hour_before": {"time": "16:30", "outlet": rules.clip(LONG_OUTLET, 12), "item": LONG_ITEM},
    "appt.cancelled": {
        "when": "12月31日16:30",
        "outlet": rules.clip(LONG_OUTLET, 12),
        "item": LONG_ITEM,
        "reason": rules.clip("网点当日不开放，预约自动取消", 12),
    },
    "appt.closed": {
        "outlet": rules.clip(LONG_OUTLET, 12),
        "date": "12月31日",
        "change": "调整办公时间",
        "item": LONG_ITEM,
        "next": "12月31日",
        "alt": rules.clip("城北区市民服务中心", 12),
    },
    "proactive.yearly": {
        "name": "马**",
        "item": rules.clip("养老保险待遇领取资格认证（生存认证）", 14),
        "due": "12月31日",
        "outlet": rules.clip(LONG_OUTLET, 12),
    },
}


@pytest.mark.parametrize("code", sorted(EXAMPLES))
def test_templates_fit_one_sms_with_the_sign(code):
    text = messages.render(code, EXAMPLES[code])
    assert text.startswith("【西宁政务服务】")
    assert rules.fits_sms(text), (len(text), text)


def test_every_outreach_template_is_covered():
    prefixes = ("queue.", "appt.", "proactive.")
    assert {c for c in messages.TEMPLATES if c.startswith(prefixes)} == set(EXAMPLES)
