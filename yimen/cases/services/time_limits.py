"""Time limits (statutory time status of open cases) and audited reveals of personal data."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from yimen.core import audit, clock
from yimen.core.errors import Forbidden, ValidationFailed
from yimen.core.jobs import JobRun
from yimen.staff.authz import authorize, staff_of

from .. import rules, selectors
from ..models import (
    Case,
)
from .tolerance import _job_cases, send_tolerance_reminders, terminate_overdue_tolerance


# --- Time limits ------------------------------------------------------------------------------------
def evaluate_time_status(case: Case, today: date | None = None) -> str:
    return selectors.evaluate_time_status(case, today)


def refresh_time_status(today: date | None = None, run: JobRun | None = None) -> dict:
    """Scheduled (`yimen cases refresh`): time-limit status of every open case; reminders and
    terminations of 容缺 cases. Each case in its own transaction: a case that fails is logged and
    skipped (counted in "failed"), the others are refreshed. Returns counts."""
    today = today or clock.today()
    now = clock.now()
    run = run or JobRun("cases.refresh")
    terminated = terminate_overdue_tolerance(today, run)
    reminded = send_tolerance_reminders(today, run)

    def one(key):
        case = Case.objects.select_for_update().get(pk=key[0])
        if case.status not in rules.OPEN_BACK_OFFICE_STATES:
            return None
        status = evaluate_time_status(case, today)
        if status != case.time_status:
            before = case.time_status
            Case.objects.filter(pk=case.pk).update(time_status=status, time_status_at=now)
            audit.record(
                "system",
                "case.time_status",
                case,
                before={"time_status": before},
                after={"time_status": status},
            )
            if status == rules.WARNING:  # the department's approvers see it on their bell
                from yimen.outreach.notices import deadline_warning

                deadline_warning(case)
        else:
            Case.objects.filter(pk=case.pk).update(time_status_at=now)
        return status

    statuses = run.each(
        _job_cases(Case.objects.filter(status__in=rules.OPEN_BACK_OFFICE_STATES)),
        one,
        label=lambda k: k[1],
    )
    counts = {rules.NORMAL: 0, rules.WARNING: 0, rules.OVERDUE: 0}
    for status in statuses:
        counts[status] += 1
    return {**counts, "terminated": len(terminated), "reminded": len(reminded), **run.as_dict()}


@transaction.atomic
def reveal_personal_data(actor, case: Case, *, reason: str, request=None) -> dict:
    """科长/中心主任 see the full ID numbers and phones of a case; every reveal is audited."""
    authorize(actor, "case.reveal", case)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationFailed("查看完整个人信息须说明理由。")
    audit.record(
        actor,
        "case.reveal",
        case,
        reason=reason,
        request=request,
        after={
            "fields": ["applicant_id_number", "applicant_phone", "agent_id_number", "agent_phone"]
        },
    )
    return {
        "applicant_id_number": case.applicant_id_number,
        "applicant_phone": case.applicant_phone,
        "agent_id_number": case.agent_id_number,
        "agent_phone": case.agent_phone,
    }


def require_staff(actor):
    staff = staff_of(actor)
    if staff is None:
        raise Forbidden("请先以工作人员身份登录。")
    return staff
