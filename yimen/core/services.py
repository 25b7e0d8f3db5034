"""Writes of the core tables."""

import json
from pathlib import Path
from typing import Any

from django.db import transaction

from . import audit
from .calendar import parse_holiday_cn
from .models import CalendarYear, HolidayDay
from .selectors import invalidate_calendar_cache


@transaction.atomic
def import_holiday_cn(
    document: dict[str, Any], source: str = "holiday-cn", actor: Any = None
) -> dict[str, Any]:
    """Load one holiday-cn JSON year into our own table (replacing that year). Idempotent."""
    year, rows = parse_holiday_cn(document)
    published = bool(rows)
    CalendarYear.objects.update_or_create(
        year=year, defaults={"published": published, "source": source}
    )
    existing = {d.date: d for d in HolidayDay.objects.filter(date__year=year)}
    wanted = {d for d, _, _ in rows}
    removed = [d for d in existing if d not in wanted]
    HolidayDay.objects.filter(date__in=removed).delete()
    created = changed = 0
    for d, name, off in rows:
        current = existing.get(d)
        if current is None:
            HolidayDay.objects.create(date=d, name=name, is_off_day=off, source=source)
            created += 1
        elif current.name != name or current.is_off_day != off:
            current.name, current.is_off_day, current.source = name, off, source
            current.save()
            changed += 1
    if created or changed or removed:
        audit.record(
            actor,
            "calendar.import",
            object_type="core.calendaryear",
            object_id=str(year),
            after={"created": created, "changed": changed, "removed": len(removed)},
        )
    invalidate_calendar_cache()  # change bus: this and every other process, after commit
    return {
        "year": year,
        "days": len(rows),
        "created": created,
        "changed": changed,
        "removed": len(removed),
        "published": published,
    }


def import_holiday_dir(path: Path, actor: Any = None) -> list[dict[str, Any]]:
    results = []
    for file in sorted(Path(path).glob("*.json")):
        results.append(
            import_holiday_cn(
                json.loads(file.read_text(encoding="utf-8")), source=file.name, actor=actor
            )
        )
    return results
