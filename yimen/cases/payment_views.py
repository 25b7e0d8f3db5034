"""Fees at the window: take a payment on a case, print its receipt PDF, close the day's cash."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from yimen.core import clock, pdf
from yimen.core.errors import DomainError, NotFound, ValidationFailed
from yimen.staff import authz

from . import selectors, services
from .models import CashClose, Payment
from .views import _active_ticket


def _case(request, pk):
    staff = authz.request_staff(request)
    case = selectors.get_case(pk)
    if not selectors.can_view(staff, case):
        raise NotFound("找不到该办件。")
    return staff, case


@login_required
@require_POST
def pay(request, pk):
    staff, case = _case(request, pk)
    window, _ticket = _active_ticket(staff)
    try:
        p = services.payments.take_payment(
            staff,
            case,
            amount=request.POST.get("amount", ""),
            method=request.POST.get("method", ""),
            window=window,
            request=request,
        )
        messages.success(
            request, f"已收费 {p.amount} 元（{p.get_method_display()}），凭证号 {p.number}。"
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("cases:detail", pk=case.pk)


@login_required
def receipt_pdf(request, pk, payment_id):
    staff, case = _case(request, pk)
    # the payment's own scope (window staff, chiefs, directors, leaders — not the back office),
    # not only the case's: an approver who reads the case does not read its cash receipts
    p = authz.get_visible(
        staff,
        Payment.objects.filter(case=case).select_related("window"),
        "找不到该缴费记录。",
        pk=payment_id,
    )
    data = pdf.render_pdf(
        "cases/pdf/payment.html",
        {
            "case": case,
            "p": p,
            "paid_local": clock.local(p.paid_at),
            "applicant": selectors.masked_applicant(case),
        },
    )
    return pdf.pdf_response(data, f"缴费凭证-{p.number}.pdf")


@login_required
@require_http_methods(["GET", "POST"])
def cash_close(request):
    staff = authz.request_staff(request)
    window, _ticket = _active_ticket(staff)
    status = 200
    if request.method == "POST":
        try:
            if window is None:
                raise ValidationFailed("请先签到窗口再日结。", code="no_window")
            close = services.payments.close_cash(
                staff,
                window,
                counted=request.POST.get("counted", ""),
                note=request.POST.get("note", ""),
                request=request,
            )
            messages.success(
                request, f"日结完成：应收 {close.expected} 元，实点 {close.counted} 元。"
            )
            return redirect("cases:cash_close")
        except DomainError as exc:
            messages.error(request, exc.message)
            status = exc.status
    today = clock.local(clock.now()).date()
    expected, n = services.payments.cash_expected(window, today) if window else (0, 0)
    closes = authz.visible_to(staff, CashClose.objects.select_related("window"))[:20]
    return render(
        request,
        "cases/cash_close.html",
        {"window": window, "expected": expected, "count": n, "closes": closes, "today": today},
        status=status,
    )
