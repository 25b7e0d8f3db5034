"""Pure rules of the catalog: parsing the values public catalogs and spreadsheets write for
time limits, item types, yes/no flags and material kinds. No database, no clock."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from yimen.core.validators import is_digits

# Window kinds (DESIGN.md). Stored as the Chinese label: it is what centres write in their
# spreadsheets and what the demo data uses.
WINDOW_KINDS = [
    "引导台",
    "综合窗口",
    "绿色通道",
    "专业窗口",
    "银行网点",
    "帮办代办",
    "办不成事窗口",
    "自助",
]
WINDOW_KIND_CHOICES = [(k, k) for k in WINDOW_KINDS]

ITEM_TYPES = [
    "行政许可",
    "行政确认",
    "行政给付",
    "行政征收",
    "行政奖励",
    "行政裁决",
    "行政检查",
    "行政处罚",
    "行政强制",
    "其他行政权力",
    "公共服务",
]
ITEM_TYPE_CHOICES = [(t, t) for t in ITEM_TYPES]

LIMIT_UNITS = [("workday", "工作日"), ("calendar_day", "自然日"), ("month", "月")]
MATERIAL_KINDS = [("原件", "原件"), ("复印件", "复印件"), ("电子", "电子")]

UNIT_LABELS = dict(LIMIT_UNITS)  # workday → 工作日
UNIT_BY_LABEL = {label: code for code, label in LIMIT_UNITS}
UNIT_ALIASES = {
    "工作日": "workday",
    "个工作日": "workday",
    "天": "workday",
    "日": "workday",
    "自然日": "calendar_day",
    "个自然日": "calendar_day",
    "日历日": "calendar_day",
    "月": "month",
    "个月": "month",
}
NONE_WORDS = {"无", "不涉及", "无时限", "没有", "—", "-", "/", "无限制"}
IMMEDIATE_WORDS = {"即办", "即办件", "当场办结", "立即办结", "即时办结"}

# National standard codes of item types (事项类型代码), as in the Sichuan/Guangdong catalogs.
TASK_TYPE_BY_CODE = {
    "1": "行政许可",
    "2": "行政处罚",
    "3": "行政强制",
    "4": "行政征收",
    "5": "行政给付",
    "6": "行政检查",
    "7": "行政确认",
    "8": "行政奖励",
    "9": "行政裁决",
    "10": "其他行政权力",
    "20": "其他行政权力",
    "21": "公共服务",
}
# In the Sichuan list the code 20 is 公共服务 (its items are 查询/咨询/服务) — see importers.
SC_TASK_TYPE_BY_CODE = {**TASK_TYPE_BY_CODE, "20": "公共服务"}

_LIMIT_RE = re.compile(
    r"^\s*(?P<n>\d+)\s*(?:[（(]\s*(?P<u1>[^()（）]+?)\s*[)）]|(?P<u2>个?工作日|个?自然日|日历日|个?月|天|日))?\s*$"
)


@dataclass(frozen=True)
class Limit:
    """A parsed time limit. value None = none stated; ok False = the text was not understood."""

    value: int | None
    unit: str = "workday"
    ok: bool = True


def parse_limit(text: Any) -> Limit:
    """'20(工作日)' → 20 workdays; '90(自然日)' → calendar days; '3个月' → months; '无' → none;
    '即办' → 0 (即办件). Anything else → Limit(None, ok=False) (kept empty and counted as a warning)."""
    if text is None:
        return Limit(None)
    if isinstance(text, bool):
        return Limit(None, ok=False)
    if isinstance(text, int):
        return Limit(text) if text >= 0 else Limit(None, ok=False)
    if isinstance(text, float):
        return Limit(int(text)) if text >= 0 and text == int(text) else Limit(None, ok=False)
    s = str(text).strip()
    if not s or s in NONE_WORDS:
        return Limit(None)
    if s in IMMEDIATE_WORDS:
        return Limit(0)
    m = _LIMIT_RE.match(s)
    if not m:
        return Limit(None, ok=False)
    unit_text = (m.group("u1") or m.group("u2") or "工作日").strip()
    unit = UNIT_ALIASES.get(unit_text) or UNIT_BY_LABEL.get(unit_text)
    if unit is None:
        return Limit(None, ok=False)
    return Limit(int(m.group("n")), unit)


def format_limit(value: int | None, unit: str) -> str:
    if value is None:
        return ""
    return f"{value}({UNIT_LABELS.get(unit, unit)})"


def item_type_from(text_or_code: Any) -> str | None:
    """'行政许可' or a national code ('01', '1') → the item type; None if unknown."""
    if text_or_code is None:
        return None
    s = str(text_or_code).strip()
    if s in ITEM_TYPES:
        return s
    if is_digits(s):
        return TASK_TYPE_BY_CODE.get(str(int(s)))
    return None


YES = {"是", "有", "y", "yes", "true", "1", "√", "✓"}
NO = {"否", "无", "n", "no", "false", "0", "", "×"}


def parse_bool(value: Any) -> bool | None:
    """'是'/'否', True/False, 1/0 → bool; None if not understood."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    s = str(value).strip().lower()
    if s in YES:
        return True
    if s in NO:
        return False
    return None


def material_kind_from_name(name: str) -> str:
    """Guess the material form from its name when a catalog does not say (default 原件)."""
    if "复印件" in name or "复印" in name:
        return "复印件"
    if "电子" in name or "扫描件" in name:
        return "电子"
    return "原件"


MATERIAL_KIND_VALUES = [k for k, _ in MATERIAL_KINDS]


_SEPARATORS = set("、，,；;\n")
_OPEN, _CLOSE = set("（(【[《"), set("）)】]》")


def split_list(value: Any) -> list[str]:
    """'a、b，c' / 'a;b' / ['a','b'] → ['a','b','c'] (blank parts dropped). Separators inside
    brackets do not split: '社会保障（社会保险、社会救助）' stays one value."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in str(value):
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE and depth:
            depth -= 1
        if ch in _SEPARATORS and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def join_list(values: Any) -> str:
    return "、".join(values or [])
