"""告知承诺 at the window: sign (the line counts as received) and print the 承诺书 PDF."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from yimen.catalog import bundles as catalog_bundles
from yimen.core import clock, pdf
from yimen.core.errors import DomainError, NotFound
from yimen.staff import authz

from . import selectors, services
from .models import Promise


def promisable_names(case) -> list[str]:
    return catalog_bundles.promise_materials(case.item)


def _case(request, pk):
    staff = authz.request_staff(request)
    case = selectors.get_case(pk)
    if not selectors.can_view(staff, case):
        raise NotFound("找不到该办件。")
    return staff, case


@login_required
@require_POST
def sign(request, pk, line):
    staff, case = _case(request, pk)
    try:
        p = services.promises.sign_promise(staff, case, line, request=request)
        messages.success(
            request, f"已签署告知承诺书 {p.number}，{p.verify_method}核查期限 {p.verify_due}。"
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("cases:detail", pk=case.pk)


def render_promise_pdf(case, promise) -> bytes:
    terms = catalog_bundles.promise_terms(case.item)
    return pdf.render_pdf(
        "cases/pdf/promise.html",
        {
            "case": case,
            "promise": promise,
            "terms": terms,
            "applicant": selectors.masked_applicant(case),
            "signed_local": clock.local(promise.signed_at),
        },
    )


@login_required
def pdf_view(request, pk, promise_id):
    staff, case = _case(request, pk)
    promise = authz.get_visible(  # the promise's own scope (its verifying department)
        staff,
        Promise.objects.select_related("line", "department").filter(case=case),
        "找不到该承诺书。",
        pk=promise_id,
    )
    return pdf.pdf_response(render_promise_pdf(case, promise), f"告知承诺书-{promise.number}.pdf")


@login_required
def tasks(request):
    """Approvers: their department's verification tasks, the verify form and the report."""
    from django.shortcuts import render

    from .models import CreditRecord

    staff = authz.request_staff(request)
    authz.authorize_role(staff, "case.view")
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "lift":
                record = authz.get_visible(
                    staff,
                    CreditRecord.objects.all(),
                    "找不到该记录。",
                    pk=request.POST.get("record") or 0,
                )
                services.promises.lift_credit(
                    staff, record, reason=request.POST.get("reason", ""), request=request
                )
                messages.success(request, "已完成信用修复。")
            else:
                promise = authz.get_visible(
                    staff,
                    Promise.objects.all(),
                    "找不到该承诺。",
                    pk=request.POST.get("promise") or 0,
                )
                services.promises.verify_promise(
                    staff,
                    promise,
                    kept=request.POST.get("result") == "kept",
                    finding=request.POST.get("finding", ""),
                    request=request,
                )
                messages.success(request, f"已记录核查结果：{promise.number}。")
            return redirect("cases:promise_tasks")
        except DomainError as exc:
            messages.error(request, exc.message)
            status = exc.status
    ctx = {
        "pending": services.promises.promises_for(staff, state="pending"),
        "done": services.promises.promises_for(staff).exclude(state="pending")[:50],
        "credits": authz.visible_to(staff, CreditRecord.objects.filter(lifted_at__isnull=True)),
        "report": services.promises.report(staff),
        "today": clock.local(clock.now()).date(),
    }
    return render(request, "cases/promise_tasks.html", ctx, status=status)


def eligibility_warning(case) -> str:
    """S07: the applicant is younger than the item's minimum age (受理条件) — said at the window."""
    from yimen.core.validators import check_resident_id

    if case.applicant_kind != "person" or not case.applicant_id_number:
        return ""
    today = clock.local(clock.now()).date()
    check = check_resident_id(case.applicant_id_number, today)
    if not check.ok or check.birth_date is None:
        return ""
    b = check.birth_date
    age = today.year - b.year - ((today.month, today.day) < (b.month, b.day))
    return catalog_bundles.eligibility_check(case.item, age)
