"""The date-window validator: dates people type must lie between 2000-01-01 and the caller's
`latest`; year-1 values (which overflow time-zone conversion) are refused without converting."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from yimen.core.validators import EARLIEST_DATE, check_date_window

NOW = datetime(2022, 3, 23, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai


@pytest.mark.parametrize(
    "value",
    [
        datetime(
            1, 1, 1, tzinfo=timezone(timedelta(hours=8))
        ),  # the finding: 0001-01-01T00:00+08:00
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
        datetime(1, 1, 1),  # naive
        date(1, 1, 1),
        date(1999, 12, 31),
        datetime(1999, 12, 31, 23, 59, tzinfo=UTC),
    ],
)
def test_too_early_is_refused_with_a_chinese_reason(value):
    check = check_date_window(value, latest=NOW, label="原办事时间")
    assert not check and check.message == "原办事时间不能早于2000年1月1日。"


@pytest.mark.parametrize(
    "value",
    [
        datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
        NOW + timedelta(seconds=1),
        datetime(2022, 3, 24, 0, 0),  # naive: compared by date
    ],
)
def test_future_times_are_refused(value):
    check = check_date_window(value, latest=NOW, label="原办事时间")
    assert not check and check.message == "原办事时间不能晚于当前时间。"


def test_dates_against_a_date_horizon():
    assert not check_date_window(date(9999, 12, 31), latest=date(2023, 3, 23), label="补交期限")
    assert (
        check_date_window(date(9999, 12, 31), latest=date(2023, 3, 23), label="补交期限").message
        == "补交期限不能晚于2023-03-23。"
    )
    assert check_date_window(date(2023, 3, 23), latest=date(2023, 3, 23))


@pytest.mark.parametrize(
    "value",
    [
        None,
        EARLIEST_DATE,
        NOW,
        NOW - timedelta(days=3650),
        datetime(2022, 3, 23, 11, 0, tzinfo=timezone(timedelta(hours=8))),
    ],
)
def test_sane_values_pass(value):
    assert check_date_window(value, latest=NOW)


def test_no_upper_bound_and_bad_types():
    assert check_date_window(date(2100, 1, 1))
    assert not check_date_window("2022-03-01", label="日期")
    assert check_date_window("2022-03-01").message == "日期格式不正确。"
