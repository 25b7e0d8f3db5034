"""Hall device pages: pairing, the presence QR and the scan landing page, the boards' voice,
printing a slip at the desk, and the ID-card reader's hand-over (idcard_views)."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yimen.core import clock
from yimen.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from yimen.core.http_errors import json_error
from yimen.core.qr import qr_svg
from yimen.outlets.models import Outlet
from yimen.queueing import selectors as queue_selectors
from yimen.staff import authz

from . import devices, presence, slips, voice


def json_view(view):
    """A JSON endpoint: a DomainError is {"code","message"} with its 4xx, never a 500."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            return json_error(exc.status, exc.code, exc.message)

    return wrapped


def _outlet(code: str) -> Outlet:
    outlet = Outlet.objects.filter(code=(code or "")[:40], active=True).first()
    if outlet is None:
        raise NotFound("找不到该网点。", code="unknown_outlet")
    return outlet


# --- pairing ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def pair(request):
    staff = authz.request_staff(request, "只有工作人员可以配对大厅设备。")
    outlets = Outlet.objects.filter(active=True).order_by("kind", "code")
    if staff.outlet_id:
        outlets = outlets.filter(pk=staff.outlet_id)
    error = None
    if request.method == "POST":
        try:
            outlet = _outlet(request.POST.get("outlet", ""))
            device, value = devices.pair(
                staff,
                outlet,
                request.POST.get("kind", ""),
                request.POST.get("name", ""),
                request.POST.get("printer", ""),
                request=request,
            )
            target = {
                "kiosk": reverse("queueing:kiosk", args=[outlet.code]),
                "board": reverse("queueing:board", args=[outlet.code]),
                "desk": reverse("guide:desk") + f"?outlet={outlet.code}",
            }[device.kind]
            response = render(
                request,
                "hall/paired.html",
                {
                    "device": device,
                    "kind_label": devices.KINDS[device.kind],
                    "target": target,
                    "server": request.build_absolute_uri("/").rstrip("/"),
                    "raw_token": devices.token_of(value),
                },
            )
            response.set_cookie(
                devices.COOKIE,
                value,
                max_age=devices.COOKIE_AGE,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
            return response
        except DomainError as exc:
            error = exc
    return render(
        request,
        "hall/pair.html",
        {
            "outlets": outlets,
            "kinds": devices.KINDS,
            "device": devices.device_of(request),
            "error": error,
            "form": request.POST,
        },
        status=error.status if error else 200,
    )


@require_POST
def unpair(request):
    response = redirect("hall:pair")
    response.delete_cookie(devices.COOKIE)
    return response


# --- presence ---------------------------------------------------------------------------------


def presence_payload(request, outlet: Outlet) -> dict:
    now = clock.now()
    code = presence.code_for(outlet.pk, now)
    url = request.build_absolute_uri(reverse("hall:here", args=[outlet.code, code]))
    return {
        "code": code,
        "url": url,
        "svg": qr_svg(url, scale=4, dark="#111"),
        "seconds_left": presence.seconds_left(now),
    }


@require_GET
@json_view
def presence_code(request, outlet_code):
    """The hall's current presence QR, for the outlet's paired boards and kiosks only."""
    outlet = _outlet(outlet_code)
    if devices.device_at(request, outlet) is None:
        raise Forbidden("只有本网点已配对的叫号屏或取号机才能显示签到二维码。", code="not_a_device")
    response = JsonResponse(
        presence_payload(request, outlet), json_dumps_params={"ensure_ascii": False}
    )
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def here(request, outlet_code, code):
    """Landing page of the hall QR: the browser is now known to be at the outlet."""
    outlet = _outlet(outlet_code)
    now = clock.now()
    valid = presence.verify(outlet.pk, code, now)
    present = valid or presence.present_outlet(request) == outlet.pk
    error, ticket = None, None
    if request.method == "POST" and present:
        try:
            ticket = check_in_by_code(outlet, request.POST.get("arrival", ""), request=request)
        except DomainError as exc:
            error = exc
    response = render(
        request,
        "hall/here.html",
        {
            "outlet": outlet,
            "present": present,
            "error": error,
            "ticket": ticket,
            "minutes": presence.PRESENCE_MINUTES,
        },
        status=error.status if error else (200 if present else 403),
    )
    if valid:
        response.set_cookie(
            presence.COOKIE,
            presence.cookie_value(outlet.pk, now),
            max_age=presence.PRESENCE_MINUTES * 60,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


def check_in_by_code(outlet: Outlet, code: str, *, request=None):
    """Check in the booking (预约编号) or remote ticket (凭条编号) `code` of a person present at
    `outlet` (scanned hall code, or at the outlet's kiosk). Returns the ticket."""
    from yimen.queueing import services as queue_services
    from yimen.queueing.models import Appointment, Ticket

    code = (code or "").strip()
    if not 12 <= len(code) <= 24:
        raise ValidationFailed("请输入完整的预约编号或远程取号凭条编号。", code="code_required")
    appt = Appointment.objects.filter(public_id=code).first()
    if appt is not None:
        if appt.outlet_id != outlet.pk:
            raise ValidationFailed("该预约不在本网点，请到预约的网点签到。", code="other_outlet")
        ticket = queue_services.check_in(appt, present_at=outlet.pk, request=request)
        if ticket is None:
            raise ValidationFailed("已超过预约签到时间，预约已爽约，请重新取号。", code="missed")
        return ticket
    ticket = Ticket.objects.filter(public_id=code, outlet=outlet).first()
    if ticket is None:
        raise NotFound("找不到该预约或远程号，请核对编号。", code="not_found")
    return queue_selectors.get_ticket(
        queue_services.check_in_remote(ticket, present_at=outlet.pk, request=request)
    )


# --- voice ------------------------------------------------------------------------------------


@require_GET
def voice_call(request, number, window):
    """The WAV of one call ("请 A012 号到 203 号窗口办理", chime, twice)."""
    try:
        data = voice.announcement_wav(number, window)
    except voice.BadAnnouncement as exc:
        return json_error(400, "bad_announcement", str(exc))
    response = HttpResponse(data, content_type="audio/wav")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_GET
def voice_closed(request):
    response = HttpResponse(voice.closed_wav(), content_type="audio/wav")
    response["Cache-Control"] = "public, max-age=86400"
    return response


# --- printing at the desk ---------------------------------------------------------------------


@login_required
@require_POST
def print_slip(request, public_id):
    """Print a ticket's slip on this desk's thermal printer; without one, the browser prints."""
    staff = authz.request_staff(request, "只有工作人员可以打印凭条。")
    ticket = queue_selectors.get_ticket(public_id) if 12 < len(public_id) <= 24 else None
    if ticket is None:
        raise NotFound("找不到该排队号。")
    authz.authorize(staff, "hall.print", outlet=ticket.outlet_id)
    device = devices.device_at(request, ticket.outlet)
    printed, message = slips.print_on_device(ticket, slips.status_url(request, ticket), device)
    if printed:
        messages.success(request, f"{ticket.number}：{message}")
        back = request.POST.get("next") or ""
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = reverse("guide:desk")
        return redirect(back)
    if message:
        messages.warning(request, message)
    return redirect(reverse("queueing:ticket_print", args=[ticket.public_id]) + "?from=desk")
