"""Citizen portal, after the visit: case progress, rating (by code or link), 办不成事 grievances and
“我的”. Writes go through the owning apps' services (cases, feedback); the portal composes pages."""

from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from yimen.core.errors import DomainError, NotFound, ValidationFailed
from yimen.core.masking import mask_phone
from yimen.guide import selectors as guide_selectors
from yimen.outlets.models import Outlet

from .views import _render


@require_http_methods(["GET", "POST"])
def progress(request):
    from yimen.cases import services as case_services
    from yimen.core.audit import client_ip

    result, error = None, None
    receipt = (request.POST.get("receipt") or "").strip()
    if request.method == "POST":
        try:
            if not receipt or not (request.POST.get("secret") or "").strip():
                raise ValidationFailed(
                    "请填写受理编号和查询码（身份证号后4位或手机号）。", code="fields_required"
                )
            result = case_services.lookup_progress(
                receipt, request.POST.get("secret", ""), client_ip(request)
            )
            if result is None:
                raise NotFound(
                    "没有查到：请核对受理编号和查询码（身份证号后4位或手机号）。", code="not_found"
                )
        except DomainError as exc:
            error = exc
    return _render(request, "portal/progress.html", {"result": result, "receipt": receipt}, error)


@require_http_methods(["GET", "POST"])
def rate_find(request):
    """Find the service to rate: the ticket slip's code, or a case's receipt number + 查询码."""
    from yimen.cases import selectors as case_selectors, services as case_services
    from yimen.core.audit import client_ip
    from yimen.feedback import services as feedback_services
    from yimen.queueing import selectors as queue_selectors

    error = None
    if request.method == "POST":
        try:
            slip = (request.POST.get("slip") or "").strip()
            receipt = (request.POST.get("receipt") or "").strip()
            if slip:
                if not queue_selectors.is_public_id(slip):
                    raise NotFound("凭条编号不正确。", code="not_found")
                t = queue_selectors.holder_ticket(slip)
                return redirect("portal:rate", token=feedback_services.rating_token(ticket=t))
            if receipt:
                if (
                    case_services.lookup_progress(
                        receipt, request.POST.get("secret", ""), client_ip(request)
                    )
                    is None
                ):
                    raise NotFound("没有查到：请核对受理编号和查询码。", code="not_found")
                case = case_selectors.get_by_receipt(receipt.upper())
                return redirect("portal:rate", token=feedback_services.rating_token(case=case))
            raise ValidationFailed(
                "请填写排队凭条编号，或办件受理编号和查询码。", code="fields_required"
            )
        except DomainError as exc:
            error = exc
    return _render(request, "portal/rate_find.html", {}, error)


@require_http_methods(["GET", "POST"])
def rate(request, token):
    from yimen.feedback import rules as feedback_rules, services as feedback_services

    subject, obj = feedback_services.resolve_rating_token(token)
    kwargs = {"ticket": obj} if subject == "ticket" else {"case": obj}
    error, done = None, None
    if request.method == "POST":
        try:
            done = feedback_services.submit_rating(
                score=request.POST.get("score"),
                reasons=request.POST.getlist("reasons"),
                comment=request.POST.get("comment", ""),
                callback_phone=request.POST.get("callback_phone", ""),
                channel="portal",
                request=request,
                **kwargs,
            )
        except DomainError as exc:
            error = exc
    state = feedback_services.rating_state(**kwargs)
    return _render(
        request,
        "portal/rate.html",
        {
            "subject": subject,
            "obj": obj,
            "state": state,
            "done": done,
            "scores": feedback_rules.SCORE_CHOICES,
            "reasons": feedback_rules.REASON_CHOICES,
            "form": request.POST if request.method == "POST" and not done else {},
            "callback_masked": mask_phone(done.callback_phone) if done else "",
        },
        error,
    )


def _grievance_about(code: str, outlet) -> tuple:
    """The ticket (slip code) or case (receipt number) a grievance names, at its outlet."""
    from yimen.cases import selectors as case_selectors
    from yimen.queueing import selectors as queue_selectors

    code = (code or "").strip()
    if not code:
        return None, None
    try:
        ticket = queue_selectors.get_ticket(code) if 12 < len(code) <= 24 else None
    except DomainError:
        ticket = None
    if ticket is not None and ticket.outlet_id == outlet.pk:
        return ticket, None
    try:
        case = case_selectors.get_by_receipt(code)
    except DomainError:
        case = None
    if case is not None and case.outlet_id == outlet.pk:
        return None, case
    raise ValidationFailed(
        "没有在所选网点找到这个排队凭条编号或办件编号，请核对，或不填。", code="unknown_subject"
    )


@require_http_methods(["GET", "POST"])
def grievance(request):
    from yimen.feedback import rules as feedback_rules, services as feedback_services

    centres = Outlet.objects.filter(active=True).order_by("kind", "code")
    error = None
    if request.method == "POST":
        try:
            outlet = centres.filter(code=request.POST.get("outlet", "")).first()
            if outlet is None:
                raise ValidationFailed("请选择在哪个网点遇到的问题。", code="outlet_required")
            item_code = (request.POST.get("item") or "").strip()
            it = guide_selectors.get_item(item_code) if item_code else None
            ticket, case = _grievance_about(request.POST.get("about", ""), outlet)
            g = feedback_services.submit_grievance(
                outlet=outlet,
                category=request.POST.get("category", ""),
                description=request.POST.get("description", ""),
                phone=request.POST.get("phone", ""),
                applicant_name=request.POST.get("name", ""),
                item=it,
                ticket=ticket,
                case=case,
                channel="portal",
                request=request,
            )
            return render(
                request,
                "portal/grievance_done.html",
                {"g": g, "status_url": reverse("feedback:public_status", args=[g.public_token])},
            )
        except DomainError as exc:
            error = exc
    from yimen.catalog.models import ServiceItem

    return _render(
        request,
        "portal/grievance.html",
        {
            "outlets": centres,
            "categories": feedback_rules.CATEGORY_CHOICES,
            "items": ServiceItem.objects.filter(active=True)
            .only("code", "name", "short_name")
            .order_by("code"),
            "form": request.POST if request.method == "POST" else {},
        },
        error,
    )


@require_http_methods(["GET", "POST"])
def mine(request):
    """“我的”: ID number + phone + SMS one-time code → my tickets, bookings, cases, grievances and
    ratings (portal/mine.py)."""
    from yimen.core.audit import client_ip

    from . import mine as my

    error, notice, step = None, None, "start"
    form = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "send":
                notice = my.request_code(
                    request.POST.get("id_number", ""),
                    request.POST.get("phone", ""),
                    client_ip(request) or "",
                    request=request,
                )
                step = "code"
            elif action == "verify":
                step = "code"
                id_hash = my.verify(
                    request.POST.get("id_number", ""),
                    request.POST.get("phone", ""),
                    request.POST.get("code", ""),
                    client_ip(request) or "",
                    request=request,
                )
                my.sign_in(request, id_hash)
                return redirect("portal:mine")
            elif action == "sign_out":
                my.sign_out(request)
                return redirect("portal:mine")
            else:
                raise ValidationFailed("未知的操作。", code="bad_action")
        except DomainError as exc:
            error = exc
    id_hash = my.signed_in(request)
    return _render(
        request,
        "portal/mine.html",
        {
            "step": step,
            "notice": notice,
            "form": form,
            "records": my.records(id_hash) if id_hash else None,
            "minutes": my.SESSION_MINUTES,
        },
        error,
    )
