import pytest

from yimen.catalog.rules import (
    Limit,
    format_limit,
    item_type_from,
    material_kind_from_name,
    parse_bool,
    parse_limit,
    split_list,
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("20(工作日)", Limit(20, "workday")),
        ("1(工作日)", Limit(1, "workday")),
        ("90(自然日)", Limit(90, "calendar_day")),
        ("90（自然日）", Limit(90, "calendar_day")),
        ("3个月", Limit(3, "month")),
        ("6(月)", Limit(6, "month")),
        ("15个工作日", Limit(15, "workday")),
        ("5", Limit(5, "workday")),
        (7, Limit(7, "workday")),
        ("无", Limit(None)),
        ("", Limit(None)),
        (None, Limit(None)),
        ("即办", Limit(0)),
        ("三十(工作日)", Limit(None, ok=False)),
        ("3(季度)", Limit(None, ok=False)),
        ("20-30工作日", Limit(None, ok=False)),
        (-1, Limit(None, ok=False)),
    ],
)
def test_parse_limit(text, expected):
    assert parse_limit(text) == expected


def test_format_limit_round_trips():
    for value, unit in [(20, "workday"), (90, "calendar_day"), (3, "month")]:
        assert parse_limit(format_limit(value, unit)) == Limit(value, unit)
    assert format_limit(None, "workday") == ""


def test_item_type_from_text_and_national_codes():
    assert item_type_from("行政许可") == "行政许可"
    assert item_type_from("01") == "行政许可"
    assert item_type_from("07") == "行政确认"
    assert item_type_from("21") == "公共服务"
    assert item_type_from("审批") is None
    assert item_type_from(None) is None


def test_split_list_keeps_bracketed_separators():
    assert split_list("社会保障（社会保险、社会救助）、交通出行") == [
        "社会保障（社会保险、社会救助）",
        "交通出行",
    ]
    assert split_list("a，b,c;d；e\nf") == ["a", "b", "c", "d", "e", "f"]
    assert split_list(["a ", " ", "b"]) == ["a", "b"]
    assert split_list(None) == []


def test_parse_bool_and_material_kind():
    assert parse_bool("是") is True and parse_bool("否") is False and parse_bool(None) is False
    assert parse_bool(1) is True and parse_bool("可能") is None
    assert material_kind_from_name("营业执照复印件") == "复印件"
    assert material_kind_from_name("电子证照") == "电子"
    assert material_kind_from_name("申请表") == "原件"
