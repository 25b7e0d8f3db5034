"""Back-office pages of 网上预审 (under the staff look): the queue with 预审 deadlines, and one
application with its uploaded files in a viewer beside the checklist — 受理, one 补正 naming
exactly what to fix, or 不予受理 with reasons; then the result leaves without a trip."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from yimen.core.errors import DomainError, ValidationFailed
from yimen.staff import authz

from . import backoffice, rules, selectors
from .models import AgentConsent


@login_required
def queue(request):
    staff = authz.request_staff(request)
    authz.authorize_role(staff, "online.view")
    status = request.GET.get("status", rules.PRECHECK)
    if status not in rules.STATUS_LABELS:
        status = ""
    return render(
        request,
        "online/office_queue.html",
        {
            "staff": staff,
            "apps": list(selectors.queue(staff, status)[:200]),
            "status": status,
            "statuses": [c for c in rules.STATUS_CHOICES if c[0] != rules.DRAFT],
            "counts": selectors.queue_counts(staff),
            "time_labels": rules.TIME_STATUS_LABELS,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def detail(request, pk):
    staff = authz.request_staff(request)
    app = selectors.for_staff(staff, pk)
    error = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "accept":
                backoffice.accept(staff, app, request=request)
                messages.success(request, "已受理，已短信告知申请人。")
            elif action == "correct":
                fixes = {
                    int(k[4:]): request.POST.get(f"why_{k[4:]}", "")
                    for k in request.POST
                    if k.startswith("fix_") and k[4:].isdigit()
                }
                backoffice.correct(
                    staff, app, fixes=fixes, note=request.POST.get("note", ""), request=request
                )
                messages.success(request, "已发出一次性补正告知，已短信告知申请人。")
            elif action == "refuse":
                backoffice.refuse(
                    staff, app, reason=request.POST.get("reason", ""), request=request
                )
                messages.success(request, "已作出不予受理决定，已短信告知申请人。")
            elif action == "deliver":
                backoffice.deliver_result(
                    staff,
                    app,
                    tracking_number=request.POST.get("tracking_number", ""),
                    base_url=request.build_absolute_uri("/"),
                )
                messages.success(request, "结果已送达。")
            else:
                raise ValidationFailed("未知的操作。", code="bad_action")
            return redirect("online:office_detail", pk=app.pk)
        except DomainError as exc:
            error = exc
        app = selectors.for_staff(staff, pk)
    rows = selectors.checklist_rows(app)
    show = request.GET.get("show", "")
    shown = next((r["upload"] for r in rows if r["upload"] and str(r["upload"].pk) == show), None)
    if shown is None:
        shown = next((r["upload"] for r in rows if r["upload"]), None)
    case = app.case
    return render(
        request,
        "online/office_detail.html",
        {
            "staff": staff,
            "app": app,
            "case": case,
            "rows": rows,
            "shown": shown,
            "notices": list(case.notices.order_by("id")) if case else [],
            "consent": AgentConsent.objects.filter(application=app).first(),
            "history": list(app.uploads.filter(superseded=True).order_by("line", "id")),
            "can_decide": app.status == rules.PRECHECK,
            "can_deliver": case is not None
            and case.status in ("decided", "ready")
            and case.decision == "approve"
            and bool(app.delivery_method)
            and (case.status == "decided" or app.delivery_method != "window"),
            "error": error,
            "time_labels": rules.TIME_STATUS_LABELS,
        },
        status=error.status if error else 200,
    )
