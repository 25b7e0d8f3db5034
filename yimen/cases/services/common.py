"""Shared plumbing of the case writes: locking, transitions, authorisation, numbers and notices."""

from __future__ import annotations

import logging
from datetime import date

from django.conf import settings
from django.db import connection

from yimen.core import audit, clock
from yimen.core.errors import InvalidTransition
from yimen.core.selectors import work_calendar
from yimen.staff.authz import authorize, staff_of

from .. import rules
from ..models import (
    Case,
    CaseEvent,
    Notice,
)

log = logging.getLogger("yimen.cases")

TOLERANCE_HORIZON_DAYS = (
    366  # a 容缺 deadline is never more than a year ahead (items without a limit)
)
NOTICE_CODES = {
    rules.NOTICE_ACCEPT: "SL",
    rules.NOTICE_ONE_TIME: "GZ",
    rules.NOTICE_TOLERANCE: "RQ",
    rules.NOTICE_REJECT: "BY",
    rules.NOTICE_DELIVERY: "SD",
}


def _setting(name, default):
    return settings.YIMEN.get(name, default)


def _local_date(dt) -> date:
    return clock.local(dt).date()


def _lock(case: Case) -> Case:
    """Re-read the case under a row lock (PostgreSQL; SQLite serialises writers anyway)."""
    return (
        Case.objects.select_for_update()
        .select_related("item", "item__department", "outlet")
        .get(pk=case.pk)
    )


def _move(
    case: Case, action: str, actor, *, reason: str = "", request=None, extra: dict | None = None
) -> str:
    """Apply `action` to the locked case (status only; caller saves other fields)."""
    before = case.status
    try:
        after = rules.next_status(before, action)
    except rules.TransitionError:
        raise InvalidTransition(
            "办件", rules.STATUS_LABELS.get(before, before), rules.ACTION_LABELS.get(action, action)
        )
    case.status = after
    CaseEvent.objects.create(
        case=case,
        action=action,
        from_status=before,
        to_status=after,
        at=clock.now(),
        staff=staff_of(actor),
        reason=reason[:300],
    )
    audit.record(
        actor,
        f"case.{action}",
        case,
        before={"status": before},
        after={"status": after, **(extra or {})},
        reason=reason,
        request=request,
    )
    return after


def _ensure(case: Case, action: str):
    """Refuse early (before any other check) when the action is not allowed in this status."""
    try:
        rules.next_status(case.status, action)
    except rules.TransitionError:
        raise InvalidTransition(
            "办件",
            rules.STATUS_LABELS.get(case.status, case.status),
            rules.ACTION_LABELS.get(action, action),
        )


def _authorize_outlet(actor, action: str, case: Case):
    return authorize(actor, action, case)


def _authorize_department(actor, action: str, case: Case):
    return authorize(actor, action, case)


def _authorize_either(actor, case: Case, outlet_action: str, department_action: str):
    """Window staff act on their outlet's cases; approvers on their department's cases."""
    staff = staff_of(actor)
    if staff is not None and staff.role in ("approver",):
        return _authorize_department(actor, department_action, case)
    return _authorize_outlet(actor, outlet_action, case)


# --- Numbers --------------------------------------------------------------------------------------
_PG_RECEIPT_LOCK = 774412  # advisory-lock class for receipt numbers (object = outlet id)


def _new_receipt_number(outlet, on: date) -> str:
    """Next 办件编号 of the outlet for the day. On PostgreSQL an advisory transaction lock per
    outlet serialises the allocation (SQLite's IMMEDIATE transactions already do); the unique
    constraint plus a retry is the last line of defence."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_PG_RECEIPT_LOCK, outlet.pk])
    prefix = f"{outlet.code}-{on:%Y%m%d}-"
    last = (
        Case.objects.filter(receipt_number__startswith=prefix)
        .order_by("-receipt_number")
        .values_list("receipt_number", flat=True)
        .first()
    )
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


def _issue_notice(case: Case, kind: str, actor, content: dict) -> Notice:
    n = case.notices.filter(kind=kind).count() + 1
    notice = Notice.objects.create(
        case=case,
        kind=kind,
        number=f"{case.receipt_number}-{NOTICE_CODES[kind]}{n}",
        issued_at=clock.now(),
        issued_by=staff_of(actor),
        content=content,
    )
    audit.record(actor, "case.notice", case, after={"notice": notice.number, "kind": kind})
    return notice


def _material_rows(case: Case, states) -> list[dict]:
    return [
        {
            "id": m.pk,
            "name": m.name,
            "kind": m.kind,
            "copies": m.copies,
            "tolerance_eligible": m.tolerance_eligible,
            "note": m.note,
        }
        for m in case.materials.all()
        if m.required and m.state in states
    ]


def _close_open_pause(actor, case: Case):
    pause = case.pauses.filter(ended_at__isnull=True).first()
    if pause is None:
        return None
    cal = work_calendar()
    now = clock.now()
    pause.ended_at, pause.ended_by = now, staff_of(actor)
    pause.workdays = rules.pause_workdays(cal, _local_date(pause.started_at), _local_date(now))
    pause.save()
    case.paused_workdays += pause.workdays
    if case.accepted_at:
        accepted_on = _local_date(case.accepted_at)
        case.due_date = rules.due_date(cal, accepted_on, case.promised_limit, case.paused_workdays)
        case.legal_due_date = rules.due_date(
            cal, accepted_on, case.legal_limit, case.paused_workdays
        )
    return pause
