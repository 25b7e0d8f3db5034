"""容缺 supplement, reminders and termination of overdue tolerance cases."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from yimen.core import audit, clock
from yimen.core.errors import InvalidTransition, ValidationFailed
from yimen.core.jobs import JobRun
from yimen.core.selectors import work_calendar
from yimen.notify.services import enqueue
from yimen.staff.authz import staff_of

from .. import rules
from ..models import (
    Case,
    CaseEvent,
    CaseMaterial,
    Visit,
)
from .common import _authorize_either, _close_open_pause, _lock, _move


# --- 容缺 supplement, reminders, termination -----------------------------------------------
@transaction.atomic
def supply_material(
    actor,
    case: Case,
    case_material_id: int,
    *,
    via: str,
    in_person: bool = False,
    ticket=None,
    request=None,
) -> Case:
    """A 容缺 material arrives."""
    case = _lock(case)
    _authorize_either(actor, case, "case.intake", "case.review")
    try:
        rules.next_status(case.status, "supply_material")
    except rules.TransitionError:
        raise InvalidTransition("办件", case.status_label, "补交容缺材料")
    line = case.materials.filter(pk=case_material_id).first()
    if line is None or line.state != rules.M_TOLERATED:
        raise ValidationFailed("该材料不是待补交的容缺材料。")
    if via not in rules.RECEIVED_VIA_LABELS:
        raise ValidationFailed("请选择收取方式（纸质/电子/数据共享）。")
    now = clock.now()
    line.state, line.received_via, line.received_at = rules.M_RECEIVED, via, now
    line.save(update_fields=["state", "received_via", "received_at"])
    if in_person:
        Visit.objects.create(
            case=case,
            at=now,
            outlet=case.outlet,
            ticket=ticket,
            staff=staff_of(actor),
            purpose="supplement",
            reason=f"按容缺承诺补交「{line.name}」",
        )
    CaseEvent.objects.create(
        case=case,
        action="supply_material",
        from_status=case.status,
        to_status=case.status,
        at=now,
        staff=staff_of(actor),
        reason=line.name[:300],
    )
    audit.record(
        actor,
        "case.supply_material",
        case,
        after={"material": line.name, "via": via},
        request=request,
    )
    return case


def outstanding_tolerance(case: Case) -> list[CaseMaterial]:
    return [m for m in case.materials.all() if m.state == rules.M_TOLERATED]


def _job_cases(qs) -> list[tuple[int, str]]:
    return list(qs.order_by("pk").values_list("pk", "receipt_number"))


def send_tolerance_reminders(today: date | None = None, run: JobRun | None = None) -> list[str]:
    """Remind applicants one working day before their 容缺 deadline (once). Each case in its own
    transaction, which queues the SMS in the outbox (delivered after commit by the worker)."""
    today = today or clock.today()
    run = run or JobRun("cases.remind_tolerance")
    cal = work_calendar()

    def one(key):
        case = Case.objects.select_for_update().get(pk=key[0])
        if (
            case.status not in rules.OPEN_BACK_OFFICE_STATES
            or not case.tolerance
            or case.tolerance_reminded_at is not None
            or case.tolerance_deadline < today
        ):
            return None
        missing = outstanding_tolerance(case)
        if not missing or rules.reminder_day(cal, case.tolerance_deadline) > today:
            return None
        case.tolerance_reminded_at = clock.now()
        case.save(update_fields=["tolerance_reminded_at", "updated_at"])
        queued = enqueue(
            to=case.applicant_phone or case.agent_phone,
            template="case.tolerance_reminder",
            params={
                "receipt": case.receipt_number,
                "item": case.item.display_name,
                "materials": "、".join(m.name for m in missing),
                "deadline": f"{case.tolerance_deadline:%Y年%m月%d日}",
            },
            dedupe_key=f"case.tolerance_reminder:{case.pk}",
        )
        CaseEvent.objects.create(
            case=case,
            action="remind_tolerance",
            from_status=case.status,
            to_status=case.status,
            at=clock.now(),
            reason="已交发送队列" if queued else "无可用手机号，未发送",
        )
        audit.record("system", "case.remind_tolerance", case, after={"queued": bool(queued)})
        return case.receipt_number

    qs = Case.objects.filter(
        status__in=rules.OPEN_BACK_OFFICE_STATES,
        tolerance=True,
        tolerance_reminded_at__isnull=True,
        tolerance_deadline__gte=today,
    )
    return run.each(_job_cases(qs), one, label=lambda k: k[1])


def terminate_overdue_tolerance(today: date | None = None, run: JobRun | None = None) -> list[str]:
    """容缺 materials not supplied by the deadline → the case is terminated (each case in its own
    transaction; the applicant is told by SMS through the outbox)."""
    today = today or clock.today()
    run = run or JobRun("cases.terminate_tolerance")

    def one(key):
        case = Case.objects.select_for_update().get(pk=key[0])
        if (
            case.status not in rules.OPEN_BACK_OFFICE_STATES
            or not case.tolerance
            or case.tolerance_deadline is None
            or case.tolerance_deadline >= today
        ):
            return None
        missing = outstanding_tolerance(case)
        if not missing:
            return None
        _close_open_pause("system", case)
        reason = (
            f"容缺材料「{'、'.join(m.name for m in missing)}」未在承诺期限"
            f"{case.tolerance_deadline:%Y-%m-%d}前补交，终止办理"
        )
        _move(case, "terminate", "system", reason=reason)
        case.termination_reason = reason
        case.closed_at = clock.now()
        case.save()
        enqueue(
            to=case.applicant_phone or case.agent_phone,
            template="case.terminated",
            params={
                "receipt": case.receipt_number,
                "deadline": f"{case.tolerance_deadline:%Y-%m-%d}",
            },
            dedupe_key=f"case.terminated:{case.pk}",
        )
        return case.receipt_number

    qs = Case.objects.filter(
        status__in=rules.OPEN_BACK_OFFICE_STATES, tolerance=True, tolerance_deadline__lt=today
    )
    return run.each(_job_cases(qs), one, label=lambda k: k[1])
