"""Pages: intake at the window, case detail (checklist, outcomes, back office, results), approver
queue, time-limit lists, public progress and result verification. Thin: services do the work."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from yimen.catalog.models import ServiceItem
from yimen.core import clock
from yimen.core.audit import client_ip
from yimen.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from yimen.core.masking import mask_name
from yimen.core.validators import parse_id
from yimen.staff import authz
from yimen.staff.authz import check

from . import promise_views, rules, selectors, services


def _staff(request):
    return authz.request_staff(request)


def _case_for(request, pk):
    staff = _staff(request)
    case = selectors.get_case(pk)
    if not selectors.can_view(staff, case):
        raise NotFound("找不到该办件。")
    return staff, case


def _active_ticket(staff):
    """The window this clerk is signed in at, and the ticket being served there."""
    from yimen.staff.selectors import session_of

    session = session_of(staff)
    if session is None:
        return None, None
    from yimen.queueing.models import Ticket

    ticket = (
        Ticket.objects.filter(window=session.window, status__in=Ticket.ACTIVE_STATES)
        .prefetch_related("items")
        .first()
    )
    return session.window, ticket


@login_required
def index(request):
    staff = _staff(request)
    authz.authorize_role(staff, "case.view")
    qs = selectors.visible_cases(staff)
    status = request.GET.get("status", "")
    if status in rules.STATUS_LABELS:
        qs = qs.filter(status=status)
    q = (request.GET.get("q") or "").strip().upper()
    if q:
        qs = qs.filter(receipt_number__icontains=q)
    cases = list(qs.order_by("-opened_at", "-id")[:100])
    for c in cases:
        c.masked_name = (
            mask_name(c.applicant_name) if c.applicant_kind == "person" else c.applicant_name
        )
    return render(
        request,
        "cases/index.html",
        {
            "staff": staff,
            "cases": cases,
            "status": status,
            "q": q,
            "statuses": rules.STATUS_CHOICES,
            "metric": selectors.trips_metric(selectors.visible_cases(staff)),
            "handling": selectors.handling_times(selectors.visible_cases(staff)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def intake(request):
    staff = _staff(request)
    window, ticket = _active_ticket(staff)
    outlet = window.outlet if window else staff.outlet
    if request.method == "POST":
        form = request.POST
        try:
            if form.get("action") == "continue":
                case = selectors.get_by_receipt(form.get("receipt_number", ""))
                services.return_visit(staff, case, ticket=ticket, request=request)
                messages.success(request, f"办件{case.receipt_number}继续办理（已记录本次到场）。")
                return redirect("cases:detail", pk=case.pk)
            item = ServiceItem.objects.filter(code=form.get("item", "")).first()
            if item is None:
                raise ValidationFailed("请选择办理事项。")
            helper = None
            if form.get("helper") == "me":
                helper = staff
            case = services.open_case(
                staff,
                item=item,
                outlet=outlet,
                ticket=ticket,
                window=window,
                request=request,
                applicant={
                    k: form.get(k, "")
                    for k in (
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
                },
                helper=helper,
                helper_consent=form.get("helper_consent") == "on",
                helper_consent_note=form.get("helper_consent_note", ""),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return render(
                request,
                "cases/intake.html",
                _intake_context(staff, window, ticket, outlet, form),
                status=exc.status,
            )
        messages.success(request, f"已收件，办件编号 {case.receipt_number}。请逐项核验材料。")
        return redirect("cases:detail", pk=case.pk)
    return render(request, "cases/intake.html", _intake_context(staff, window, ticket, outlet, {}))


def _intake_context(staff, window, ticket, outlet, form):
    items = []
    if (
        ticket is not None
    ):  # a visit of several queues: this stop's items (queueing/selectors/visits.py)
        from yimen.queueing import selectors as queue_selectors

        items = queue_selectors.current_leg_items(ticket)
    if window is not None:
        from yimen.outlets.selectors import window_items

        others = [i for i in window_items(window).select_related("department") if i not in items]
        items += others
    elif outlet is not None:
        items += [i for i in outlet.items.all() if i not in items]
    ticket_cases = list(ticket.cases.select_related("item").all()) if ticket else []
    return {
        "staff": staff,
        "window": window,
        "ticket": ticket,
        "outlet": outlet,
        "items": items,
        "form": form,
        "ticket_cases": ticket_cases,
    }


@login_required
@require_POST
def call_next(request):
    """Call the next ticket at the clerk's window (queue service)."""
    staff = _staff(request)
    from yimen.staff.selectors import session_of

    session = session_of(staff)
    if session is None:
        messages.error(request, "您尚未签到窗口，不能叫号。")
        return redirect("cases:intake")
    try:
        from yimen.queueing import services as queue_services

        ticket = queue_services.call_next(session.window, staff)
        if ticket is None:
            messages.info(request, "当前没有等候的群众。")
        else:
            messages.success(request, f"已呼叫 {ticket.number}。")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("cases:intake")


@login_required
@require_POST
def finish_ticket(request):
    """办结本号: close the ticket at the queue, recording the items actually handled (the cases
    opened for it; the ticket's own items when none)."""
    staff = _staff(request)
    window, ticket = _active_ticket(staff)
    if ticket is None:
        messages.error(request, "当前没有正在办理的排队号。")
        return redirect("cases:intake")
    from yimen.queueing import services as queue_services
    from yimen.queueing.models import Ticket

    handled = [c.item for c in ticket.cases.select_related("item")] or None
    try:
        if ticket.status == Ticket.CALLED:
            ticket = queue_services.start(ticket, staff, request=request)
        done = queue_services.finish(ticket, staff, handled_items=handled, request=request)
        if done.status == Ticket.WAITING:  # a visit of several queues: on to its next stop
            messages.success(
                request, f"{done.number} 本站已办结，已排入下一站：{done.queue.name}。"
            )
        else:
            messages.success(request, f"{ticket.number} 已办结。")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("cases:intake")


def _detail_context(staff, case):
    cal_today = clock.today()
    notices = list(case.notices.select_related("issued_by"))
    return {
        "staff": staff,
        "case": case,
        "applicant": selectors.masked_applicant(case),
        "materials": list(case.materials.all()),
        "promise_names": promise_views.promisable_names(case),
        "eligibility_warning": promise_views.eligibility_warning(case),
        "promises": list(case.promises.all()),
        "payments": list(authz.visible_to(staff, case.payments.all())),  # approvers see none
        "takes_fee": case.item.fee != 0,
        "notices": notices,
        "visits": list(case.visits.select_related("outlet", "ticket", "staff")),
        "events": [
            {
                "at": e.at,
                "staff": e.staff.name if e.staff else "系统",
                "reason": e.reason,
                "action": rules.ACTION_LABELS.get(e.action, e.action),
                "change": (
                    f"{rules.STATUS_LABELS.get(e.from_status, '—')} → {rules.STATUS_LABELS[e.to_status]}"
                    if e.from_status != e.to_status and e.to_status in rules.STATUS_LABELS
                    else ""
                ),
            }
            for e in case.events.select_related("staff")
        ],
        "steps": list(case.steps.select_related("staff")),
        "step_names": services.steps_for(case),
        "pauses": list(case.pauses.all()),
        "result": getattr(case, "result", None),
        "assessment": services.assessment(case) if case.status == rules.DRAFT else None,
        "allowed": rules.allowed_actions(case.status),
        "can_intake": check(staff, "case.intake", case),
        "can_reveal": check(staff, "case.reveal", case),
        "can_review": check(staff, "case.review", case),
        "can_decide": check(staff, "case.decide", case),
        "can_deliver": check(staff, "case.deliver", case)
        or check(staff, "case.decide", department=case.item.department),
        "time_status": services.evaluate_time_status(case)
        if case.status in rules.OPEN_BACK_OFFICE_STATES
        else "",
        "time_labels": rules.TIME_STATUS_LABELS,
        "via_choices": rules.RECEIVED_VIA_CHOICES,
        "pause_choices": rules.PAUSE_CHOICES,
        "delivery_choices": rules.DELIVERY_CHOICES,
        "default_deadline": services.default_tolerance_deadline(case, cal_today)
        if case.status == rules.DRAFT
        else None,
        "trips": len(case.visits.all()),
        "held_step": services.step_held_by(case, staff) if case.status == rules.ACCEPTED else None,
        "outstanding": services.outstanding_tolerance(case),
    }


@login_required
@require_http_methods(["GET", "POST"])
def detail(request, pk):
    staff, case = _case_for(request, pk)
    if request.method == "POST" and request.POST.get("action") == "reveal":
        # shown once in this response only (never in a flash message / cookie)
        try:
            data = services.reveal_personal_data(
                staff, case, reason=request.POST.get("reason", ""), request=request
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("cases:detail", pk=pk)
        ctx = _detail_context(staff, case)
        ctx["revealed"] = [
            (label, data[key])
            for key, label in [
                ("applicant_id_number", "申请人证件号码"),
                ("applicant_phone", "申请人电话"),
                ("agent_id_number", "代理人证件号码"),
                ("agent_phone", "代理人电话"),
            ]
            if data[key]
        ]
        response = render(request, "cases/detail.html", ctx)
        response["Cache-Control"] = "no-store"
        return response
    if request.method == "POST":
        try:
            note = _apply(request, staff, case)
            if note:
                messages.success(request, note)
        except DomainError as exc:
            messages.error(request, exc.message)
            case = selectors.get_case(pk)
            ctx = _detail_context(staff, case)
            ctx["error_code"] = exc.code
            return render(request, "cases/detail.html", ctx, status=exc.status)
        return redirect("cases:detail", pk=pk)
    return render(request, "cases/detail.html", _detail_context(staff, case))


def _parse_date(value: str, label: str) -> date | None:
    from yimen.core.inputs import form_date

    return form_date(value, label)  # YYYY-MM-DD inside the sane window, else ValidationFailed


def _apply(request, staff, case) -> str:
    f = request.POST
    action = f.get("action", "")
    if action == "check":
        marks = {}
        for m in case.materials.all():
            state = f.get(f"m{m.pk}", "")
            if state in ("paper", "electronic", "data_sharing"):
                marks[m.pk] = (rules.M_RECEIVED, state)
            elif state == "missing":
                marks[m.pk] = (rules.M_MISSING, "")
        services.check_materials(staff, case, marks, request=request)
        return "材料核验已保存。"
    if action == "notify":
        notice = services.notify_missing(staff, case, request=request)
        return f"已出具一次性告知书 {notice.number}，请打印交申请人。"
    if action == "accept":
        services.accept(staff, case, request=request)
        return (
            "已受理，请打印受理通知书。"
            if not case.item.is_immediate
            else "即办件已当场办结，结果已出具。"
        )
    if action == "accept_tolerance":
        services.accept(
            staff,
            case,
            tolerance=True,
            promise=f.get("promise", ""),
            tolerance_deadline=_parse_date(f.get("deadline", ""), "补交期限"),
            request=request,
        )
        return "已容缺受理，请申请人在容缺受理通知书上签字。"
    if action == "reject":
        services.reject(staff, case, reason=f.get("reason", ""), request=request)
        return "已出具不予受理通知书。"
    if action == "escalate":
        services.escalate_hard(staff, case, reason=f.get("reason", ""), request=request)
        return "已登记为「很难办」，转办不成事反映窗口升级协调。"
    if action == "withdraw":
        services.withdraw(staff, case, reason=f.get("reason", ""), request=request)
        return "已撤回。"
    if action == "supply":
        services.supply_material(
            staff,
            case,
            parse_id(f.get("material"), 0) or 0,
            via=f.get("via", ""),
            in_person=f.get("in_person") == "on",
            request=request,
        )
        return "容缺材料已补交。"
    if action == "step":
        step = services.review_step(staff, case, opinion=f.get("opinion", ""), request=request)
        return f"「{step.name}」环节已完成。"
    if action == "pause":
        services.pause_clock(
            staff, case, kind=f.get("kind", ""), reason=f.get("reason", ""), request=request
        )
        return "时限已暂停计时。"
    if action == "resume":
        services.resume_clock(staff, case, note=f.get("note", ""), request=request)
        return "已恢复计时，办结日期已顺延。"
    if action == "decide":
        services.decide(
            staff, case, decision=f.get("decision", ""), reason=f.get("reason", ""), request=request
        )
        return "已作出决定。"
    if action == "issue":
        result = services.issue_result(staff, case, request=request)
        return f"已出证：{result.licence_number}，并已通知申请人。"
    if action == "deliver":
        services.deliver(
            staff,
            case,
            method=f.get("method", ""),
            tracking_number=f.get("tracking_number", ""),
            recipient=f.get("recipient", ""),
            request=request,
        )
        return "已送达，办件办结。"
    raise ValidationFailed("未知的操作。")


@require_http_methods(["GET", "POST"])
def progress(request):
    """Public progress page: receipt number + last 4 of the ID (or the phone number)."""
    ctx = {"answer": None, "error": "", "receipt_number": ""}
    status = 200
    if request.method == "POST":
        receipt = request.POST.get("receipt_number", "").strip()
        secret = request.POST.get("secret", "").strip()
        ctx["receipt_number"] = receipt
        if not receipt or not secret:
            ctx["error"] = "请输入办件编号和证件号码后四位（或手机号码）。"
            status = 400
        else:
            try:
                answer = services.lookup_progress(receipt, secret, client_ip(request) or "")
            except selectors.RateLimited as exc:
                ctx["error"] = exc.message
                status = 429
            else:
                if answer is None:
                    ctx["error"] = "办件编号与证件号码后四位（或手机号码）不匹配，请核对后重试。"
                    status = 404
                ctx["answer"] = answer
    return render(request, "cases/progress.html", ctx, status=status)


@login_required
def approvals(request):
    staff = _staff(request)
    authz.authorize_role(staff, "case.view")
    if staff.department is None or authz.scope_of(staff)[0] != authz.DEPARTMENT:
        raise Forbidden("只有部门审批人员可以查看审批队列。")
    cases = selectors.department_queue(staff.department, viewer=staff)
    return render(
        request,
        "cases/approvals.html",
        {
            "staff": staff,
            "cases": cases,
            "lists": selectors.time_limit_lists(staff, staff.department),
            "time_labels": rules.TIME_STATUS_LABELS,
            "today": clock.today(),
        },
    )


@login_required
def time_limits(request):
    staff = _staff(request)
    authz.authorize_role(staff, "case.view")
    department = staff.department if authz.scope_of(staff)[0] == authz.DEPARTMENT else None
    return render(
        request,
        "cases/time_limits.html",
        {
            "staff": staff,
            "department": department,
            "lists": selectors.time_limit_lists(staff, department),
            "summary": selectors.time_limit_summary(staff) if department is None else None,
        },
    )
