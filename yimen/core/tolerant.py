"""A DateTimeField that reads an unrepresentable stored value as NULL instead of failing.

People type some dates (when something happened, a meeting's time). Services refuse values
outside a sane window (`validators.check_date_window`), but a row written before that check — or
by hand — may hold e.g. `0001-01-01 00:00+08:00`, which PostgreSQL stores as a BC timestamp that
Python cannot represent: every query loading the row then fails, taking down the list page, the
summary and the scheduled job with it. This field selects such values as NULL (shown as
"unknown"), so one bad row cannot break a page or a job; the stored value stays untouched for an
operator to correct. Filters and ordering use the real column.
"""

from django.db import models

# Python's datetime covers years 1–9999; keep a day's margin for time-zone conversion.
_BOUNDS = {
    "postgresql": ("0001-01-02 00:00:00+00", "9999-12-30 00:00:00+00"),
    "sqlite": ("0001-01-02 00:00:00", "9999-12-30 00:00:00"),
}


class TolerantDateTimeField(models.DateTimeField):
    """DateTimeField whose out-of-range stored values read as None (the column must be nullable)."""

    def select_format(self, compiler, sql, params):
        bounds = _BOUNDS.get(compiler.connection.vendor)
        if bounds is None:
            return sql, params
        params = tuple(params)
        return (
            f"CASE WHEN {sql} >= %s AND {sql} < %s THEN {sql} END",
            (*params, bounds[0], *params, bounds[1], *params),
        )
