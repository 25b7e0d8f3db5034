"""Read-only queries for dashboards, reports, the twin and staffing. Other apps' tables are only
read here (never written)."""
from __future__ import annotations

from datetime import date, time


def planned_windows_by_group(outlet, d: date) -> dict[str, tuple]:
    """Windows staffed per half hour by the A/B rota (yimen.staff), per window group:
    {group_code: ((minute_of_day, windows), …)} — only groups the rota staffs that day."""
    from yimen.outlets.models import Window
    from yimen.staff import selectors as staff_selectors

    assignments = staff_selectors.rota(outlet, d, d).assignments
    group_of = dict(Window.objects.filter(outlet=outlet).values_list("code", "group_code"))
    out: dict[str, list] = {}
    for minute in range(0, 24 * 60, 30):
        t = time(minute // 60, minute % 60)
        counts: dict[str, set] = {}
        for a in assignments:
            if a.date == d and a.start <= t < a.end:
                counts.setdefault(group_of.get(a.window, a.window), set()).add(a.window)
        for group in set(counts) | set(out):
            out.setdefault(group, []).append((float(minute), len(counts.get(group, ()))))
    return {g: tuple(rows) for g, rows in out.items() if any(n for _m, n in rows)}
