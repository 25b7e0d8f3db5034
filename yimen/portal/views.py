"""Citizen portal (一网通办): public pages, elderly mode, search, guide, where to go, booking,
remote tickets, case progress, rating and 办不成事 grievances. Every write goes through the
owning app's services (queueing, feedback); the portal only composes pages."""

from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from yimen.catalog import bundles as catalog_bundles
from yimen.core import clock
from yimen.core.errors import DomainError, ValidationFailed
from yimen.core.inputs import form_date
from yimen.core.masking import mask_name
from yimen.guide import selectors as guide_selectors
from yimen.hall.presence import present_outlet

from . import selectors

ELDERLY_COOKIE_AGE = 365 * 24 * 3600


def _render(request, template, ctx, error=None):
    ctx.setdefault("error", error)
    return render(request, template, ctx, status=error.status if error is not None else 200)


def home(request):
    return render(request, "portal/home.html", {"outlets": selectors.outlets_now()[:6]})


@require_POST
def mode(request):
    """Toggle elderly mode (large type, high contrast, plain words); kept in a cookie."""
    on = request.POST.get("elderly") == "1"
    target = request.POST.get("next") or "/portal/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/portal/"
    response = HttpResponseRedirect(target)
    if on:
        response.set_cookie("elderly", "1", max_age=ELDERLY_COOKIE_AGE, samesite="Lax")
    else:
        response.delete_cookie("elderly")
    return response


def search(request):
    q = (request.GET.get("q") or "").strip()
    results, bundles, error = [], [], None
    if q:
        try:
            results = guide_selectors.triage(q, limit=5)
            bundles = catalog_bundles.find_bundles(q)
        except DomainError as exc:
            error = exc
    ctx = {"q": q, "results": results, "bundles": bundles}
    return _render(request, "portal/search.html", ctx, error)


def item(request, code):
    """The item guide, tailored to the situation questions answered (s_<key>=<value>)."""
    it = guide_selectors.get_item(code)
    info = guide_selectors.describe(it)
    error = None
    try:
        answers = catalog_bundles.clean_answers(it, catalog_bundles.answers_from(request.GET))
    except DomainError as exc:
        answers, error = {}, exc
    info["materials"] = catalog_bundles.tailored_materials(it, answers)
    ctx = {
        "item": it,
        "info": info,
        "answers": answers,
        "questions": catalog_bundles.questions_of(it),
        "situation": catalog_bundles.situation_lines(it, answers),
        "guide": catalog_bundles.guide_of(it),
        "bundles": catalog_bundles.bundles_of_item(it),
    }
    return _render(request, "portal/item.html", ctx, error)


def bundle(request, code):
    """一件事 guide: its items, the joint form's fields and the one merged material list."""
    b = catalog_bundles.get_bundle(code)
    return render(request, "portal/bundle.html", {"b": catalog_bundles.bundle_dict(b)})


def outlets(request):
    return render(
        request, "portal/outlets.html", {"rows": selectors.outlets_now(), "now": clock.now()}
    )


@require_http_methods(["GET", "POST"])
def book(request, code):
    it = guide_selectors.get_item(code)
    choices = selectors.bookable_outlets(it)
    outlet_code = (
        request.POST.get("outlet")
        or request.GET.get("outlet")
        or (choices[0]["outlet"].code if choices else "")
    )
    outlet = next((r["outlet"] for r in choices if r["outlet"].code == outlet_code), None)
    days = selectors.booking_days()
    this_year = clock.today().year  # the year where it could be mistaken (booking into January)
    day_labels = [
        (
            d,
            f"{'' if d.year == this_year else f'{d.year}年'}{d.month}月{d.day}日 星期{'一二三四五六日'[d.weekday()]}",
        )
        for d in days
    ]
    day_text = request.POST.get("day") or request.GET.get("day") or ""
    try:
        day = form_date(day_text, "预约日期") or (days[0] if days else None)
    except ValidationFailed:  # a malformed or far-off date: offer the first bookable day
        day = days[0] if days else None
    error = None
    if request.method == "POST":
        from yimen.queueing import services as queue_services

        try:
            if outlet is None:
                raise ValidationFailed("请选择办理网点。", code="outlet_required")
            slot = request.POST.get("slot") or ""
            slot_start = (
                next(
                    (
                        s["start"]
                        for s in selectors.slots(outlet, it, day)
                        if s["start"].isoformat() == slot
                    ),
                    None,
                )
                if day
                else None
            )
            if slot_start is None:
                raise ValidationFailed("请选择一个还有名额的时段。", code="slot_required")
            appt = queue_services.book_appointment(
                outlet,
                it,
                slot_start,
                request.POST.get("name", ""),
                request.POST.get("id_number", ""),
                request.POST.get("phone", ""),
                request=request,
            )
            return redirect("portal:appointment", public_id=appt.public_id)
        except DomainError as exc:
            error = exc
    slot_rows = selectors.slots(outlet, it, day) if outlet is not None and day else []
    return _render(
        request,
        "portal/book.html",
        {
            "item": it,
            "choices": choices,
            "outlet": outlet,
            "days": days,
            "day_labels": day_labels,
            "day": day,
            "slots": slot_rows,
            "form": request.POST if request.method == "POST" else {},
        },
        error,
    )


@require_http_methods(["GET", "POST"])
def appointment(request, public_id):
    from yimen.outreach import selectors as outreach_selectors
    from yimen.queueing import selectors as queue_selectors, services as queue_services

    appt = queue_selectors.holder_appointment(public_id)
    error = None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "cancel":
                queue_services.cancel_appointment(
                    appt,
                    id_number=request.POST.get("id_number", ""),
                    reason="本人在网上取消",
                    request=request,
                )
            elif action == "check_in":
                ticket = queue_services.check_in(
                    appt, present_at=present_outlet(request), request=request
                )
                if ticket is None:
                    raise ValidationFailed(
                        "已超过预约签到时间，预约已爽约，请重新取号。", code="missed"
                    )
                return redirect("portal:ticket", public_id=ticket.public_id)
            else:
                raise ValidationFailed("未知的操作。", code="bad_action")
            return redirect("portal:appointment", public_id=appt.public_id)
        except DomainError as exc:
            error = exc
            appt.refresh_from_db()
    return _render(
        request,
        "portal/appointment.html",
        {
            "appt": appt,
            "masked_name": mask_name(appt.name),
            "sent": outreach_selectors.sent_for(appointment=appt),
            "unsubscribe_token": outreach_selectors.unsubscribe_token_for(appt.phone),
        },
        error,
    )


def appointment_lookup(request):
    code = (request.GET.get("code") or "").strip()
    if code:
        return redirect("portal:appointment", public_id=code)
    return render(request, "portal/appointment_lookup.html", {})


@require_http_methods(["GET", "POST"])
def remote(request, code):
    it = guide_selectors.get_item(code)
    choices = selectors.remote_outlets(it)
    error = None
    if request.method == "POST":
        from yimen.queueing import services as queue_services

        try:
            outlet = next(
                (r["outlet"] for r in choices if r["outlet"].code == request.POST.get("outlet")),
                None,
            )
            if outlet is None:
                raise ValidationFailed("请选择一个现在开放的网点。", code="outlet_required")
            ticket = queue_services.issue_remote_ticket(
                outlet,
                [it],
                id_number=request.POST.get("id_number", ""),
                applicant_name=request.POST.get("name", ""),
                phone=request.POST.get("phone", ""),
                idempotency_key=request.POST.get("form_key") or None,
                request=request,
            )
            return redirect("portal:ticket", public_id=ticket.public_id)
        except DomainError as exc:
            error = exc
    import uuid

    return _render(
        request,
        "portal/remote.html",
        {
            "item": it,
            "choices": choices,
            "form_key": uuid.uuid4().hex,
            "form": request.POST if request.method == "POST" else {},
        },
        error,
    )


@require_http_methods(["GET", "POST"])
def ticket(request, public_id):
    from yimen.feedback import services as feedback_services
    from yimen.queueing import selectors as queue_selectors, services as queue_services

    t = queue_selectors.holder_ticket(public_id)
    error = None
    if request.method == "POST":
        try:
            if request.POST.get("action") == "cancel":  # the holder gives the number back
                queue_services.cancel(t, by_holder=True, request=request)
            else:
                queue_services.check_in_remote(
                    t, present_at=present_outlet(request), request=request
                )
            return redirect("portal:ticket", public_id=t.public_id)
        except DomainError as exc:
            error = exc
    status = queue_selectors.ticket_status(t)
    rate = feedback_services.rating_token(ticket=t) if t.status == "done" else None
    from yimen.outreach import selectors as outreach_selectors

    context = {
        "t": t,
        "s": status,
        "rate_token": rate,
        "sent": outreach_selectors.sent_for(ticket=t),
        "unsubscribe_token": outreach_selectors.unsubscribe_token_for(t.phone),
    }
    return _render(request, "portal/ticket.html", context, error)
