"""Writes of the exchange: a document for an external system is recorded in our ledger and its push
queued on the outbox (notify), both in the caller's transaction — the worker pushes it after
commit, with retries, exactly once per dedupe key. Nothing is queued for a system whose URL is
unset (the ledger row is still written: it is what reconciliation counts once configured)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from yimen.core import clock
from yimen.notify.services import enqueue_exchange

from . import conf, rules
from .models import H12345, HCP, Document, ItemCode, WorkOrder

log = logging.getLogger("yimen.exchange")


def record(
    system: str, kind: str, doc_id: str, body: dict[str, Any], *, outlet_code: str, at: datetime
) -> Document | None:
    """Write one document to the ledger and queue its push (idempotent on system + doc_id)."""
    day = clock.local(at).date()
    body = {**body, "document_id": doc_id, "business_date": day.isoformat()}
    if Document.objects.filter(system=system, doc_id=doc_id).exists():
        return None
    try:
        with transaction.atomic():  # a savepoint: a concurrent duplicate leaves the caller's work
            doc = Document.objects.create(
                system=system,
                kind=kind,
                doc_id=doc_id,
                outlet_code=outlet_code,
                day=day,
                body=body,
                created_at=clock.now(),
            )
    except IntegrityError:
        return None
    queue(doc)
    return doc


def queue(doc: Document, suffix: str = "") -> bool:
    """Queue a push of `doc` (suffix: a re-push by reconciliation gets its own dedupe key)."""
    if not conf.endpoint(doc.system).configured:
        return False
    msg = enqueue_exchange(
        system=doc.system,
        kind=doc.kind,
        params={"doc": str(doc.pk), "doc_id": doc.doc_id},
        dedupe_key=f"exchange:{doc.system}:{doc.doc_id}{suffix}"[:200],
    )
    if msg is not None:
        Document.objects.filter(pk=doc.pk).update(message_id=msg.pk)
    return msg is not None


# --- codes and numbers -----------------------------------------------------------------------------
def codes_of(item) -> dict[str, str]:
    """{"item_code", "item_local_code", "basic_code", "implementation_code"} of a catalog item."""
    if item is None:
        return {"item_code": "", "item_local_code": "", "basic_code": "", "implementation_code": ""}
    code = ItemCode.objects.filter(item=item).first()
    basic = code.basic_code if code else ""
    impl = code.implementation_code if code else ""
    return {
        "item_code": rules.item_code(item.code, basic, impl),
        "item_local_code": item.code,
        "basic_code": basic,
        "implementation_code": impl,
    }


def evaluation_id(rating) -> str:
    return f"{conf.source()}-PJ-{rating.pk:08d}"


# --- 好差评 documents ------------------------------------------------------------------------------
def rating_document(rating) -> dict[str, Any]:
    from yimen.feedback import rules as fb

    subject = rating.ticket if rating.ticket_id else rating.case
    subject_no = subject.number if rating.ticket_id else subject.receipt_number
    return {
        "type": "evaluation",
        "evaluation_id": evaluation_id(rating),
        **codes_of(rating.item),
        "item_name": rating.item.name if rating.item_id else "",
        "subject_type": rating.subject,
        "subject_no": subject_no,
        "channel": rules.channel_code(rating.channel),
        "grade": rating.score,
        "grade_label": fb.SCORE_LABELS.get(rating.score, ""),
        "round": rating.round,
        "evaluated_at": rules.iso(rating.created_at),
        "outlet_code": rating.outlet.code,
        "outlet_name": rating.outlet.name,
        "window_code": rating.window.code if rating.window_id else "",
        "department": rating.department.name if rating.department_id else "",
        "reasons": [fb.REASON_LABELS.get(r, r) for r in rating.reasons],
        "reason_codes": list(rating.reasons),
        "comment": rating.comment,
    }


def push_rating(rating) -> Document | None:
    return record(
        HCP,
        "evaluation",
        evaluation_id(rating),
        rating_document(rating),
        outlet_code=rating.outlet.code,
        at=rating.created_at,
    )


def push_rectification_step(rect, step) -> None:
    """One step of a rectification; an appeal's decision is also pushed as an appeal result."""
    from yimen.feedback import rules as fb

    eid = evaluation_id(rect.rating)
    common = {"evaluation_id": eid, "outlet_code": rect.outlet.code}
    record(
        HCP,
        "rectification",
        f"{eid}-ZG-{step.pk}",
        {
            "type": "rectification",
            **common,
            "rectification_id": f"{conf.source()}-ZG-{rect.pk:08d}",
            "step_id": step.pk,
            "action": step.action,
            "action_label": step.action_label,
            "state": step.to_state,
            "state_label": fb.RECTIFICATION_LABELS.get(step.to_state, step.to_state),
            "note": step.note,
            "at": rules.iso(step.at),
            "callback_due": rect.callback_due.isoformat(),
            "rectify_due": rect.rectify_due.isoformat(),
        },
        outlet_code=rect.outlet.code,
        at=step.at,
    )
    if step.action in ("approve_appeal", "reject_appeal"):
        record(
            HCP,
            "appeal",
            f"{eid}-SS-{step.pk}",
            {
                "type": "appeal",
                **common,
                "appeal_id": f"{conf.source()}-SS-{step.pk:08d}",
                "result": "upheld" if step.action == "approve_appeal" else "rejected",
                "result_label": "申诉成立，差评不计入"
                if step.action == "approve_appeal"
                else "申诉驳回，继续整改",
                "appeal_reason": rect.appeal_reason,
                "decision": step.note,
                "decided_at": rules.iso(step.at),
            },
            outlet_code=rect.outlet.code,
            at=step.at,
        )


# --- 12345: updates of the records a work order created --------------------------------------------
STAGES = {"accepted": "已受理", "handled": "办理结果", "callback": "回访结果"}


def push_work_order_update(
    order: WorkOrder, stage: str, content: str, at: datetime, **extra
) -> None:
    seq = Document.objects.filter(
        system=H12345, doc_id__startswith=f"{order.order_no}-{stage}-"
    ).count()
    record(
        H12345,
        "update",
        f"{order.order_no}-{stage}-{seq + 1}",
        {
            "type": "work_order_update",
            "order_no": order.order_no,
            "stage": stage,
            "stage_label": STAGES[stage],
            "record_no": order.record_no,
            "content": content,
            "at": rules.iso(at),
            "outlet_code": order.outlet_code,
            **extra,
        },
        outlet_code=order.outlet_code,
        at=at,
    )
