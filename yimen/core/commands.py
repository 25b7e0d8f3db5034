"""Small helpers shared by the `yimen` management commands."""

from datetime import date

from django.core.management.base import CommandError


def date_arg(text, label: str = "日期") -> date:
    """Parse a YYYY-MM-DD command-line argument, or stop with a clear Chinese message."""
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise CommandError(f"{label}格式不正确：{text}（应为 YYYY-MM-DD，如 2026-12-01）")
