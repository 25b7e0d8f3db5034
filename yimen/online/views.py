"""Citizen pages of 网上申报 (under the portal's look): sign in, choose a matter and answer its
situation questions, fill the form, upload materials, submit, follow 预审, re-upload after a
补正, download the electronic result. Thin: services and selectors do the work."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from yimen.catalog import bundles as catalog_bundles
from yimen.core import audit, pdf
from yimen.core.audit import client_ip
from yimen.core.errors import DomainError, NotFound, ValidationFailed

from . import identity as ident, rules, seams, selectors, services, storage
from .models import AgentConsent


def _render(request, template, ctx, error=None, status=None):
    ctx.setdefault("error", error)
    ctx.setdefault("who", ident.current(request))
    code = status or (error.status if error is not None else 200)
    return render(request, f"online/{template}", ctx, status=code)


@require_http_methods(["GET", "POST"])
def home(request):
    """Sign in (ID number or USCC + SMS code), then “我的申报”."""
    error, notice, step = None, None, "start"
    form = request.POST if request.method == "POST" else {}
    nxt = request.GET.get("next") or request.POST.get("next") or ""
    if request.method == "POST":
        action = request.POST.get("action")
        kind = "company" if request.POST.get("kind") == "company" else "person"
        sms = ident.SmsCodeProvider()
        try:
            if action == "send":
                notice = sms.request_code(
                    request.POST.get("id_number", ""),
                    request.POST.get("phone", ""),
                    client_ip(request) or "",
                    kind=kind,
                    request=request,
                )
                step = "code"
            elif action == "verify":
                step = "code"
                who = sms.verify(
                    request.POST.get("id_number", ""),
                    request.POST.get("phone", ""),
                    request.POST.get("code", ""),
                    client_ip(request) or "",
                    kind=kind,
                    request=request,
                )
                ident.sign_in(request, who)
                return redirect(rules.safe_next(nxt) or "online:home")
            elif action == "sign_out":
                ident.sign_out(request)
                return redirect("online:home")
            else:
                raise ValidationFailed("未知的操作。", code="bad_action")
        except DomainError as exc:
            error = exc
    who = ident.current(request)
    return _render(
        request,
        "home.html",
        {
            "step": step,
            "notice": notice,
            "form": form,
            "next": nxt,
            "applications": selectors.applications_of(who),
            "oidc": _oidc_enabled(),
        },
        error,
    )


def _oidc_enabled() -> bool:
    from . import oidc

    return oidc.configured()


def _signed_in(request):
    who = ident.current(request)
    if who is None:
        return None, redirect("/online/?" + urlencode({"next": request.get_full_path()}))
    return who, None


@require_http_methods(["GET", "POST"])
def apply(request, code):
    """Choose the matter's situation (情形) and start a draft."""
    from yimen.catalog.models import ServiceItem

    who, go = _signed_in(request)
    if go:
        return go
    item = ServiceItem.objects.filter(code=code, active=True).select_related("department").first()
    if item is None:
        raise NotFound("找不到该事项。")
    answers = catalog_bundles.answers_from(
        request.POST if request.method == "POST" else request.GET
    )
    error = None
    if request.method == "POST":
        try:
            app = services.start(who, item, answers)
            return redirect("online:application", public_id=app.public_id)
        except DomainError as exc:
            error = exc
    return _render(
        request,
        "apply.html",
        {
            "item": item,
            "questions": catalog_bundles.questions_of(item),
            "answers": answers,
            "materials": catalog_bundles.tailored_materials(item, answers),
        },
        error,
    )


@require_http_methods(["GET", "POST"])
def application(request, public_id):
    """The application: form, materials with upload, consent, delivery; submit or re-submit."""
    who, go = _signed_in(request)
    if go:
        return go
    app = selectors.own_application(who, public_id)
    error = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "save":
                services.save_form(who, app, request.POST)
            elif action == "upload":
                f = request.FILES.get("file")
                if f is None:
                    raise ValidationFailed("请选择要上传的文件。", code="no_file")
                services.upload(who, app, request.POST.get("line", ""), f, request=request)
            elif action == "licence":
                services.use_licence(who, app, request.POST.get("line", ""))
            elif action == "consent":
                services.record_consent(
                    who,
                    app,
                    method=request.POST.get("method", ""),
                    principal_phone=request.POST.get("principal_phone", ""),
                    letter=request.FILES.get("letter"),
                )
            elif action == "submit":
                services.submit(who, app)
            elif action == "resubmit":
                services.resubmit(who, app)
            else:
                raise ValidationFailed("未知的操作。", code="bad_action")
            return redirect("online:application", public_id=app.public_id)
        except DomainError as exc:
            error = exc
            app = selectors.own_application(who, public_id)
    case = app.case
    notices = list(case.notices.order_by("id")) if case else []
    rows = selectors.checklist_rows(app)
    return _render(
        request,
        "application.html",
        {
            "app": app,
            "rows": rows,
            "library": seams.library_configured(),
            "any_shareable": any(r["shareable"] for r in rows),
            "agent": services.is_agent(who, app) if app.applicant_name else False,
            "consent": AgentConsent.objects.filter(application=app).first(),
            "delivery_choices": rules.DELIVERY_CHOICES,
            "pickup_places": selectors.pickup_places() if app.status == rules.DRAFT else [],
            "consent_choices": rules.CONSENT_CHOICES,
            "case": case,
            "notices": notices,
            "result": getattr(case, "result", None) if case else None,
            "visits": case.visits.count() if case else 0,
            "limits": selectors.limits(),
            "editable": app.status in rules.EDITABLE,
        },
        error,
    )


def file(request, upload_id):
    """A stored file, to the applicant or to staff the policy lets see it; 404 to anyone else."""
    who = ident.current(request)
    actor = (
        request.user.staff
        if getattr(request.user, "is_authenticated", False) and hasattr(request.user, "staff")
        else None
    )
    row = selectors.readable_upload(upload_id=upload_id, identity=who, actor=actor)
    if row.source != "upload":
        raise NotFound("该材料来自电子证照库，没有上传的文件。")
    path = storage.path_of(row.stored_name)
    if not path.exists():  # a restore without the files (docs/online.md §3)
        raise NotFound("文件已不在存储中，请联系管理员从备份恢复。", code="file_missing")
    if who is None or row.application.owner != who.owner:  # staff reading personal documents
        audit.record(actor, "online.file_read", row.application, after={"material": row.name})
    response = FileResponse(open(path, "rb"), content_type=row.content_type)
    ext = rules.ALLOWED.get(row.content_type, "")
    response["Content-Disposition"] = f'inline; filename="upload-{row.pk}{ext}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response


def notice_pdf(request, public_id, notice_id):
    from yimen.cases.document_views import render_notice_pdf

    who, go = _signed_in(request)
    if go:
        return go
    app = selectors.own_application(who, public_id)
    notice = app.case.notices.filter(pk=notice_id).first() if app.case else None
    if notice is None:
        raise NotFound("找不到该文书。")
    data = render_notice_pdf(app.case, notice, base_url=request.build_absolute_uri("/"))
    return pdf.pdf_response(data, f"{notice.kind_label}-{notice.number}.pdf")


def result_pdf(request, public_id) -> HttpResponse:
    """The electronic licence (PDF with its verification QR), to its applicant."""
    from yimen.cases.document_views import render_result_pdf, verify_url

    who, go = _signed_in(request)
    if go:
        return go
    app = selectors.own_application(who, public_id)
    result = getattr(app.case, "result", None) if app.case else None
    if result is None or app.delivery_method != "electronic" or app.case.status != "closed":
        raise NotFound("电子证照尚未送达。")
    return pdf.pdf_response(
        render_result_pdf(app.case, result, verify_url(request, result)),
        f"{result.title}-{result.licence_number}.pdf",
    )


@require_POST
def sign_out(request):
    ident.sign_out(request)
    return redirect("online:home")
