"""Fees at the window (S03: a newborn's premium in cash at a bank branch): amount and method
(现金, 银行卡, 扫码) recorded against the case, a receipt PDF, and each window's daily cash close.

Card and QR payments go through a `PaymentGateway`: the interface a real acquirer adapter
implements (`charge` → a reference, or a PaymentDeclined). `SimulatedGateway` is the local
simulator (labelled as one: its references start with "SIM-") used until a real one is set in
`YIMEN["PAYMENT_GATEWAY"]` (a dotted path)."""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from yimen.core import audit, clock
from yimen.core.errors import Conflict, ValidationFailed
from yimen.staff.authz import authorize, staff_of

from .. import rules
from ..bundle_models import PAY_METHODS
from ..models import Case, CashClose, Payment
from .common import _local_date

METHODS = dict(PAY_METHODS)
LABEL_TO_METHOD = {label: code for code, label in PAY_METHODS}
MAX_AMOUNT = Decimal("100000")
REPEAT_SECONDS = 120  # the same amount and method on one case within this is a repeated submit


class PaymentDeclined(Conflict):
    code = "payment_declined"


class PaymentGateway(Protocol):
    def charge(self, *, amount: Decimal, method: str, reference: str) -> str:
        """Charge `amount` by card or QR; return the acquirer's transaction reference."""
        ...


class SimulatedGateway:
    """Local simulator of an acquirer (no money moves): accepts every charge up to MAX_AMOUNT."""

    def charge(self, *, amount: Decimal, method: str, reference: str) -> str:
        if amount > MAX_AMOUNT:
            raise PaymentDeclined("模拟支付通道：金额超过单笔限额。")
        return f"SIM-{method.upper()}-{secrets.token_hex(6)}"


def gateway() -> PaymentGateway:
    path = settings.YIMEN.get("PAYMENT_GATEWAY", "")
    return import_string(path)() if path else SimulatedGateway()


_AMOUNT_RE = re.compile(r"[0-9]{1,6}(\.[0-9]{1,2})?")


def parse_amount(value) -> Decimal:
    text = str(value).strip()
    # ASCII digits only: Decimal() also reads "１０", "1e5" or "NaN", which a clerk never means
    if not _AMOUNT_RE.fullmatch(text):
        raise ValidationFailed("金额应为数字（元，最多两位小数），如 12.50。", code="bad_amount")
    try:
        amount = Decimal(text)
    except (InvalidOperation, ValueError):
        raise ValidationFailed("金额应为数字（元，最多两位小数）。", code="bad_amount")
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        raise ValidationFailed("金额应大于0且不超过100000元。", code="bad_amount")
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValidationFailed("金额最多两位小数。", code="bad_amount")
    return amount.quantize(Decimal("0.01"))


@transaction.atomic
def take_payment(actor, case: Case, *, amount, method: str, window=None, request=None) -> Payment:
    """收费: only for an item that takes fees, by one of its payment methods, at the case's outlet."""
    case = Case.objects.select_for_update().select_related("item", "outlet").get(pk=case.pk)
    authorize(actor, "case.payment", case)
    method = LABEL_TO_METHOD.get(method, method)
    if method not in METHODS:
        raise ValidationFailed("缴费方式只能是现金、银行卡或扫码。", code="bad_method")
    item = case.item
    if item.fee == 0:
        raise ValidationFailed(f"「{item.display_name}」不收费。", code="no_fee")
    allowed = [LABEL_TO_METHOD.get(m, m) for m in item.payment_methods or []]
    if allowed and method not in allowed:
        names = "、".join(item.payment_methods)
        raise ValidationFailed(f"本事项的缴费方式为：{names}。", code="method_not_allowed")
    if case.status in (rules.REJECTED, rules.WITHDRAWN, rules.TERMINATED, rules.ESCALATED):
        raise Conflict(f"办件{case.status_label}，不能收费。", code="case_closed")
    amount = parse_amount(amount)
    now = clock.now()
    # a double click on 收费 (or a retried form) must not charge twice: the case row is locked, so
    # the same amount by the same method moments ago is that click's payment, not a new one
    repeat = (
        case.payments.filter(
            amount=amount, method=method, paid_at__gte=now - timedelta(seconds=REPEAT_SECONDS)
        )
        .order_by("-pk")
        .first()
    )
    if repeat is not None:
        raise Conflict(
            f"刚刚已收取同样的 {amount} 元（{METHODS[method]}，凭证号 {repeat.number}），"
            f"为防重复收费本次未收。确需再收一笔，请 {REPEAT_SECONDS // 60} 分钟后再提交。",
            code="duplicate_payment",
        )
    number = f"JF-{case.receipt_number}-{case.payments.count() + 1}"
    ref = ""
    if method != "cash":
        ref = gateway().charge(amount=amount, method=method, reference=number)
    payment = Payment.objects.create(
        number=number,
        case=case,
        outlet=case.outlet,
        window=window or case.window,
        amount=amount,
        method=method,
        gateway_ref=ref,
        paid_at=now,
        taken_by=staff_of(actor),
    )
    audit.record(
        actor,
        "case.payment",
        case,
        after={"number": number, "amount": str(amount), "method": METHODS[method]},
        request=request,
    )
    return payment


def cash_expected(window, day: date) -> tuple[Decimal, int]:
    qs = Payment.objects.filter(window=window, method="cash")
    qs = [p for p in qs if _local_date(p.paid_at) == day]
    return sum((p.amount for p in qs), Decimal("0.00")), len(qs)


@transaction.atomic
def close_cash(actor, window, *, counted, note: str = "", day: date | None = None, request=None):
    """现金日结: counted cash against the day's cash payments; a difference needs an explanation."""
    authorize(actor, "case.payment", outlet=window.outlet)
    day = day or _local_date(clock.now())
    if CashClose.objects.filter(window=window, day=day).exists():
        raise Conflict(f"窗口{window.number or window.pk} {day} 已日结。", code="already_closed")
    counted_amount = Decimal("0.00") if str(counted).strip() in ("0", "0.00") else None
    if counted_amount is None:
        counted_amount = parse_amount(counted)
    expected, n = cash_expected(window, day)
    if counted_amount != expected and not (note or "").strip():
        raise ValidationFailed(
            f"实点现金 {counted_amount} 元与应收 {expected} 元不符，请填写差异说明。",
            code="difference_unexplained",
        )
    close = CashClose.objects.create(
        window=window,
        day=day,
        expected=expected,
        counted=counted_amount,
        payments=n,
        note=(note or "").strip()[:300],
        closed_by=staff_of(actor),
        closed_at=clock.now(),
    )
    audit.record(
        actor,
        "case.cash_close",
        close,
        after={"expected": str(expected), "counted": str(counted_amount), "payments": n},
        request=request,
    )
    return close
