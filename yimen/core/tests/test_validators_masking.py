"""Validators (GB 11643 resident ID, GB 32100 credit code, mobile) and masking/redaction."""

import logging
from datetime import date

import pytest
from hypothesis import given, strategies as st

from yimen.core import masking, validators as v

TODAY = date(2026, 11, 27)


@pytest.mark.parametrize(
    "value", ["11010519491231002X", v.make_resident_id("630104", date(1990, 1, 1), 123)]
)
def test_known_valid_ids(value):
    result = v.check_resident_id(value, TODAY)
    assert result.ok and result.birth_date.year in (1949, 1990)


def test_lowercase_x_and_spaces_are_normalised():
    assert v.check_resident_id(" 11010519491231002x ", TODAY).ok


@pytest.mark.parametrize(
    "value,message",
    [
        ("", "18位"),
        ("1101051949123100", "18位"),
        ("11010519491231002Y", "格式"),
        ("110105194902300020", "出生日期不存在"),  # 30 February
        ("110105203001010020", "不合理"),  # born in the future
        ("110105188001010020", "不合理"),  # before 1890
        ("110105194912310021", "校验位"),
    ],
)
def test_invalid_ids_explain_why(value, message):
    result = v.check_resident_id(value, TODAY)
    assert not result.ok and message in result.message


def test_sex_and_age():
    male = v.make_resident_id("630104", date(1960, 11, 28), 11, "男")
    female = v.make_resident_id("630104", date(1960, 11, 27), 12, "女")
    assert (
        v.check_resident_id(male, TODAY).sex == "男"
        and v.check_resident_id(female, TODAY).sex == "女"
    )
    assert v.age_on(date(1960, 11, 28), TODAY) == 65 and v.age_on(date(1960, 11, 27), TODAY) == 66


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 11, 27)),
    st.integers(0, 999),
    st.sampled_from(["男", "女"]),
)
def test_generated_ids_always_verify_and_one_changed_digit_never_does(birth, seq, sex):
    value = v.make_resident_id("630104", birth, seq, sex)
    result = v.check_resident_id(value, TODAY)
    assert result.ok and result.birth_date == birth and result.sex == sex
    digit = str((int(value[16]) + 1) % 10)
    assert not v.check_resident_id(value[:16] + digit + value[17], TODAY).ok


def test_credit_code_warns_but_does_not_block():
    good = "91350100M000100Y43"  # a published valid example
    assert v.check_credit_code(good) == v.UsccCheck(True, True, "")
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    result = v.check_credit_code(bad_check)
    assert result.ok and not result.verified and "仅作提示" in result.message
    assert not v.check_credit_code("91350100M000100YI3").ok  # I is not allowed
    assert not v.check_credit_code("123").ok
    made = v.make_credit_code("91630104MA7ABCDE0")
    assert v.check_credit_code(made).verified


@pytest.mark.parametrize(
    "value,ok",
    [
        ("13812345678", True),
        (" 19912345678 ", True),
        ("12812345678", False),
        ("1381234567", False),
        ("138123456789", False),
        ("", False),
        (None, False),
    ],
)
def test_mobile(value, ok):
    assert v.check_mobile(value) is ok


def test_masks():
    assert masking.mask_id_number("630104199001011237") == "630104********1237"
    assert masking.mask_phone("13812345678") == "138****5678"
    assert masking.mask_name("张三") == "张*" and masking.mask_name("欧阳娜娜") == "欧***"
    assert (
        masking.mask_name("张") == "张*"
        and masking.mask_id_number("") == ""
        and masking.mask_phone(None) == ""
    )


def test_redact_free_text():
    text = "申请人630104199001011237，电话 13812345678；受理号 20261127000123456 不是身份证"
    out = masking.redact(text)
    assert "630104********1237" in out and "138****5678" in out
    assert "199001011237" not in out and "12345678" not in out.replace("20261127000123456", "")


def test_logs_never_carry_full_numbers(caplog):
    logger = logging.getLogger("yimen.test")
    handler_filter = masking.RedactingFilter()
    logger.addFilter(handler_filter)
    try:
        with caplog.at_level(logging.WARNING, logger="yimen.test"):
            logger.warning("申请人 %s 手机 %s", "630104199001011237", "13812345678")
    finally:
        logger.removeFilter(handler_filter)
    assert "630104199001011237" not in caplog.text and "13812345678" not in caplog.text
    assert "630104********1237" in caplog.text


def test_settings_wire_the_filter_into_the_console_handler(settings):
    handler = settings.LOGGING["handlers"]["console"]
    assert "redact_personal_data" in handler["filters"]
