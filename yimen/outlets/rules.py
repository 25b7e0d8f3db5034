"""Opening hours (pure). Saturday opening (周六不打烊) is an outlet's weekly hours, not a working
day; statutory off days close an outlet whose holiday rule says so; 调休 working days on a weekend
use weekday hours. Used by the live system, the simulator and the tests alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from yimen.core.calendar import WorkCalendar

WEEKDAY_KEYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAY_LABELS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]

Span = tuple[time, time]


def parse_span(text: str) -> Span:
    """'09:00-16:40' → (09:00, 16:40). Raises ValueError with a Chinese message."""
    try:
        start_s, end_s = text.replace("–", "-").replace("—", "-").split("-")
        start, end = time.fromisoformat(start_s.strip()), time.fromisoformat(end_s.strip())
    except ValueError:
        raise ValueError(f"时间段格式不正确：{text}（应为 09:00-16:40）")
    if end <= start:
        raise ValueError(f"时间段结束时间应晚于开始时间：{text}")
    return start, end


def format_spans(spans: list[Span]) -> str:
    if not spans:
        return "休息"
    return "、".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in spans)


@dataclass
class OpeningSchedule:
    weekly: dict[str, list[str]]  # {"mon": ["09:00-16:40"], …}
    calendar: WorkCalendar
    exceptions: dict[date, list[str]] = field(default_factory=dict)  # date → spans ([] = closed)
    holiday_rule: str = "closed_on_off_days"  # or "open_on_off_days" (e.g. self-service)
    makeup_workday_rule: str = "weekday_hours"  # 调休 workday on a weekend opens like a weekday
    tz: tzinfo | None = None  # tzinfo of wall-clock times

    def spans_on(self, d: date) -> list[Span]:
        if d in self.exceptions:
            return [parse_span(s) for s in self.exceptions[d]]
        if self.holiday_rule == "closed_on_off_days" and self.calendar.is_off_day(d):
            return []
        key = WEEKDAY_KEYS[d.weekday()]
        if self.makeup_workday_rule == "weekday_hours" and self.calendar.is_makeup_workday(d):
            key = "mon"  # weekday hours
            # use the first weekday that has hours (centres share one weekday schedule)
            for k in WEEKDAY_KEYS[:5]:
                if self.weekly.get(k):
                    key = k
                    break
        return [parse_span(s) for s in self.weekly.get(key, [])]

    def _local(self, at: datetime) -> datetime:
        return at.astimezone(self.tz) if (self.tz and at.tzinfo) else at

    def is_open(self, at: datetime) -> bool:
        local = self._local(at)
        return any(a <= local.time() < b for a, b in self.spans_on(local.date()))

    def closes_at(self, at: datetime) -> datetime | None:
        """End of the span that is open at `at` (None when closed)."""
        local = self._local(at)
        for a, b in self.spans_on(local.date()):
            if a <= local.time() < b:
                return datetime.combine(local.date(), b, tzinfo=local.tzinfo)
        return None

    def next_opening(self, at: datetime, horizon_days: int = 60) -> datetime | None:
        """The next moment the outlet opens strictly after `at` (an open outlet: its next span)."""
        local = self._local(at)
        for offset in range(horizon_days + 1):
            d = local.date() + timedelta(days=offset)
            for a, _b in self.spans_on(d):
                start = datetime.combine(d, a, tzinfo=local.tzinfo)
                if start > local:
                    return start
        return None

    def week(self, monday: date) -> list[tuple[date, list[Span]]]:
        return [
            (monday + timedelta(days=i), self.spans_on(monday + timedelta(days=i)))
            for i in range(7)
        ]


def validate_spans(spans: Any) -> list[str]:
    """Check a day's spans (['09:00-12:00', '13:00-17:00']): format, order, no overlap.
    Returns the normalised list; raises ValueError with a Chinese message."""
    if spans is None:
        return []
    if isinstance(spans, str):
        spans = [
            s
            for s in spans.replace("，", ",").replace("、", ",").replace(";", ",").split(",")
            if s.strip()
        ]
    if not isinstance(spans, (list, tuple)):
        raise ValueError('办公时间应为时间段列表，如 ["09:00-12:00", "13:00-17:00"]')
    parsed = sorted(parse_span(str(s)) for s in spans)
    for (a1, b1), (a2, b2) in zip(parsed, parsed[1:]):
        if a2 < b1:
            raise ValueError(f"时间段重叠：{a1:%H:%M}-{b1:%H:%M} 与 {a2:%H:%M}-{b2:%H:%M}")
    return [f"{a:%H:%M}-{b:%H:%M}" for a, b in parsed]


def validate_weekly(weekly: Any) -> dict[str, list[str]]:
    """Check a weekly table {"mon": [...], …, "sun": [...]}; missing days are closed.
    Returns the normalised table; raises ValueError with a Chinese message."""
    if not isinstance(weekly, dict):
        raise ValueError('每周办公时间应为 {"mon": ["09:00-16:40"], …} 的格式')
    unknown = [k for k in weekly if k not in WEEKDAY_KEYS]
    if unknown:
        raise ValueError(
            f"未知的星期：{'、'.join(map(str, unknown))}（应为 mon、tue、wed、thu、fri、sat、sun）"
        )
    result = {}
    for key, label in zip(WEEKDAY_KEYS, WEEKDAY_LABELS):
        try:
            result[key] = validate_spans(weekly.get(key) or [])
        except ValueError as exc:
            raise ValueError(f"{label}：{exc}")
    return result
