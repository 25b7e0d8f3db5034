"""Results and delivery: the licence number, the result, the ready notice, delivery."""

from __future__ import annotations

import secrets

from django.db import IntegrityError, connection, transaction

from yimen.core import audit, clock
from yimen.core.errors import Conflict, ValidationFailed
from yimen.exchange import hooks as exchange
from yimen.notify.services import enqueue
from yimen.staff.authz import staff_of

from .. import rules
from ..models import (
    Case,
    Notice,
    Result,
    Visit,
)
from ..signals import case_ready
from .common import _PG_RECEIPT_LOCK, _authorize_either, _ensure, _issue_notice, _lock, _move
from .tolerance import outstanding_tolerance


# --- Results and delivery -----------------------------------------------------------------------
def _new_licence_number(case: Case) -> str:
    if connection.vendor == "postgresql":  # serialise per department (see _new_receipt_number)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)",
                [_PG_RECEIPT_LOCK + 1, case.item.department_id],
            )
    year = clock.local(clock.now()).year
    prefix = f"{case.item.department.code}-{year}-"
    last = (
        Result.objects.filter(licence_number__startswith=prefix)
        .order_by("-licence_number")
        .values_list("licence_number", flat=True)
        .first()
    )
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:05d}"


def _create_result(
    actor, case: Case, *, licence_number: str = "", valid_until=None, request=None
) -> Result:
    _ensure(case, "issue_result")
    if case.decision != rules.APPROVE:
        raise Conflict("只有准予许可的办件才能出具结果。", code="not_approved")
    missing = outstanding_tolerance(case)
    if missing:
        raise Conflict(
            "容缺材料「" + "、".join(m.name for m in missing) + "」尚未补交，不能出具结果。",
            code="tolerance_outstanding",
        )
    if Result.objects.filter(case=case).exists():
        raise Conflict("该办件已出具结果，不能重复出证。", code="result_exists")
    _move(case, "issue_result", actor, request=request)
    case.save(update_fields=["status", "updated_at"])
    holder = case.applicant_name
    for _attempt in range(5):
        try:
            with transaction.atomic():
                result = Result.objects.create(
                    case=case,
                    licence_number=licence_number or _new_licence_number(case),
                    title=case.item.short_name or case.item.name,
                    holder=holder,
                    issued_at=clock.now(),
                    issued_by=staff_of(actor),
                    valid_until=valid_until,
                    verify_token=secrets.token_urlsafe(18),
                )
            break
        except IntegrityError:
            if licence_number:
                raise Conflict(f"证照编号{licence_number}已被使用。")
    else:
        raise Conflict("证照编号分配冲突，请重试。")
    audit.record(actor, "case.result", case, after={"licence": result.licence_number})
    exchange.result_issued(result)  # the licence to the 电子证照 library, after commit
    return result


@transaction.atomic
def issue_result(
    actor, case: Case, *, licence_number: str = "", valid_until=None, request=None
) -> Result:
    """出证: the result (licence) of an approved case; notifies the applicant that it is ready."""
    case = _lock(case)
    _authorize_either(actor, case, "case.deliver", "case.decide")
    result = _create_result(
        actor, case, licence_number=licence_number, valid_until=valid_until, request=request
    )
    _notify_ready(case, f"办理结果（{result.title}）已出")
    result.notified_at = clock.now()
    result.save(update_fields=["notified_at"])
    return result


def _notify_ready(case: Case, what: str):
    """The applicant is told the result is ready (the outbox, in this transaction); listeners of
    `case_ready` run after commit."""
    enqueue(
        to=case.applicant_phone or case.agent_phone,
        template="case.ready",
        params={
            "receipt": case.receipt_number,
            "item": case.item.display_name,
            "what": what,
            "outlet": case.outlet.name,
        },
        dedupe_key=f"case.ready:{case.pk}",
    )
    case_pk = case.pk
    transaction.on_commit(
        lambda: case_ready.send_robust(sender=Case, case=Case.objects.get(pk=case_pk))
    )


def _deliver(
    actor,
    case: Case,
    *,
    method: str,
    tracking_number: str = "",
    recipient: str = "",
    same_sitting: bool = False,
    ticket=None,
    request=None,
) -> Notice:
    _ensure(case, "deliver")
    if method not in rules.DELIVERY_LABELS:
        raise ValidationFailed("送达方式只能是窗口领取、邮寄送达或电子送达。")
    tracking_number = (tracking_number or "").strip()
    if method == "mail" and not tracking_number:
        raise ValidationFailed("邮寄送达须填写邮件单号。")
    recipient = (recipient or "").strip() or case.agent_name or case.applicant_name
    if case.status == rules.DECIDED and case.decision == rules.APPROVE:
        raise Conflict("准予许可的办件须先出具结果再送达。", code="result_missing")
    _move(case, "deliver", actor, reason=rules.DELIVERY_LABELS[method], request=request)
    now = clock.now()
    result = Result.objects.filter(case=case).first()
    if result is not None:
        result.delivery_method, result.tracking_number = method, tracking_number
        result.delivered_at, result.delivered_by, result.recipient = (
            now,
            staff_of(actor),
            recipient[:50],
        )
        result.save()
    if method == "window" and not same_sitting:
        Visit.objects.create(
            case=case,
            at=now,
            outlet=case.outlet,
            ticket=ticket,
            staff=staff_of(actor),
            purpose="pickup",
            reason="到窗口领取办理结果（未选择邮寄或电子送达）",
        )
    case.closed_at = now
    case.save()
    return _issue_notice(
        case,
        rules.NOTICE_DELIVERY,
        actor,
        {
            "item": case.item.name,
            "document": (
                f"{result.title}（编号 {result.licence_number}）"
                if result
                else f"不予许可决定（{case.decision_reason}）"
            ),
            "method": rules.DELIVERY_LABELS[method],
            "tracking_number": tracking_number,
            "recipient": recipient,
            "delivered_at": clock.local(now).isoformat(),
        },
    )


@transaction.atomic
def deliver(
    actor,
    case: Case,
    *,
    method: str,
    tracking_number: str = "",
    recipient: str = "",
    ticket=None,
    request=None,
) -> Notice:
    """送达: window pickup, mail (tracking number) or electronic → 送达回执; the case is 办结."""
    case = _lock(case)
    _authorize_either(actor, case, "case.deliver", "case.decide")
    return _deliver(
        actor,
        case,
        method=method,
        tracking_number=tracking_number,
        recipient=recipient,
        ticket=ticket,
        request=request,
    )
