"""Pages of 好差评: the public rating pages (by the slip's token, at a window's rating QR), the
feedback dashboard (台账 of grievances and rectifications) and a rectification's detail page.
Thin: parse the form, call a service, render; a DomainError re-renders the form with the message
and the typed values."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from yimen.core import clock
from yimen.core.errors import DomainError, Forbidden, NotFound, Unauthorized
from yimen.core.masking import mask_name, mask_phone
from yimen.outlets.models import Outlet, Window
from yimen.staff import authz
from yimen.staff.authz import authorize, check, staff_of

from .. import rules, selectors, services
from ..models import Rectification
from .grievances import _staff

RECENT_MINUTES = 30


# --- rating pages (public) ----------------------------------------------------------------------
def _rating_form_values(request):
    return {
        "score": request.POST.get("score", ""),
        "reasons": request.POST.getlist("reasons"),
        "comment": request.POST.get("comment", ""),
        "callback_phone": request.POST.get("callback_phone", ""),
    }


def _rating_context(subject_obj, subject, state, **extra):
    ctx = {
        "subject": subject,
        "obj": subject_obj,
        "state": state,
        "scores": rules.SCORE_CHOICES,
        "reasons": rules.REASON_CHOICES,
        "bad_max": rules.BAD_SCORE_MAX,
    }
    if subject == "ticket":
        ctx["items"] = list(subject_obj.handled_items.all()) or list(subject_obj.items.all())
        ctx["staff_name"] = (
            mask_name(subject_obj.served_by.name) if subject_obj.served_by_id else ""
        )
    else:
        ctx["items"] = [subject_obj.item]
    ctx.update(extra)
    return ctx


def rate(request, token):
    """扫码评价: the QR code on a ticket slip or a notice leads here."""
    subject, obj = services.resolve_rating_token(token)
    kwargs = {"ticket": obj} if subject == "ticket" else {"case": obj}
    if request.method == "POST":
        try:
            services.submit_rating(
                **kwargs,
                score=request.POST.get("score"),
                reasons=request.POST.getlist("reasons"),
                comment=request.POST.get("comment", ""),
                callback_phone=request.POST.get("callback_phone", ""),
                channel="qr",
                request=request,
            )
        except DomainError as exc:
            ctx = _rating_context(
                obj,
                subject,
                services.rating_state(**kwargs),
                error=exc.message,
                posted=_rating_form_values(request),
            )
            return render(request, "feedback/rate.html", ctx, status=exc.status)
        return redirect(reverse("feedback:rate", args=[token]) + "?done=1")
    ctx = _rating_context(
        obj,
        subject,
        services.rating_state(**kwargs),
        done=request.GET.get("done") == "1",
        posted={"reasons": []},
    )
    return render(request, "feedback/rate.html", ctx)


def _window_by_code(code: str) -> Window:
    windows = list(Window.objects.select_related("outlet").filter(code=code, active=True)[:2])
    if len(windows) != 1:
        raise NotFound(f"找不到窗口：{code}")
    return windows[0]


def window_rate(request, window_code):
    """窗口评价器: the tablet on the counter shows the ticket the window has just finished. It runs
    in the session of the clerk signed in at that window (authz: window-bound), so nobody else —
    least of all an anonymous caller elsewhere — can see that ticket or rate it."""
    window = _window_by_code(window_code)
    if not request.user.is_authenticated:
        raise Unauthorized("评价器须由本窗口已签到的工作人员登录后使用。")
    authorize(staff_of(request.user), "feedback.rating.tablet", window, window=window)
    ticket = selectors.just_finished_ticket(window, RECENT_MINUTES)
    if request.method == "POST":
        if ticket is None or str(ticket.pk) != request.POST.get("ticket"):
            return render(
                request,
                "feedback/window_rate.html",
                {
                    "window": window,
                    "ticket": None,
                    "error": "该号已超过评价时间或不是本窗口刚办结的号，请扫码评价。",
                },
                status=409,
            )
        try:
            services.submit_rating(
                ticket=ticket,
                score=request.POST.get("score"),
                reasons=request.POST.getlist("reasons"),
                comment=request.POST.get("comment", ""),
                callback_phone=request.POST.get("callback_phone", ""),
                channel="window",
                request=request,
            )
        except DomainError as exc:
            ctx = _rating_context(
                ticket,
                "ticket",
                services.rating_state(ticket=ticket),
                window=window,
                ticket=ticket,
                error=exc.message,
                posted=_rating_form_values(request),
            )
            return render(request, "feedback/window_rate.html", ctx, status=exc.status)
        return redirect(reverse("feedback:window_rate", args=[window.code]) + "?done=1")
    ctx = {
        "window": window,
        "ticket": ticket,
        "done": request.GET.get("done") == "1",
        "posted": {"reasons": []},
        "refresh_seconds": 15,
    }
    if ticket is not None:
        ctx.update(
            _rating_context(
                ticket,
                "ticket",
                services.rating_state(ticket=ticket),
                window=window,
                ticket=ticket,
                done=ctx["done"],
                posted={"reasons": []},
            )
        )
    return render(request, "feedback/window_rate.html", ctx)


def _callback_contact(rating) -> tuple | None:
    """(object, field) of the phone to call back: the one left with the 差评, else the ticket's
    or the case's own."""
    if rating.callback_phone:
        return rating, "callback_phone"
    if rating.ticket_id and rating.ticket.phone:
        return rating.ticket, "phone"
    if rating.case_id and rating.case.applicant_phone:
        return rating.case, "applicant_phone"
    return None


# --- staff pages ------------------------------------------------------------------------------------
def _outlet_scope(staff, request):
    """The outlet a page shows: ?outlet=CODE among the outlets the viewer may see (403 outside
    them); by default the viewer's own outlet, or all of their scope (leaders, admins)."""
    code = (request.GET.get("outlet") or "").strip()
    if code:
        outlet = authz.visible_to(staff, Outlet.objects.all()).filter(code=code).first()
        if outlet is None:
            raise Forbidden("无权查看该网点的台账。")
        return outlet
    return staff.outlet if authz.scope_of(staff)[0] == authz.OUTLET else None


@login_required
def dashboard(request):
    staff = _staff(request)
    full = authz.check_role(staff, "feedback.dashboard")
    if not full:
        authz.authorize_role(staff, "feedback.grievance.view")
    outlet = _outlet_scope(staff, request)
    rows = selectors.grievance_rows(staff, outlet)
    ctx = {
        "staff": staff,
        "outlet": outlet,
        "full": full,
        "grievance_groups": selectors.grievances_by_level(rows),
        "grievance_count": len(rows),
        "overdue_grievances": [r for r in rows if r.overdue],
        "can_intake": outlet is not None and check(staff, "feedback.grievance.intake", outlet),
        "outlets": (
            authz.visible_to(
                staff, Outlet.objects.filter(kind__in=["district_centre", "city_centre"])
            )
            if authz.scope_of(staff)[0] in (authz.ALL, authz.REGION)
            else []
        ),
    }
    if full:
        ctx["rectifications"] = selectors.rectification_rows(staff, outlet)
        ctx["summary"] = selectors.summary(staff, outlet)
    return render(request, "feedback/dashboard.html", ctx)


@login_required
def rectification_detail(request, pk):
    staff = _staff(request)
    rect = (
        Rectification.objects.select_related(
            "rating__ticket", "rating__item", "outlet", "window", "department", "staff"
        )
        .filter(pk=pk)
        .first()
    )
    if rect is None or not authz.can_see(staff, rect):
        raise Http404
    error, posted, revealed = "", {}, ""
    contact = _callback_contact(rect.rating)
    if request.method == "POST" and request.POST.get("action") == "reveal_contact":
        from yimen.staff import services as staff_services

        try:  # the full number for the callback: audited, refused ones too
            revealed = (
                staff_services.reveal(
                    staff,
                    contact[0],
                    contact[1],
                    reason=request.POST.get("reason", ""),
                    outlet=rect.outlet,
                    request=request,
                )
                if contact
                else ""
            )
        except DomainError as exc:
            error = exc.message
    elif request.method == "POST":
        posted = request.POST
        try:
            services.act_on_rectification(
                rect,
                staff,
                request.POST.get("action", ""),
                request.POST.get("note", ""),
                reported_back=request.POST.get("reported_back") == "on",
                request=request,
            )
            return redirect("feedback:rectification", pk=rect.pk)
        except DomainError as exc:
            error = exc.message
            rect.refresh_from_db()
    today = clock.today()
    actions = [a for a, targets in rules.RECTIFICATION_TRANSITIONS.items() if rect.state in targets]
    ctx = {
        "rect": rect,
        "rating": rect.rating,
        "steps": rect.steps.select_related("by"),
        "actions": actions,
        "action_labels": rules.RECTIFICATION_ACTION_LABELS,
        "error": error,
        "posted": posted,
        "contact_masked": mask_phone(getattr(*contact)) if contact else "",
        "contact_source": "评价时留的回访电话"
        if contact and contact[1] == "callback_phone"
        else "取号/申请时留的电话",
        "revealed_contact": revealed,
        "flags": rules.rectification_flags(
            rect.state, today, rect.callback_due, rect.rectify_due, bool(rect.callback_note)
        ),
    }
    return render(request, "feedback/rectification.html", ctx, status=400 if error else 200)
