"""Pure rules of the outbox: quiet hours, back-off, the daily window. No database, no clock."""

from __future__ import annotations

from datetime import datetime, time, timedelta


def parse_hours(spec: str) -> tuple[time, time] | None:
    """'21:00-08:00' → (21:00, 08:00); '' or 'off' → None (no quiet hours)."""
    spec = (spec or "").strip()
    if not spec or spec.lower() == "off":
        return None
    start, end = (time.fromisoformat(p.strip()) for p in spec.split("-", 1))
    return start, end


def in_quiet_hours(local: datetime, hours: tuple[time, time] | None) -> bool:
    if hours is None:
        return False
    start, end = hours
    t = local.timetz().replace(tzinfo=None)
    if start <= end:
        return start <= t < end
    return t >= start or t < end  # across midnight


def quiet_hours_end(local: datetime, hours: tuple[time, time] | None) -> datetime:
    """The first moment at or after `local` (an aware local time) outside the quiet hours."""
    if not in_quiet_hours(local, hours):
        return local
    assert hours is not None
    end = local.replace(hour=hours[1].hour, minute=hours[1].minute, second=0, microsecond=0)
    return end if end > local else end + timedelta(days=1)


def next_day_start(local: datetime, hours: tuple[time, time] | None) -> datetime:
    """The next day's first moment for messages (the end of the quiet hours, else midnight)."""
    start = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return quiet_hours_end(start, hours)


def backoff(attempts: int, base: float, cap: float) -> timedelta:
    """Delay before the next attempt after `attempts` failed ones: base·2^(n−1), at most cap."""
    return timedelta(seconds=min(cap, base * 2 ** max(attempts - 1, 0)))
