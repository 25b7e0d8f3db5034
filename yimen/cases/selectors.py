"""Reads of cases: lists for clerks and approvers, time-limit lists, trips metric, public progress."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db.models import Count, Q

from yimen.core import clock
from yimen.core.errors import DomainError, NotFound
from yimen.core.masking import mask_id_number, mask_name, mask_phone
from yimen.core.selectors import work_calendar
from yimen.core.stats import percentile
from yimen.staff import authz

from . import rules
from .models import Case, Result


def get_case(pk) -> Case:
    case = (
        Case.objects.select_related(
            "item",
            "item__department",
            "outlet",
            "window",
            "ticket",
            "opened_by",
            "accepted_by",
            "decided_by",
            "helper",
        )
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise NotFound("找不到该办件。")
    return case


def get_by_receipt(receipt_number: str) -> Case:
    case = Case.objects.filter(receipt_number=(receipt_number or "").strip().upper()).first()
    if case is None:
        raise NotFound(f"找不到办件编号为 {receipt_number} 的办件。")
    return get_case(case.pk)


def can_view(actor, case: Case) -> bool:
    """The case is among what `actor` may see (the one policy: staff.authz.visible_to)."""
    return authz.can_see(actor, case)


def visible_cases(actor):
    """Cases this member of staff may see: own outlet (window staff, chiefs, directors), own
    department's accepted cases (approvers), the district (leaders), everything (admins)."""
    return authz.visible_to(
        actor, Case.objects.select_related("item", "item__department", "outlet")
    )


def department_queue(department, viewer=None):
    """The back-office queue of a department: open accepted cases, most urgent first (time-limit
    status evaluated now, so the list is right even between two scheduled refreshes)."""
    order = {rules.OVERDUE: 0, rules.WARNING: 1, rules.NORMAL: 2, "": 3}
    qs = (
        visible_cases(viewer)
        if viewer is not None
        else Case.objects.select_related("item", "outlet")
    )
    cases = list(
        qs.filter(
            item__department=department, status__in=(rules.ACCEPTED, rules.PAUSED, rules.DECIDED)
        )
    )
    today = clock.today()
    for c in cases:
        c.time_status = (
            evaluate_time_status(c, today) if c.status in rules.OPEN_BACK_OFFICE_STATES else ""
        )
    cases.sort(key=lambda c: (order.get(c.time_status, 3), c.due_date or today, c.pk))
    return cases


def evaluate_time_status(case: Case, today: date | None = None) -> str:
    cal = work_calendar()
    today = today or clock.today()
    if case.status == rules.PAUSED:
        pause = case.pauses.filter(ended_at__isnull=True).first()
        if pause is not None:
            today = min(today, clock.local(pause.started_at).date())  # the clock stands still
    warn = int(settings.YIMEN.get("TIME_LIMIT_WARNING_WORKDAYS", 1))
    status = rules.time_status(cal, today, case.due_date, warn)
    legal = rules.time_status(cal, today, case.legal_due_date, warn)
    order = [rules.NORMAL, rules.WARNING, rules.OVERDUE]
    return max(status, legal, key=order.index)


def time_limit_lists(actor, department=None) -> dict:
    """Overdue and warning lists of what `actor` may see (per department when given)."""
    qs = visible_cases(actor).filter(status__in=rules.OPEN_BACK_OFFICE_STATES)
    if department is not None:
        qs = qs.filter(item__department=department)
    return {
        "overdue": list(qs.filter(time_status=rules.OVERDUE).order_by("due_date", "pk")),
        "warning": list(qs.filter(time_status=rules.WARNING).order_by("due_date", "pk")),
    }


def time_limit_summary(actor):
    """Per department: open, warning, overdue counts (of what `actor` may see)."""
    rows = (
        visible_cases(actor)
        .filter(status__in=rules.OPEN_BACK_OFFICE_STATES)
        .values("item__department__code", "item__department__name")
        .annotate(
            open=Count("id"),
            warning=Count("id", filter=Q(time_status=rules.WARNING)),
            overdue=Count("id", filter=Q(time_status=rules.OVERDUE)),
        )
        .order_by("item__department__code")
    )
    return list(rows)


def trips_metric(qs=None) -> dict:
    """最多跑一次, measured: trips (physical visits) per case."""
    qs = (qs if qs is not None else Case.objects.all()).annotate(trips=Count("visits"))
    total = qs.count()
    if not total:
        return {
            "cases": 0,
            "trips": 0,
            "average": 0.0,
            "one_trip": 0,
            "one_trip_rate": 0.0,
            "multi": [],
        }
    trips = [c.trips for c in qs]
    multi = [c for c in qs.filter(trips__gt=1).prefetch_related("visits")]
    return {
        "cases": total,
        "trips": sum(trips),
        "average": round(sum(trips) / total, 2),
        "one_trip": sum(1 for t in trips if t <= 1),
        "one_trip_rate": round(sum(1 for t in trips if t <= 1) / total, 4),
        "multi": [
            {
                "receipt_number": c.receipt_number,
                "trips": c.trips,
                "reasons": [v.reason for v in c.visits.all() if v.reason],
            }
            for c in multi
        ],
    }


def handling_times(qs=None) -> dict:
    """即办件 handling time (S02): from the call of the ticket to the case being finished at the
    window, in seconds — count, median, 90th percentile and the share within 180 s."""
    qs = (
        (qs if qs is not None else Case.objects.all())
        .filter(status=rules.CLOSED, ticket__called_at__isnull=False, item__promised_limit=0)
        .select_related("ticket")
    )
    secs = sorted(
        max((c.closed_at - c.ticket.called_at).total_seconds(), 0) for c in qs if c.closed_at
    )
    if not secs:
        return {"count": 0, "median_s": None, "p90_s": None, "within_180s": None}

    return {
        "count": len(secs),
        "median_s": round(percentile(secs, 0.5) or 0.0, 1),
        "p90_s": round(percentile(secs, 0.9) or 0.0, 1),
        "within_180s": round(sum(1 for x in secs if x <= 180) / len(secs), 4),
    }


def trips_of(case: Case) -> int:
    return case.visits.count()


def masked_applicant(case: Case) -> dict:
    return {
        "name": mask_name(case.applicant_name)
        if case.applicant_kind == "person"
        else case.applicant_name,
        "id_number": mask_id_number(case.applicant_id_number),
        "phone": mask_phone(case.applicant_phone),
        "credit_code": case.credit_code,
        "agent": mask_name(case.agent_name),
        "agent_id_number": mask_id_number(case.agent_id_number),
    }


def verify_result(token: str) -> Result | None:
    return (
        Result.objects.select_related("case", "case__item", "case__item__department")
        .filter(verify_token=token)
        .first()
    )


# --- Public progress ------------------------------------------------------------------------------
# Limits of services.lookup_progress, the one entry point of every public lookup (keyed by the
# client address, never by the receipt alone: see there).
PROGRESS_MAX_PER_IP = 20  # lookups per address per 10 minutes
PROGRESS_MAX_FAILS_PER_RECEIPT = 5  # failed lookups of one receipt number per address per hour
PROGRESS_MAX_FAILS_PER_IP = 10  # failed lookups per address per hour, across receipt numbers


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"


def _secret_matches(case: Case, secret: str) -> bool:
    s = (secret or "").strip().upper().replace(" ", "")
    if not s:
        return False
    id_numbers = [case.applicant_id_number or "", case.agent_id_number or ""]
    if len(s) == 4 and any(x and x.upper()[-4:] == s for x in id_numbers):
        return True
    phones = [case.applicant_phone or "", case.agent_phone or ""]
    return len(s) == 11 and any(p and p == s for p in phones)


def public_progress(receipt_number: str, secret: str) -> dict | None:
    """Status and dates of a case, for the citizen who knows the receipt number and the last 4
    characters of the ID number (or the full phone number). None when they do not match.
    Personal data is never part of the answer. Not rate-limited: every public page and API goes
    through services.lookup_progress, which limits and then calls this."""
    case = (
        Case.objects.select_related("item", "outlet")
        .filter(receipt_number=(receipt_number or "").strip().upper())
        .first()
    )
    if case is None or not _secret_matches(case, secret):
        return None
    result = Result.objects.filter(case=case).first()
    return {
        "receipt_number": case.receipt_number,
        "item": case.item.name,
        "outlet": case.outlet.name,
        "status": case.status,
        "status_label": case.status_label,
        "opened_on": clock.local(case.opened_at).date().isoformat(),
        "accepted_on": clock.local(case.accepted_at).date().isoformat()
        if case.accepted_at
        else None,
        "due_date": case.due_date.isoformat() if case.due_date else None,
        "tolerance_deadline": case.tolerance_deadline.isoformat()
        if case.tolerance_deadline
        else None,
        "decided_on": clock.local(case.decided_at).date().isoformat() if case.decided_at else None,
        "decision": rules.DECISION_LABELS.get(case.decision, "") if case.decision else "",
        "result_ready": bool(result),
        "delivered_on": clock.local(result.delivered_at).date().isoformat()
        if result and result.delivered_at
        else None,
        "closed_on": clock.local(case.closed_at).date().isoformat() if case.closed_at else None,
        "missing_materials": [
            m.name
            for m in case.materials.all()
            if m.required and m.state in (rules.M_MISSING, rules.M_TOLERATED)
        ]
        if case.status in (rules.NOTIFIED, rules.ACCEPTED, rules.PAUSED)
        else [],
    }


# --- the citizen's own cases (portal “我的”) ----------------------------------------------------


def cases_of_applicant(id_hash: str, limit: int = 50) -> list:
    """The cases whose applicant has this ID number (keyed hash), newest first."""
    from .models import Case

    if not id_hash:
        return []
    return list(
        Case.objects.filter(applicant_id_hash=id_hash)
        .select_related("item", "outlet")
        .order_by("-opened_at", "-pk")[:limit]
    )


def phones_of_applicant(id_hash: str) -> set[str]:
    from .models import Case

    if not id_hash:
        return set()
    rows = Case.objects.filter(applicant_id_hash=id_hash).only("applicant_phone")[:200]
    return {c.applicant_phone for c in rows if c.applicant_phone}
