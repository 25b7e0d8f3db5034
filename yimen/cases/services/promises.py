"""告知承诺制 (国办发〔2020〕42号): a signed promise replaces a material at intake; the item's
department verifies it (书面/网络/实地/公示) by a deadline in working days; a false promise revokes
the case (terminated, or its licence revoked when already issued) and records a credit entry that
bars the person from promising again until the department lifts it."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from yimen.catalog import bundles as catalog_bundles
from yimen.core import audit, clock
from yimen.core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from yimen.core.fields import protected_lookup_hash
from yimen.core.selectors import work_calendar
from yimen.staff.authz import authorize, staff_of, visible_to

from .. import bundle_models as bm, rules
from ..models import Case, CaseEvent, CreditRecord, Promise
from .common import _local_date, _lock, _move


def person_key(case: Case) -> str:
    """Who promised: the applicant's ID number (a person) or credit code (a company), hashed."""
    if case.applicant_id_hash:
        return case.applicant_id_hash
    return protected_lookup_hash(case.credit_code) if case.credit_code else ""


def barred(case: Case) -> CreditRecord | None:
    key = person_key(case)
    if not key:
        return None
    return CreditRecord.objects.filter(applicant_id_hash=key, lifted_at__isnull=True).first()


@transaction.atomic
def sign_promise(actor, case: Case, line_id: int, *, signed_by: str = "", request=None) -> Promise:
    """The applicant chooses to promise instead of providing the material: the line counts as
    received (via 告知承诺) and the department gets a verification task with its deadline."""
    case = _lock(case)
    authorize(actor, "case.intake", case)
    if case.status != rules.DRAFT:
        raise InvalidTransition("办件", case.status_label, "签署告知承诺")
    line = case.materials.filter(pk=line_id).first()
    if line is None:
        raise NotFound("材料不属于该办件。")
    terms = catalog_bundles.promise_terms(case.item)
    if terms is None or line.name not in terms.materials:
        raise ValidationFailed(f"「{line.name}」不适用告知承诺制，请提交材料。", code="no_promise")
    if line.received_via == "promise":
        raise Conflict(f"「{line.name}」已签署承诺书。", code="already_promised")
    record = barred(case)
    if record is not None:
        raise Conflict(
            f"申请人有告知承诺失信记录（{clock.local(record.created_at):%Y-%m-%d}：{record.reason}），"
            "信用修复前不适用告知承诺，请提交材料。",
            code="credit_barred",
        )
    now = clock.now()
    today = _local_date(now)
    due = work_calendar().add_workdays(today, terms.verify_workdays).date
    n = Promise.objects.filter(case=case).count() + 1
    promise = Promise.objects.create(
        case=case,
        line=line,
        number=f"{case.receipt_number}-CN{n}",
        text=terms.text,
        signed_by=(signed_by or case.agent_name or case.applicant_name)[:100],
        signed_at=now,
        department=case.item.department,
        verify_method=terms.verify_method,
        verify_due=due,
    )
    line.state, line.received_via, line.received_at = rules.M_RECEIVED, "promise", now
    line.note = f"以告知承诺书{promise.number}替代"[:200]
    line.save(update_fields=["state", "received_via", "received_at", "note"])
    CaseEvent.objects.create(
        case=case,
        action="promise",
        from_status=case.status,
        to_status=case.status,
        at=now,
        staff=staff_of(actor),
        reason=f"「{line.name}」以告知承诺替代，{terms.verify_method}核查期限{due}",
    )
    audit.record(
        actor,
        "case.promise.sign",
        case,
        after={"promise": promise.number, "material": line.name, "verify_due": str(due)},
        request=request,
    )
    return promise


def promises_for(actor, *, state: str = ""):
    """The verification tasks the actor may see (approvers: their department's)."""
    qs = visible_to(actor, Promise.objects.select_related("case__item", "department", "line"))
    return qs.filter(state=state) if state else qs


@transaction.atomic
def verify_promise(actor, promise: Promise, *, kept: bool, finding: str, request=None) -> Promise:
    """The department's verification result. False: the case is revoked and a credit record made."""
    promise = Promise.objects.select_for_update().select_related("case").get(pk=promise.pk)
    authorize(actor, "case.promise.verify", promise)
    if promise.state != bm.PROMISE_PENDING:
        raise Conflict("该承诺已核查。", code="already_verified")
    finding = (finding or "").strip()
    if not finding:
        raise ValidationFailed("请填写核查情况。", code="finding_required")
    now = clock.now()
    promise.state = bm.PROMISE_KEPT if kept else bm.PROMISE_FALSE
    promise.verified_at, promise.verified_by = now, staff_of(actor)
    promise.finding = finding[:2000]
    promise.save()
    audit.record(
        actor,
        "case.promise.verify",
        promise.case,
        after={"promise": promise.number, "kept": kept, "on_time": on_time(promise)},
        request=request,
    )
    if not kept:
        _revoke(actor, promise, finding, request=request)
    return promise


def _revoke(actor, promise: Promise, finding: str, *, request=None) -> None:
    case = _lock(promise.case)
    reason = f"告知承诺不实（{promise.number}）：{finding}"[:300]
    if case.status in (rules.ACCEPTED, rules.PAUSED):
        _move(case, "terminate", actor, reason=reason, request=request)
        case.termination_reason = reason
        case.closed_at = clock.now()
        case.save(update_fields=["status", "termination_reason", "closed_at", "updated_at"])
    result = getattr(case, "result", None)
    if result is not None and not result.revoked:
        result.revoked = True
        result.save(update_fields=["revoked"])
        CaseEvent.objects.create(
            case=case,
            action="revoke",
            from_status=case.status,
            to_status=case.status,
            at=clock.now(),
            staff=staff_of(actor),
            reason=f"撤销{result.title}{result.licence_number}：{reason}"[:300],
        )
        audit.record(actor, "case.result.revoke", case, after={"licence": result.licence_number})
    CreditRecord.objects.create(
        applicant_id_hash=person_key(case),
        applicant_name=case.applicant_name,
        promise=promise,
        reason=reason,
        created_at=clock.now(),
    )


@transaction.atomic
def lift_credit(actor, record: CreditRecord, *, reason: str, request=None) -> CreditRecord:
    """信用修复: the department lifts the bar (with a reason)."""
    record = CreditRecord.objects.select_for_update().get(pk=record.pk)
    authorize(actor, "case.credit.lift", record)
    if record.lifted_at is not None:
        raise Conflict("该失信记录已修复。", code="already_lifted")
    if not (reason or "").strip():
        raise ValidationFailed("请填写信用修复理由。", code="reason_required")
    record.lifted_at, record.lifted_by = clock.now(), staff_of(actor)
    record.lift_reason = reason.strip()[:300]
    record.save()
    audit.record(actor, "case.credit.lift", record, after={"reason": record.lift_reason})
    return record


def on_time(promise: Promise) -> bool | None:
    if promise.verified_at is None:
        return None
    return _local_date(promise.verified_at) <= promise.verify_due


def report(actor, start: date | None = None, end: date | None = None) -> dict:
    """承诺制报表: promised cases, verification on time, false-promise rate (the actor's scope)."""
    qs = promises_for(actor)
    if start:
        qs = qs.filter(signed_at__date__gte=start)
    if end:
        qs = qs.filter(signed_at__date__lte=end)
    rows = list(qs)
    verified = [p for p in rows if p.verified_at is not None]
    timely = [p for p in verified if on_time(p)]
    false = [p for p in verified if p.state == bm.PROMISE_FALSE]
    today = _local_date(clock.now())
    overdue = [p for p in rows if p.verified_at is None and p.verify_due < today]
    return {
        "promises": len(rows),
        "promised_cases": len({p.case_id for p in rows}),
        "verified": len(verified),
        "on_time": len(timely),
        "on_time_rate": round(len(timely) / len(verified), 3) if verified else None,
        "overdue": len(overdue),
        "false": len(false),
        "false_rate": round(len(false) / len(verified), 3) if verified else None,
    }
