"""Queue pages: kiosk (取号机), ticket printout + live status, window console, hall board (SSE)."""

import asyncio
import json
import time

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from yimen.core.errors import DomainError, Forbidden
from yimen.core.masking import mask_name
from yimen.core.qr import qr_svg
from yimen.core.validators import parse_id
from yimen.outlets import selectors as outlet_selectors
from yimen.outlets.models import Outlet, Window
from yimen.staff import authz, selectors as staff_selectors, services as staff_services

from . import notify, selectors, services
from .models import PRIORITY_CHOICES, Queue, Ticket, TicketEvent

BOARD_STREAM_SECONDS = (
    300  # each SSE connection ends after this; the browser reconnects and resumes
)


def index(request):
    outlets = (
        Outlet.objects.filter(active=True, queues__isnull=False).distinct().order_by("kind", "code")
    )
    return render(request, "queueing/index.html", {"outlets": outlets})


# --- kiosk ------------------------------------------------------------------------------------


def _kiosk_groups(outlet):
    groups = []
    for info in selectors.queue_infos(outlet):
        if info.kind == selectors.GREEN:
            continue
        items = sorted(
            (i for i in outlet.items.filter(active=True) if info.accepts(i)), key=lambda i: i.code
        )
        groups.append({"queue": info.queue, "kind": info.kind, "items": items})
    return groups


def kiosk(request, outlet_code):
    from yimen.hall import devices, idcard, slips
    from yimen.hall.views import check_in_by_code, presence_payload

    outlet = selectors.get_outlet(outlet_code)
    device = devices.device_at(request, outlet)  # a paired kiosk of this outlet (hall/devices.py)
    error = None
    if request.method == "POST":
        try:
            if request.POST.get("action") == "check_in":
                if device is None:
                    raise Forbidden(services.NOT_AT_OUTLET, code="not_at_outlet")
                ticket = check_in_by_code(outlet, request.POST.get("arrival", ""), request=request)
            elif request.POST.get("action") == "several":
                # 办好几件事: one ticket, its stops in the queues that take them (S04)
                card = idcard.take(device, request.POST.get("card", "")) if device else None
                ticket = services.issue_ticket(
                    outlet,
                    [c for c in request.POST.getlist("items") if c][:10],
                    priority=request.POST.get("priority", ""),
                    id_number=card.id_number if card else request.POST.get("id_number", ""),
                    applicant_name=card.name if card else "",
                    channel="kiosk",
                    request=request,
                    several_queues=True,
                )
            else:
                item = request.POST.get("item") or ""
                queue = request.POST.get("queue") or None
                card = idcard.take(device, request.POST.get("card", "")) if device else None
                ticket = services.issue_ticket(
                    outlet,
                    [item] if item else [],
                    queue=None if item else queue,
                    priority=request.POST.get("priority", ""),
                    id_number=card.id_number if card else request.POST.get("id_number", ""),
                    applicant_name=card.name if card else "",
                    channel="kiosk",
                    request=request,
                )
            printed, message = slips.print_on_device(
                ticket, slips.status_url(request, ticket), device
            )
            if message and not printed:
                messages.warning(request, message)
            url = reverse("queueing:ticket_print", args=[ticket.public_id])
            return redirect(f"{url}?kiosk=1&printed={int(printed)}")
        except DomainError as exc:
            error = exc
    schedule = outlet_selectors.schedule_for(outlet)
    from yimen.core import clock

    now = clock.now()
    open_now = schedule.is_open(now)
    return render(
        request,
        "queueing/kiosk.html",
        {
            "outlet": outlet,
            "groups": _kiosk_groups(outlet),
            "priorities": PRIORITY_CHOICES[1:],
            "error": error,
            "open_now": open_now,
            "next_opening": None if open_now else selectors.format_when(schedule.next_opening(now)),
            "closes_at": schedule.closes_at(now) if open_now else None,
            "device": device,
            "presence": presence_payload(request, outlet) if device else None,
        },
        status=error.status if error else 200,
    )


KIOSK_RETURN_SECONDS = 8  # the slip page goes back to the kiosk's start screen after this


def _qr_svg(url: str) -> str:
    return qr_svg(url, scale=5, dark="#111")


def ticket_print(request, public_id):
    ticket = selectors.holder_ticket(public_id)
    status_url = request.build_absolute_uri(
        reverse("queueing:ticket_status", args=[ticket.public_id])
    )
    kiosk = request.GET.get("kiosk") == "1"
    return render(
        request,
        "queueing/ticket_print.html",
        {
            "ticket": ticket,
            "status": selectors.ticket_status(ticket),
            "qr": _qr_svg(status_url),
            "status_url": status_url,
            "items": ticket.items.all(),
            "kiosk": kiosk,
            "printed": request.GET.get("printed") == "1",
            "autoprint": request.GET.get("printed") != "1"
            and (kiosk or request.GET.get("from") == "desk"),
            "return_seconds": KIOSK_RETURN_SECONDS,
        },
    )


def ticket_status(request, public_id):
    ticket = selectors.holder_ticket(public_id)
    if request.method == "POST" and request.POST.get("action") == "cancel":
        try:
            services.cancel(ticket, by_holder=True, request=request)
            messages.success(request, f"{ticket.number} 号已取消。")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("queueing:ticket_status", public_id=ticket.public_id)
    template = (
        "queueing/_status.html"
        if request.headers.get("HX-Request")
        else "queueing/ticket_status.html"
    )
    from yimen.outreach import selectors as outreach_selectors

    return render(
        request,
        template,
        {
            "ticket": ticket,
            "status": selectors.ticket_status(ticket),
            "items": ticket.items.all(),
            "sent": outreach_selectors.sent_for(ticket=ticket),
            "unsubscribe_token": outreach_selectors.unsubscribe_token_for(ticket.phone),
        },
    )


# --- staff: one ticket (read) ---------------------------------------------------------------


@login_required
def ticket_detail(request, pk):
    """A ticket for staff within their scope (staff.authz.visible_to); 404 outside it."""
    from yimen.staff import authz

    staff = _staff(request)
    ticket = authz.get_visible(
        staff, Ticket.objects.select_related("outlet", "queue", "window"), "找不到该排队号。", pk=pk
    )
    return render(
        request,
        "queueing/ticket_detail.html",
        {
            "ticket": ticket,
            "name": mask_name(ticket.applicant_name),
            "items": list(ticket.items.all()),
            "events": list(ticket.events.select_related("window")),
        },
    )


# --- window console ---------------------------------------------------------------------------


def _staff(request):
    return authz.request_staff(request, "只有工作人员可以使用窗口叫号台。")


@login_required
def console(request):
    staff = _staff(request)
    session = staff_selectors.session_of(staff)
    if session is None:
        windows = Window.objects.filter(
            outlet_id=staff.outlet_id,
            active=True,
            kind__in=["综合窗口", "绿色通道", "专业窗口", "银行网点", "帮办代办", "办不成事窗口"],
        )
        return render(request, "queueing/console_signin.html", {"staff": staff, "windows": windows})
    window = session.window
    current = (
        Ticket.objects.filter(window=window, status__in=Ticket.ACTIVE_STATES)
        .select_related("queue")
        .prefetch_related("items")
        .first()
    )
    current_items, current_next = [], None
    if current is not None:  # a visit of several stops: this stop's items, and where it goes next
        current_items = selectors.current_leg_items(current)
        following = selectors.next_stop(selectors.legs_of(current))
        current_next = following["queue_name"] if following else None
    order = selectors.dispatch_order(window)
    today = selectors.local_date()
    no_shows = Ticket.objects.filter(
        outlet_id=window.outlet_id,
        service_date=today,
        status=Ticket.NO_SHOW,
        queue__window_group=window.group_code,
    ).order_by("-called_at")[:10]
    done_today = Ticket.objects.filter(
        window=window, service_date=today, status=Ticket.DONE
    ).count()
    # tickets that came back to the line when a window closed with them in hand (its reason shown)
    returned = dict(
        TicketEvent.objects.filter(ticket_id__in=[t.pk for t, _r in order], action="requeue")
        .order_by("pk")
        .values_list("ticket_id", "reason")
    )
    sessions = selectors.hall_sessions(window.outlet_id)
    others = Window.objects.filter(
        outlet_id=window.outlet_id,
        active=True,
        kind__in=["综合窗口", "绿色通道", "专业窗口", "银行网点", "帮办代办", "办不成事窗口"],
    ).exclude(pk=window.pk)
    return render(
        request,
        "queueing/console.html",
        {
            "staff": staff,
            "session": session,
            "window": window,
            "current": current,
            "current_name": mask_name(current.applicant_name) if current else "",
            "current_items": current_items,
            "current_next": current_next,
            "waiting": [
                {
                    "ticket": t,
                    "reason": r,
                    "name": mask_name(t.applicant_name),
                    "returned": returned.get(t.pk),
                }
                for t, r in order
            ],
            "no_shows": no_shows,
            "done_today": done_today,
            "queues": Queue.objects.filter(outlet_id=window.outlet_id, active=True).exclude(
                window_group=window.group_code
            ),
            "windows": [
                {"window": w, "state": sessions.get(w.pk, (None, "closed"))[1]} for w in others
            ],
        },
    )


@login_required
@require_POST
def console_action(request):
    staff = _staff(request)
    action = request.POST.get("action", "")
    try:
        if action == "sign_in":
            window = selectors.get_window(request.POST.get("window", ""), outlet=staff.outlet)
            staff_services.sign_in_window(staff, window, request=request)
            messages.success(request, f"已签到 {window.number} 号窗口。")
            return redirect("queueing:console")
        if action in ("sign_out", "sign_out_return"):
            returning = action == "sign_out_return"
            staff_services.sign_out_window(staff, return_ticket=returning, request=request)
            messages.success(
                request,
                "已将本窗口的号退回队列（按原顺序等候），已签退。" if returning else "已签退。",
            )
            return redirect("queueing:console")
        session = staff_selectors.session_of(staff)
        if session is None:
            raise Forbidden("请先签到窗口。")
        window = session.window
        ticket_id = request.POST.get("ticket", "")
        reason = request.POST.get("reason", "")
        if action == "call_next":
            ticket = services.call_next(window, staff, request=request)
            if ticket is None:
                messages.info(request, "当前没有等候的号。")
            else:
                messages.success(request, f"已呼叫 {ticket.number}。")
        elif action == "call_specific":
            ticket = services.call_specific(ticket_id, window, staff, reason, request=request)
            messages.success(request, f"已跳号呼叫 {ticket.number}。")
        elif action == "recall":
            ticket = services.recall(ticket_id, staff, request=request)
            messages.success(
                request,
                f"{ticket.number}：{'已过号' if ticket.status == Ticket.NO_SHOW else '已重呼'}。",
            )
        elif action == "start":
            ticket = services.start(ticket_id, staff, request=request)
            messages.success(request, f"{ticket.number} 开始办理。")
        elif action == "finish":
            ticket = services.finish(
                ticket_id, staff, request.POST.getlist("handled") or None, request=request
            )
            if ticket.status == Ticket.WAITING:  # a visit of several queues: on to its next stop
                messages.success(
                    request, f"{ticket.number} 本站已办结，已排入下一站：{ticket.queue.name}。"
                )
            else:
                messages.success(request, f"{ticket.number} 已办结。")
        elif action == "no_show":
            ticket = services.mark_no_show(ticket_id, staff, reason, request=request)
            messages.success(request, f"{ticket.number} 已标记过号。")
        elif action == "reactivate":
            ticket = services.reactivate(ticket_id, staff, reason, request=request)
            messages.success(request, f"{ticket.number} 已恢复排队。")
        elif action == "transfer":
            target = request.POST.get("target", "")
            kind, _, code = target.partition(":")
            ticket = services.transfer(
                ticket_id,
                staff,
                queue=code if kind == "q" else None,
                window=code if kind == "w" else None,
                reason=reason,
                request=request,
            )
            messages.success(request, f"{ticket.number} 已转办。")
        else:
            messages.error(request, "未知操作。")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("queueing:console")


# --- board ------------------------------------------------------------------------------------


def board(request, outlet_code):
    from yimen.hall import devices
    from yimen.hall.views import presence_payload

    outlet = selectors.get_outlet(outlet_code)
    data = selectors.board(outlet)
    paired = devices.device_at(request, outlet) is not None  # shows the hall's presence QR
    return render(
        request,
        "queueing/board.html",
        {
            "outlet": outlet,
            "board": data,
            "board_json": json.dumps(data, ensure_ascii=False),
            "presence": presence_payload(request, outlet) if paired else None,
        },
    )


def _events_payload(outlet_id, after_id, live=False):
    events = selectors.board_events_after(outlet_id, after_id)
    if not events:
        return None, after_id
    if live:  # call → board lag for /metrics (not the backlog sent when a board connects)
        from yimen.ops.metrics import observe_board_lag

        observe_board_lag(e.at for e in events if e.action in selectors.CALL_ACTIONS)
    calls = [selectors.call_payload(e) for e in events if e.action in selectors.CALL_ACTIONS]
    outlet = Outlet.objects.get(pk=outlet_id)
    return {"calls": calls, "board": selectors.board(outlet)}, events[-1].pk


def _sse(event_id, event, data) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def board_events(request, outlet_code):
    """Server-Sent Events for a hall board. Resumes after `Last-Event-ID` (TicketEvent ids).
    Wakes on the change notifier (in-process and PostgreSQL NOTIFY); polls the database as a fallback."""
    outlet = await sync_to_async(selectors.get_outlet, thread_sensitive=False)(outlet_code)
    raw_last = request.headers.get("Last-Event-ID") or request.GET.get("last_event_id") or ""
    last = parse_id(raw_last, minimum=0)
    if last is None:
        last = await sync_to_async(selectors.latest_event_id, thread_sensitive=False)(outlet.pk)

    async def stream():
        nonlocal last
        yield "retry: 1000\n\n"
        payload, last = await sync_to_async(_events_payload, thread_sensitive=False)(
            outlet.pk, last
        )
        if payload is None:
            payload = {
                "calls": [],
                "board": await sync_to_async(selectors.board, thread_sensitive=False)(outlet),
            }
        yield _sse(last, "board", payload)
        seen = notify.version(outlet.pk)
        polled = time.monotonic()
        beat = time.monotonic()
        deadline = time.monotonic() + BOARD_STREAM_SECONDS
        while time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            version = notify.version(outlet.pk)
            now = time.monotonic()
            if version == seen and now - polled < notify.poll_seconds():
                if now - beat > 15:
                    beat = now
                    yield ": keep-alive\n\n"
                continue
            seen, polled = version, now
            payload, new_last = await sync_to_async(_events_payload, thread_sensitive=False)(
                outlet.pk, last, True
            )
            if payload is not None:
                last = new_last
                yield _sse(last, "board", payload)

    response = StreamingHttpResponse(stream(), content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
