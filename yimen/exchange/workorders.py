"""12345 work orders received by the signed webhook (POST /exchange/12345/work-orders).

A work order becomes a 差评 (with its rectification) or a 办不成事 grievance, once: the work-order
number is unique, a replay of the same order answers the first result again, the same number with
other content is refused (409). Bad input is a Chinese JSON error with a 4xx, never a 500.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from yimen.core import clock
from yimen.core.errors import Conflict, DomainError, ValidationFailed

from . import conf, rules, services
from .models import H12345, WorkOrder


@dataclass
class Answer:
    status: int
    body: dict[str, Any]


def _error(status: int, code: str, message: str) -> Answer:
    return Answer(status, {"code": code, "message": message})


def _done(order: WorkOrder, duplicate: bool) -> Answer:
    return Answer(
        200,
        {
            "code": "ok",
            "message": "已接收" if not duplicate else "该工单已接收（重复推送）",
            "order_no": order.order_no,
            "record_no": order.record_no,
            "duplicate": duplicate,
        },
    )


def receive(body: bytes, signature: str) -> Answer:
    """Check the signature, then create the record once (see the module's docstring)."""
    secret = conf.endpoint(H12345).secret
    if not secret:
        return _error(403, "not_configured", "未配置 12345 对接密钥，拒绝接收工单。")
    if not rules.verify(body, secret, signature):
        return _error(401, "bad_signature", "签名不正确（X-Yimen-Signature）。")
    try:
        payload = json.loads(body)
    except ValueError:
        return _error(400, "invalid_json", "请求体不是有效的 JSON。")
    if not isinstance(payload, dict):
        return _error(400, "invalid_json", "请求体应为 JSON 对象。")
    order_no = str(payload.get("order_no") or "").strip()
    if not order_no or len(order_no) > 64:
        return _error(422, "order_no_required", "缺少工单号 order_no（1～64 个字符）。")
    digest = hashlib.sha256(
        json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    existing = WorkOrder.objects.filter(order_no=order_no).first()
    if existing is not None:
        return _replayed(existing, digest)
    try:
        order = _create(order_no, payload, digest)
    except IntegrityError:  # the same order arrived twice at once: the other one won
        existing = WorkOrder.objects.filter(order_no=order_no).first()
        if existing is None:
            return _error(409, "order_conflict", "工单正在处理，请稍后重试。")
        return _replayed(existing, digest)
    except DomainError as exc:
        return _error(422 if exc.status == 400 else exc.status, exc.code, exc.message)
    return _done(order, duplicate=False)


def _replayed(order: WorkOrder, digest: str) -> Answer:
    if order.body_hash != digest:
        return _error(
            409, "order_conflict", f"工单号 {order.order_no} 已接收，但内容与之前不一致。"
        )
    return _done(order, duplicate=True)


@transaction.atomic
def _create(order_no: str, payload: dict[str, Any], digest: str) -> WorkOrder:
    kind = payload.get("type")
    if kind not in (WorkOrder.BAD_RATING, WorkOrder.GRIEVANCE):
        raise ValidationFailed(
            "工单类型 type 应为 bad_rating（差评）或 grievance（办不成事）。", code="type_invalid"
        )
    now = clock.now()
    # the unique number first: a concurrent duplicate waits here, then fails (IntegrityError)
    order = WorkOrder.objects.create(
        order_no=order_no, kind=kind, body_hash=digest, payload=payload, received_at=now
    )
    if kind == WorkOrder.BAD_RATING:
        _bad_rating(order, payload)
    else:
        _grievance(order, payload)
    order.save()
    services.push_work_order_update(order, "accepted", f"已受理，本地编号 {order.record_no}", now)
    return order


def _text(payload: dict[str, Any], key: str, limit: int) -> str:
    value = payload.get(key) or ""
    if not isinstance(value, str):
        raise ValidationFailed(f"字段 {key} 应为文本。", code="field_invalid")
    return value.strip()[:limit]


def _bad_rating(order: WorkOrder, payload: dict[str, Any]) -> None:
    from yimen.cases.models import Case
    from yimen.feedback import rules as fb, services as feedback
    from yimen.feedback.models import Rating

    subject_no = _text(payload, "subject_no", 40)
    case = Case.objects.select_related("outlet").filter(receipt_number=subject_no).first()
    if case is None:
        raise ValidationFailed(f"未找到办件编号「{subject_no}」。", code="subject_not_found")
    try:
        grade = int(payload.get("grade"))
    except (TypeError, ValueError):
        raise ValidationFailed("评价等级 grade 应为 1～5。", code="grade_invalid")
    if not fb.is_bad(grade):
        raise ValidationFailed("12345 转来的评价工单只接收差评（1～2 分）。", code="not_bad")
    reasons = payload.get("reasons") or ["other"]
    if not isinstance(reasons, list):
        raise ValidationFailed("原因 reasons 应为列表。", code="field_invalid")
    try:
        rating = feedback.submit_rating(
            case=case,
            score=grade,
            reasons=[str(r) for r in reasons],
            comment=_text(payload, "content", 500),
            channel="callback",
        )
    except Conflict:  # already rated: the work order joins the open rectification, if any
        rating = (
            Rating.objects.filter(case=case, rectification__isnull=False).order_by("-round").first()
        )
        if rating is None:
            raise Conflict("该办件已评价且没有差评整改任务，无法关联工单。", code="already_rated")
    rect = rating.rectification
    order.outlet_code = case.outlet.code
    order.rating_id, order.rectification_id = rating.pk, rect.pk
    order.record_no = f"{conf.source()}-ZG-{rect.pk:08d}"


def _grievance(order: WorkOrder, payload: dict[str, Any]) -> None:
    from yimen.catalog.models import ServiceItem
    from yimen.feedback import rules as fb, services as feedback
    from yimen.outlets.models import Outlet

    outlet = Outlet.objects.filter(code=_text(payload, "outlet_code", 40)).first()
    if outlet is None:
        raise ValidationFailed("未找到网点编码 outlet_code。", code="outlet_not_found")
    category = payload.get("category") or fb.OTHER
    item = None
    if code := _text(payload, "item_code", 64):
        item = (
            ServiceItem.objects.filter(code=code).first()
            or ServiceItem.objects.filter(national_code__implementation_code=code).first()
            or ServiceItem.objects.filter(national_code__basic_code=code).first()
        )
    g = feedback.submit_grievance(
        outlet=outlet,
        category=str(category),
        description=_text(payload, "content", 2000),
        phone=_text(payload, "caller_phone", 20),
        applicant_name=_text(payload, "caller_name", 50),
        item=item,
        channel="phone",
    )
    order.outlet_code = outlet.code
    order.grievance_id = g.pk
    order.record_no = g.number
