"""Writes to outlets: weekly opening hours and dated exceptions. Each one transaction, checked
(Chinese errors), permission-checked and audited."""

from datetime import date

from django.db import transaction

from yimen.core import audit
from yimen.core.errors import ValidationFailed
from yimen.staff.authz import authorize

from .models import OpeningException, Outlet
from .rules import validate_spans, validate_weekly


def _authorize(actor, outlet):
    if actor is not None:  # None = the command line / data loaders (operator on the server)
        authorize(actor, "outlets.hours", outlet=outlet)


def _locked(outlet: Outlet) -> Outlet:
    return Outlet.objects.select_for_update().get(pk=outlet.pk)


@transaction.atomic
def set_weekly_hours(
    outlet: Outlet,
    weekly: dict,
    *,
    lunch_break: bool | None = None,
    actor=None,
    reason: str = "",
    request=None,
) -> Outlet:
    """Replace an outlet's weekly hours ({"mon": ["09:00-16:40"], …}; missing day = closed)."""
    _authorize(actor, outlet)
    try:
        normalised = validate_weekly(weekly)
    except ValueError as exc:
        raise ValidationFailed(str(exc))
    outlet = _locked(outlet)
    before = {"weekly_hours": outlet.weekly_hours, "lunch_break": outlet.lunch_break}
    outlet.weekly_hours = normalised
    if lunch_break is not None:
        outlet.lunch_break = bool(lunch_break)
    after = {"weekly_hours": outlet.weekly_hours, "lunch_break": outlet.lunch_break}
    if after != before:
        outlet.save(update_fields=["weekly_hours", "lunch_break"])
        audit.record(
            actor,
            "outlet.hours",
            outlet,
            before=before,
            after=after,
            reason=reason,
            request=request,
        )
        # bookings in hours the outlet no longer opens: cancelled, each holder told (outreach)
        from yimen.outreach.appointments import handle_closures

        handle_closures(outlet)
    return outlet


@transaction.atomic
def set_exception(
    outlet: Outlet, day: date, spans, *, note: str = "", actor=None, reason: str = "", request=None
) -> OpeningException:
    """Set the hours of one date (spans [] = closed that day), replacing any exception of that date."""
    _authorize(actor, outlet)
    if not isinstance(day, date):
        try:
            day = date.fromisoformat(str(day))
        except ValueError:
            raise ValidationFailed(f"日期格式不正确：{day}（应为 YYYY-MM-DD）")
    from yimen.core.validators import date_window_problem

    if problem := date_window_problem(day, "例外日期"):
        raise ValidationFailed(problem, code="invalid_date")
    try:
        normalised = validate_spans(spans)
    except ValueError as exc:
        raise ValidationFailed(str(exc))
    note = (note or "").strip()
    if len(note) > 200:
        raise ValidationFailed("说明不能超过 200 个字。")
    outlet = _locked(outlet)
    existing = OpeningException.objects.filter(outlet=outlet, date=day).first()
    before = None if existing is None else {"spans": existing.spans, "note": existing.note}
    exception, _ = OpeningException.objects.update_or_create(
        outlet=outlet, date=day, defaults={"spans": normalised, "note": note}
    )
    after = {"date": day.isoformat(), "spans": normalised, "note": note}
    if before is None or before != {"spans": normalised, "note": note}:
        audit.record(
            actor,
            "outlet.exception",
            outlet,
            before=before,
            after=after,
            reason=reason,
            request=request,
        )
    if normalised != (before or {}).get("spans"):
        # bookings of a day the outlet no longer opens (or hours it no longer has): cancelled and
        # each holder told, in this transaction (docs/notifications.md, "Triggers and notices")
        from yimen.outreach.appointments import on_exception_saved

        on_exception_saved(outlet, day)
    return exception


# the brief's name for it
add_exception = set_exception


@transaction.atomic
def remove_exception(
    outlet: Outlet, day: date, *, actor=None, reason: str = "", request=None
) -> bool:
    _authorize(actor, outlet)
    outlet = _locked(outlet)
    existing = OpeningException.objects.filter(outlet=outlet, date=day).first()
    if existing is None:
        return False
    before = {"date": day.isoformat(), "spans": existing.spans, "note": existing.note}
    existing.delete()
    audit.record(
        actor, "outlet.exception_removed", outlet, before=before, reason=reason, request=request
    )
    return True
