"""Pages of 办不成事 (grievances): intake, the materials list, the slip, the detail page with its
actions (handling, the escalation ladder, findings) and the person's status page. Thin: parse the
form, call a service, render. Permission checks are in the services; a DomainError re-renders the
form with the message and the typed values. The rating pages and the dashboard are in
`ratings.py`."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from yimen.catalog.models import ServiceItem
from yimen.core import clock
from yimen.core.errors import DomainError, Forbidden, ValidationFailed
from yimen.core.masking import mask_name, mask_phone
from yimen.core.qr import qr_svg
from yimen.core.validators import parse_id
from yimen.outlets.models import Window
from yimen.staff import authz
from yimen.staff.authz import authorize, check

from .. import rules, selectors, services
from ..models import FINDING_KINDS


def _qr_svg(url: str, request) -> str:
    return qr_svg(request.build_absolute_uri(url), scale=3, dark="#1d1d1f")


# --- staff pages ------------------------------------------------------------------------------------
def _staff(request):
    return authz.request_staff(request, "只有工作人员可以使用此页面。")


def _parse_dt(value: str):
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed("时间格式不正确。", code="datetime_invalid")
    if (
        not 2000 <= parsed.year < 9999
    ):  # converting it could overflow; the service refuses it, saying why
        return parsed
    return clock.local(parsed)


@login_required
def grievance_new(request):
    staff = _staff(request)
    if staff.outlet is None:
        raise Forbidden("您没有所属网点，不能在窗口受理反映。")
    outlet = staff.outlet
    authorize(staff, "feedback.grievance.intake", outlet)
    error, posted = "", {}
    if request.method == "POST":
        posted = request.POST
        try:
            item = (
                ServiceItem.objects.filter(code=request.POST.get("item", "").strip()).first()
                if request.POST.get("item")
                else None
            )
            if request.POST.get("item") and item is None:
                raise ValidationFailed(
                    f"找不到事项：{request.POST.get('item')}", code="item_unknown"
                )
            window = (
                Window.objects.filter(
                    outlet=outlet, number=request.POST.get("window", "").strip()
                ).first()
                if request.POST.get("window")
                else None
            )
            if request.POST.get("window") and window is None:
                raise ValidationFailed(
                    f"本中心没有 {request.POST.get('window')} 号窗口。", code="window_unknown"
                )
            ticket = None
            if request.POST.get("ticket"):
                from yimen.queueing.models import Ticket

                ticket = (
                    Ticket.objects.filter(
                        outlet=outlet,
                        number=request.POST["ticket"].strip().upper(),
                        service_date__lte=clock.today(),
                    )
                    .order_by("-service_date")
                    .first()
                )
                if ticket is None:
                    raise ValidationFailed(
                        f"找不到排队号：{request.POST['ticket']}", code="ticket_unknown"
                    )
            g = services.submit_grievance(
                outlet=outlet,
                category=request.POST.get("category", ""),
                description=request.POST.get("description", ""),
                phone=request.POST.get("phone", ""),
                applicant_name=request.POST.get("applicant_name", ""),
                id_number=request.POST.get("id_number", ""),
                item=item,
                window=window,
                ticket=ticket,
                occurred_at=_parse_dt(request.POST.get("occurred_at", "")),
                missing_materials=request.POST.getlist("missing_materials"),
                channel="window",
                actor=staff,
                request=request,
            )
            return redirect("feedback:slip", pk=g.pk)
        except DomainError as exc:
            error = exc.message
    items = ServiceItem.objects.filter(active=True).order_by("code")
    chosen = items.filter(code=posted.get("item", "")).first() if posted else None
    return render(
        request,
        "feedback/grievance_new.html",
        {
            "item": chosen,
            "materials": list(chosen.materials.all()) if chosen else [],
            "selected": posted.getlist("missing_materials") if posted else [],
            "outlet": outlet,
            "categories": rules.CATEGORY_CHOICES,
            "items": items,
            "error": error,
            "posted": posted,
            "windows": Window.objects.filter(
                outlet=outlet, kind__in=["综合窗口", "专业窗口", "绿色通道", "帮办代办"]
            ),
        },
        status=400 if error else 200,
    )


@login_required
def materials(request):
    """htmx partial: the materials of the chosen item, to tick the missing ones."""
    _staff(request)
    item = ServiceItem.objects.filter(code=request.GET.get("item", "")).first()
    return render(
        request,
        "feedback/_materials.html",
        {
            "item": item,
            "materials": list(item.materials.all()) if item else [],
            "selected": request.GET.getlist("missing_materials"),
        },
    )


@login_required
def grievance_slip(request, pk):
    staff = _staff(request)
    g = selectors.get_grievance(staff, pk)
    status_url = selectors.grievance_status_url(g)
    return render(
        request,
        "feedback/slip.html",
        {
            "g": g,
            "name": mask_name(g.applicant_name) or "（匿名）",
            "phone": mask_phone(g.phone),
            "status_url": request.build_absolute_uri(status_url),
            "qr": _qr_svg(status_url, request),
        },
    )


def _level_rows(g):
    return list(g.levels.select_related("decided_by").order_by("round", "level", "id"))


@login_required
def grievance_detail(request, pk):
    staff = _staff(request)
    g = selectors.get_grievance(staff, pk)
    error, posted = "", {}
    if request.method == "POST":
        posted = request.POST
        try:
            _grievance_action(request, staff, g)
            return redirect("feedback:grievance", pk=g.pk)
        except DomainError as exc:
            error = exc.message
        g = selectors.get_grievance(staff, pk)
    ladder = None
    current_rung = None
    if g.category == rules.HARD:
        from .. import conf

        ladder = conf.ladder_for(g.outlet)
        if g.level:
            current_rung = ladder.rung(g.level)
    today = clock.today()
    ctx = {
        "g": g,
        "error": error,
        "posted": posted,
        "name": mask_name(g.applicant_name) or "（匿名）",
        "phone": mask_phone(g.phone),
        "events": g.events.select_related("by"),
        "notices": g.notices.all(),
        "levels": _level_rows(g),
        "ladder": ladder,
        "current_rung": current_rung,
        "flags": selectors.grievance_flags(g, today),
        "explain_reasons": services.EXPLAIN_REASONS,
        "finding_kinds": FINDING_KINDS,
        "check": selectors.tolerance_check(g)
        if g.category in (rules.REFUSED, rules.HARD, rules.OTHER)
        else None,
        "findings": list(g.findings.select_related("staff", "recorded_by")),
        "can": _allowed_actions(staff, g, current_rung),
    }
    if (
        g.ticket_id
        and g.category == rules.CANNOT
        and g.status in (rules.G_FEEDBACK, rules.G_ARCHIVED)
    ):
        url = selectors.rating_url(ticket=g.ticket)
        ctx["rating_url"], ctx["rating_qr"] = url, _qr_svg(url, request)
        ctx["rating_state"] = services.rating_state(ticket=g.ticket)
    return render(request, "feedback/grievance.html", ctx, status=400 if error else 200)


def _allowed_actions(staff, g, rung) -> dict:
    """Which forms to show: the state machine allows the action and this person may do it."""

    def may(action):
        return check(staff, action, g)

    supervised = g.category in (rules.REFUSED, rules.OTHER)
    return {
        "explain": g.category == rules.CANNOT
        and g.status in (rules.G_RECEIVED, rules.G_INVESTIGATING, rules.G_HANDLING)
        and may("feedback.grievance.explain"),
        "investigate": supervised
        and g.status == rules.G_RECEIVED
        and may("feedback.grievance.investigate"),
        "finding": supervised
        and g.status == rules.G_INVESTIGATING
        and may("feedback.grievance.investigate"),
        "handle": supervised and g.status == rules.G_HANDLING and may("feedback.grievance.handle"),
        "decide": (
            g.category == rules.HARD
            and g.status == rules.G_HANDLING
            and rung is not None
            and may(f"feedback.level.{rung.owner_role}")
        ),
        "feedback": g.status == rules.G_FEEDBACK and may("feedback.grievance.close"),
        "reopen": g.status == rules.G_ARCHIVED and may("feedback.grievance.reopen"),
    }


def _grievance_action(request, staff, g):
    p = request.POST
    action = p.get("action", "")
    if action == "explain":
        services.explain_cannot(
            g,
            staff,
            reason_code=p.get("reason_code", ""),
            legal_basis=p.get("legal_basis", ""),
            explanation=p.get("explanation", ""),
            alternatives=p.get("alternatives", ""),
            explained_in_person=p.get("explained_in_person") == "on",
            request=request,
        )
    elif action == "investigate":
        services.start_investigation(g, staff, p.get("note", ""), request=request)
    elif action == "finding":
        if p.get("upheld") not in ("yes", "no"):
            raise ValidationFailed("请选择反映是否属实。", code="upheld_required")
        services.record_finding(
            g,
            staff,
            upheld=p.get("upheld") == "yes",
            note=p.get("note", ""),
            conduct=p.get("conduct", ""),
            request=request,
        )
    elif action == "handle":
        case = None
        if p.get("receipt_number"):
            from yimen.cases.models import Case

            case = Case.objects.filter(receipt_number=p["receipt_number"].strip()).first()
            if case is None:
                raise ValidationFailed(f"找不到办件：{p['receipt_number']}", code="case_unknown")
        services.handle_matter(g, staff, note=p.get("note", ""), case=case, request=request)
    elif action == "decide":
        target = p.get("target_level") or None
        services.decide_level(
            g,
            staff,
            decision=p.get("decision", ""),
            outcome=p.get("outcome", ""),
            meeting_at=_parse_dt(p.get("meeting_at", "")),
            answer=p.get("answer", ""),
            target_level=parse_id(target),
            skip_reason=p.get("skip_reason", ""),
            request=request,
        )
    elif action == "feedback":
        if p.get("satisfied") not in ("yes", "no"):
            raise ValidationFailed("请选择群众是否满意。", code="satisfied_required")
        services.record_person_feedback(
            g,
            staff,
            satisfied=p.get("satisfied") == "yes",
            note=p.get("note", ""),
            channel=p.get("channel", "in_person"),
            request=request,
        )
    elif action == "reopen":
        services.reopen(g, staff, reason=p.get("reason", ""), request=request)
    else:
        raise ValidationFailed("未知的操作。")


# --- the person's status page (token from the slip) -----------------------------------------------
def public_status(request, token):
    g = selectors.grievance_by_token(token)
    error, posted = "", {}
    if request.method == "POST":
        posted = request.POST
        try:
            if request.POST.get("satisfied") not in ("yes", "no"):
                raise ValidationFailed("请选择您是否满意。", code="satisfied_required")
            services.record_person_feedback(
                g,
                None,
                satisfied=request.POST.get("satisfied") == "yes",
                note=request.POST.get("note", ""),
                channel="portal",
                token=token,
                request=request,
            )
            return redirect("feedback:public_status", token=token)
        except DomainError as exc:
            error = exc.message
            g = selectors.grievance_by_token(token)
    steps = [(code, label, code == g.status) for code, label in rules.GRIEVANCE_STATES]
    return render(
        request,
        "feedback/public_status.html",
        {
            "g": g,
            "steps": steps,
            "notices": [n for n in g.notices.all() if n.channel != "slip"],
            "levels": _level_rows(g),
            "error": error,
            "posted": posted,
        },
        status=400 if error else 200,
    )
