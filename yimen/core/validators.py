"""Validators for Chinese identifiers. Pure functions: they return a result, the caller decides.

- Resident ID (GB 11643-1999): 18 characters, real birth date, ISO 7064 MOD 11-2 check digit.
- Unified social credit code (GB 32100-2015): 18 characters, MOD 31 check digit. Callers *warn*
  rather than block on a bad check digit (some old codes in circulation do not verify).
- Mobile numbers: 11 digits starting 1[3-9].
- Dates and times people type: within a sane window (`check_date_window`: not before 2000, not
  after the caller's `latest`), reused by services, forms and API schemas.
- Numbers and ids from requests: `is_digits` / `parse_id` (ASCII digits only, bounded) — never
  `str.isdigit()`, which accepts '²', '١', '５' that int() then rejects (a 500) or reads as digits.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_ASCII_DIGITS = re.compile(r"[0-9]+")
# The largest primary key / counter any column holds (PostgreSQL bigint); a longer number is not an
# id, and passing it to the database overflows (SQLite: OverflowError → 500).
MAX_ID = 2**63 - 1


def is_digits(value: object) -> bool:
    """True for a non-empty string of ASCII digits 0-9 only. Use this, not str.isdigit(), for
    anything that came from a request, a file or a setting."""
    return isinstance(value, str) and _ASCII_DIGITS.fullmatch(value) is not None


def parse_id(
    value: object, default: int | None = None, *, minimum: int = 1, maximum: int = MAX_ID
) -> int | None:
    """An id or count typed, posted or sent in a header/path: ASCII digits (surrounding blanks
    allowed) within [minimum, maximum] → int; anything else (blank, '²', '١', '-1', '1e3', a
    number too long for the database) → `default`. Never raises."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value if minimum <= value <= maximum else default
    text = value.strip() if isinstance(value, str) else ""
    if not is_digits(text) or len(text) > len(str(maximum)):
        return default
    number = int(text)
    return number if minimum <= number <= maximum else default


@dataclass(frozen=True)
class IdCheck:
    ok: bool
    message: str = ""
    birth_date: date | None = None
    sex: str = ""  # 男 / 女

    def __bool__(self) -> bool:
        return self.ok


def normalize_id_number(value: str) -> str:
    return (value or "").strip().upper().replace(" ", "")


def id_check_digit(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS))
    return _ID_CHECK[total % 11]


def check_resident_id(value: str, today: date | None = None) -> IdCheck:
    v = normalize_id_number(value)
    if len(v) != 18:
        return IdCheck(False, "身份证号码应为18位。")
    if not is_digits(v[:17]) or not (is_digits(v[17]) or v[17] == "X"):
        return IdCheck(False, "身份证号码格式不正确（前17位为数字，最后一位为数字或X）。")
    try:
        birth = date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return IdCheck(False, "身份证号码中的出生日期不存在。")
    if birth.year < 1890 or (today and birth > today):
        return IdCheck(False, "身份证号码中的出生日期不合理。")
    if id_check_digit(v[:17]) != v[17]:
        return IdCheck(False, "身份证号码校验位不正确，请核对。")
    return IdCheck(True, "", birth, "男" if int(v[16]) % 2 else "女")


def age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def uscc_check_digit(first17: str) -> str:
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS))
    return _USCC_CHARS[(31 - total % 31) % 31]


@dataclass(frozen=True)
class UsccCheck:
    ok: bool  # format is acceptable (the code can be stored)
    verified: bool  # the check digit matches
    message: str = ""


def check_credit_code(value: str) -> UsccCheck:
    v = (value or "").strip().upper()
    if len(v) != 18 or any(c not in _USCC_CHARS for c in v):
        return UsccCheck(
            False, False, "统一社会信用代码应为18位数字或大写字母（不含I、O、Z、S、V）。"
        )
    if uscc_check_digit(v[:17]) != v[17]:
        return UsccCheck(True, False, "统一社会信用代码校验位不符，请核对（已保存，仅作提示）。")
    return UsccCheck(True, True, "")


def check_mobile(value: str) -> bool:
    return bool(_MOBILE.fullmatch((value or "").strip()))


# --- Dates from requests: a sane window, defined once ------------------------------------------
# A date far in the past or future is never a real request (year 1 or 9999 only breaks date
# arithmetic downstream): every API schema, query parameter and form accepts dates only inside
# the window (settings.YIMEN FIRST_DATE / SCHEDULE_YEARS_AHEAD / RECORD_YEARS_AHEAD).


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def date_window(kind: str = "schedule", today: date | None = None) -> tuple[date, date]:
    """(first, last) accepted date. kind "schedule": days to book, staff or report on (up to
    today + SCHEDULE_YEARS_AHEAD); "record": dates written on records, such as a licence's
    validity (up to today + RECORD_YEARS_AHEAD)."""
    from django.conf import settings

    from . import clock

    conf: dict[str, Any] = settings.YIMEN
    today = today or clock.today()
    first = date.fromisoformat(str(conf.get("FIRST_DATE", "2000-01-01")))
    years = (
        conf.get("RECORD_YEARS_AHEAD", 100)
        if kind == "record"
        else conf.get("SCHEDULE_YEARS_AHEAD", 2)
    )
    return first, _years_after(today, int(years))


def date_window_problem(value: date, label: str = "日期", kind: str = "schedule") -> str:
    """ "" when `value` lies in the window of `kind`, else a Chinese message saying which window."""
    first, last = date_window(kind)
    if first <= value <= last:
        return ""
    return f"{label}应在 {first:%Y-%m-%d} 至 {last:%Y-%m-%d} 之间。"


def parse_date_text(
    text: str, label: str = "日期", kind: str = "schedule"
) -> tuple[date | None, str]:
    """Parse a YYYY-MM-DD date typed into a form or a query string: (date, "") or (None, message).
    Blank → (None, "")."""
    text = (text or "").strip()
    if not text:
        return None, ""
    try:
        value = date.fromisoformat(text)
    except ValueError:
        return None, f"{label}格式不正确，应为 YYYY-MM-DD（如 2026-03-01）。"
    problem = date_window_problem(value, label, kind)
    return (None, problem) if problem else (value, "")


_ISO_WEEK = re.compile(r"([0-9]{4})-W([0-9]{1,2})")


def parse_iso_week(text: str | None, label: str = "周次") -> date:
    """'2026-W49' (any case) → the Monday of that ISO week; blank → this week's Monday. Anything
    else — no such week (W99), a week whose Monday or neighbouring weeks fall outside the sane
    date window (year 1, 9999), non-ASCII digits, NUL — raises ValidationFailed (400, Chinese).
    The one parser of week parameters (rota page, its export and change form, reports)."""
    from . import clock
    from .errors import ValidationFailed

    text = (text or "").strip()
    if not text:
        today = clock.today()
        return today - timedelta(days=today.weekday())
    shown = text[:20]
    match = _ISO_WEEK.fullmatch(text.upper())
    monday = None
    if match:
        try:
            monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
        except ValueError:
            monday = None
    if monday is None:
        raise ValidationFailed(
            f"{label}格式不正确：{shown}（应为 2026-W49 这样的年份-W周数）。", code="invalid_week"
        )
    first, last = date_window("schedule")
    if not first <= monday <= last - timedelta(days=7):
        raise ValidationFailed(
            f"{label}应在 {first:%Y-%m-%d} 至 {last:%Y-%m-%d} 之间：{shown}。", code="invalid_week"
        )
    return monday


def iso_week_label(monday: date) -> str:
    iso = monday.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def make_resident_id(region: str, birth: date, seq: int, sex: str = "男") -> str:
    """Build a valid ID number (for demo data and tests only)."""
    seq3 = seq % 1000
    if (seq3 % 2 == 1) != (sex == "男"):
        seq3 = (seq3 + 1) % 1000
    first17 = f"{region}{birth:%Y%m%d}{seq3:03d}"
    return first17 + id_check_digit(first17)


def make_credit_code(body16: str) -> str:
    """Append the check digit to a 17-character USCC body (tests and demo data)."""
    return body16 + uscc_check_digit(body16)


# --- Dates in a sane window ------------------------------------------------------------------
# Every date or time a person types (when something happened, a deadline, a report period) must lie
# in a window the system can store, compute with and show: not before 2000 (nothing the centre
# handles is older, and year-1 values overflow time-zone conversion and PostgreSQL's reader), and
# not later than the caller's `latest` (usually now/today, or a bounded horizon for deadlines).
EARLIEST_DATE = date(2000, 1, 1)


@dataclass(frozen=True)
class DateCheck:
    ok: bool
    message: str = ""

    def __bool__(self) -> bool:
        return self.ok


def _day_of(value: date | datetime) -> date:
    """The calendar date of a date or datetime as written (no time-zone conversion: converting a
    year-1 time with a positive offset overflows)."""
    return value.date() if isinstance(value, datetime) else value


def check_date_window(
    value: date | datetime | None,
    *,
    latest: date | datetime | None = None,
    earliest: date = EARLIEST_DATE,
    label: str = "日期",
) -> DateCheck:
    """Is `value` (a date or datetime) within [earliest, latest]? `latest` may be a date or a
    datetime (then, for an aware value, compared to the instant; for a naive value, by date).
    Pure: the caller passes its clock's now/today. None is accepted (optional fields)."""
    if value is None:
        return DateCheck(True)
    if not isinstance(value, (date, datetime)):
        return DateCheck(False, f"{label}格式不正确。")
    day = _day_of(value)
    if day < earliest:
        return DateCheck(
            False, f"{label}不能早于{earliest.year}年{earliest.month}月{earliest.day}日。"
        )
    if latest is None:
        return DateCheck(True)
    if (
        isinstance(latest, datetime)
        and isinstance(value, datetime)
        and value.tzinfo
        and latest.tzinfo
    ):
        too_late = value > latest
    else:
        too_late = day > _day_of(latest)
    if too_late:
        if isinstance(latest, datetime):
            return DateCheck(False, f"{label}不能晚于当前时间。")
        return DateCheck(False, f"{label}不能晚于{_day_of(latest):%Y-%m-%d}。")
    return DateCheck(True)
