"""The outbox's settings (settings.YIMEN, from environment variables: docs/notifications.md)."""

from __future__ import annotations

from datetime import time

from django.conf import settings

from . import rules


def _get(name: str, default):
    return settings.YIMEN.get(name, default)


def quiet_hours() -> tuple[time, time] | None:
    return rules.parse_hours(str(_get("SMS_QUIET_HOURS", "21:00-08:00")))


def daily_limit() -> int:
    return int(_get("SMS_DAILY_LIMIT", 10))


def max_attempts() -> int:
    return int(_get("OUTBOX_MAX_ATTEMPTS", 6))


def backoff_base() -> float:
    return float(_get("OUTBOX_BACKOFF_SECONDS", 30))


def backoff_cap() -> float:
    return float(_get("OUTBOX_BACKOFF_MAX_SECONDS", 3600))


def batch_size() -> int:
    return int(_get("OUTBOX_BATCH", 50))


def lease_seconds() -> float:
    return float(_get("OUTBOX_LEASE_SECONDS", 120))
