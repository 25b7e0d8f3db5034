"""Window pages of 一件事 (一窗受理): the joint form → linked cases under one number; the merged
checklist checked once; accept or one-time notice for the whole. Thin: services do the work."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from yimen.catalog import bundles as catalog_bundles
from yimen.core.errors import DomainError, NotFound
from yimen.staff import authz

from . import rules, services
from .models import BundleApplication
from .views import _active_ticket

APPLICANT_FIELDS = (
    "applicant_kind",
    "applicant_name",
    "applicant_id_number",
    "applicant_phone",
    "credit_code",
    "agent_role",
    "agent_name",
    "agent_id_number",
    "agent_phone",
)


@login_required
@require_http_methods(["GET", "POST"])
def bundle_intake(request):
    staff = authz.request_staff(request)
    window, ticket = _active_ticket(staff)
    outlet = window.outlet if window else staff.outlet
    bundles = catalog_bundles.list_bundles()
    code = request.POST.get("bundle") or request.GET.get("bundle") or ""
    if not code and ticket is not None:  # a ticket issued for a bundle's items proposes it
        codes = {i.code for i in ticket.items.all()}
        code = next((b.code for b in bundles if codes & {i.code for i in b.items.all()}), "")
    chosen = next((b for b in bundles if b.code == code), None)
    status = 200
    if request.method == "POST":
        try:
            if chosen is None:
                raise NotFound("请选择一件事。", code="unknown_bundle")
            app = services.bundles.open_bundle(
                staff,
                bundle=chosen,
                outlet=outlet,
                window=window,
                ticket=ticket,
                applicant={k: request.POST.get(k, "") for k in APPLICANT_FIELDS},
                form={f["key"]: request.POST.get(f"f_{f['key']}", "") for f in chosen.form_fields},
                request=request,
            )
            messages.success(request, f"已收件，一件事受理编号 {app.number}。请核验合并材料清单。")
            return redirect("cases:bundle_detail", pk=app.pk)
        except DomainError as exc:
            messages.error(request, exc.message)
            status = exc.status
    ctx = {
        "staff": staff,
        "window": window,
        "ticket": ticket,
        "outlet": outlet,
        "bundles": bundles,
        "chosen": chosen,
        "info": catalog_bundles.bundle_dict(chosen) if chosen else None,
        "form": request.POST,
    }
    return render(request, "cases/bundle_intake.html", ctx, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def bundle_detail(request, pk):
    staff = authz.request_staff(request)
    app = authz.get_visible(
        staff,
        BundleApplication.objects.select_related("bundle", "outlet"),
        "找不到该一件事申请。",
        pk=pk,
    )
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action in ("check", "accept", "notify"):
                marks = {}
                for row in services.bundles.merged_checklist(app):
                    value = request.POST.get(f"m_{row['key']}")
                    if value == "received":
                        marks[row["key"]] = (
                            rules.M_RECEIVED,
                            request.POST.get(f"via_{row['key']}", "paper") or "paper",
                        )
                    elif value == "missing":
                        marks[row["key"]] = (rules.M_MISSING, "")
                if marks:
                    services.bundles.check_bundle(staff, app, marks, request=request)
            if action == "accept":
                services.bundles.accept_bundle(staff, app, request=request)
                messages.success(request, "一件事已受理，各事项已分送部门办理。")
            elif action == "notify":
                notices = services.bundles.notify_bundle_missing(staff, app, request=request)
                messages.success(request, f"已出具一次性告知书 {len(notices)} 份。")
            elif action == "check":
                messages.success(request, "材料核验已保存。")
            return redirect("cases:bundle_detail", pk=app.pk)
        except DomainError as exc:
            messages.error(request, exc.message)
            status = exc.status
    cases = services.bundles.cases_of(app)
    rate_link = ""
    if cases:  # one rating for the whole: on the lead case, offered once for the bundle
        from yimen.feedback.selectors import rating_url
        from yimen.feedback.services import authorize_rating_link

        try:
            authorize_rating_link(staff, cases[0])
            rate_link = rating_url(case=cases[0], absolute_base=request.build_absolute_uri("/"))
        except DomainError:
            rate_link = ""
    ctx = {
        "staff": staff,
        "app": app,
        "rate_link": rate_link,
        "rows": services.bundles.merged_checklist(app),
        "progress": services.bundles.progress(app),
        "cases": services.bundles.cases_of(app),
        "form_rows": [
            (f["label"], app.form_data.get(f["key"], "")) for f in app.bundle.form_fields or []
        ],
    }
    return render(request, "cases/bundle_detail.html", ctx, status=status)
