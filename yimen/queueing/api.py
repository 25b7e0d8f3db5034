"""Queue API: issue tickets (kiosks, bank terminals), call and serve (window clerks), boards.
Thin: everything goes through services/selectors; DomainErrors become JSON 4xx (yimen/api.py)."""

from datetime import datetime
from typing import Any

import pydantic
from ninja import Router, Schema, Status

from yimen.core.errors import Forbidden, ValidationFailed
from yimen.core.inputs import ScheduleDate, errors
from yimen.staff.tokens import BearerAuth

from . import selectors, services

router = Router()
auth = BearerAuth()


class TicketIn(Schema):
    item_code: str | None = None
    item_codes: list[str] | None = None
    priority: str | None = None
    id_number: str | None = None
    name: str | None = None
    phone: str | None = None
    queue: str | None = None
    # items of different queues: one ticket for one visit of several stops (else 422 split_required)
    several_queues: bool = False


class StopOut(Schema):
    position: int
    queue: str
    queue_name: str
    item_codes: list[str]
    state: str
    window: str | None = None


class TicketOut(Schema):
    id: int
    public_id: str
    number: str
    queue: str
    status: str
    position: int | None = None
    people_ahead: int | None = None
    estimated_wait_minutes: int | None = None
    window: str | None = None
    priority: str = ""
    items: list[str] = []
    stops: list[StopOut] = []
    next_stop: str | None = None
    status_url: str


class ActionIn(Schema):
    handled_items: list[str] | None = None
    queue: str | None = None
    window: str | None = None
    reason: str | None = None


class SlotOut(Schema):
    start: datetime
    end: datetime
    capacity: int
    booked: int
    available: int


def _principal(request):
    return getattr(request, "principal", None)


def _out(ticket) -> dict:
    status = selectors.ticket_status(ticket)
    return {
        **status,
        "items": [code for _pk, code in selectors.ticket_items(ticket.pk)],
        "status_url": f"/queue/t/{ticket.public_id}/",
    }


def _visible(request, ticket):
    """A device reads its own outlet's tickets; staff what staff.authz lets them see."""
    from yimen.staff import authz

    p = _principal(request)
    if p is None:
        raise Forbidden("无权查看该排队号。")
    if p.device_outlet is not None:
        if p.device_outlet.pk != ticket.outlet_id:
            raise Forbidden("只能查看本网点的排队号。")
        return ticket
    if not authz.can_see(p.staff, ticket):
        raise Forbidden("只能查看本人范围内的排队号。")
    return ticket


@router.post(
    "/outlets/{outlet_id}/tickets",
    auth=auth,
    response={201: TicketOut, **errors(401, 403, 404, 409, 413, 422)},
    summary="取号（Idempotency-Key 重试不会重复取号；同一 Key 用于不同请求 422）",
)
def issue(request, outlet_id: str, payload: TicketIn):
    codes = list(payload.item_codes or [])
    if payload.item_code:
        codes.insert(0, payload.item_code)
    if not codes and not payload.queue:
        raise ValidationFailed("请提供 item_code（事项编码）。", code="no_item")
    ticket = services.issue_ticket(
        outlet_id,
        codes,
        priority=payload.priority or "",
        channel="api",
        actor=_principal(request),
        applicant_name=payload.name or "",
        id_number=payload.id_number or "",
        phone=payload.phone or "",
        idempotency_key=request.headers.get("Idempotency-Key"),
        queue=payload.queue,
        request=request,
        several_queues=payload.several_queues,
    )
    return Status(201, _out(ticket))


@router.post(
    "/windows/{window_id}/call-next",
    auth=auth,
    response={200: TicketOut, 204: None, **errors(401, 403, 404, 409)},
    summary="叫下一个号（无人等候时 204）",
)
def call_next(request, window_id: str):
    ticket = services.call_next(window_id, _principal(request), request=request)
    if ticket is None:
        return Status(204, None)
    return Status(200, _out(ticket))


@router.get(
    "/tickets/{ticket_id}",
    auth=auth,
    response={200: TicketOut, **errors(401, 403, 404)},
    summary="排队号状态",
)
def get_ticket(request, ticket_id: str):
    ticket = _visible(request, selectors.get_ticket(ticket_id))
    return Status(200, _out(ticket))


def _action_payload(request) -> ActionIn:
    """The body is optional (start/recall send none): parse it by hand, 422 when malformed."""
    if request.content_type != "application/json":  # no body, or an HTML form
        form = request.POST
        return ActionIn(
            handled_items=form.getlist("handled_items") or None,
            queue=form.get("queue") or None,
            window=form.get("window") or None,
            reason=form.get("reason") or None,
        )
    raw = (request.body or b"").strip()
    if not raw:
        return ActionIn()
    try:
        return ActionIn.model_validate_json(raw)
    except pydantic.ValidationError as exc:
        problems = "；".join(
            f"{'.'.join(str(p) for p in e.get('loc', [])) or '请求'}：{e.get('msg')}"
            for e in exc.errors()
        )
        raise UnprocessableBody(f"请求数据不合法：{problems}", code="invalid")


class UnprocessableBody(ValidationFailed):
    status = 422


ACTION_BODY = {
    "requestBody": {
        "required": False,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "handled_items": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "finish：实际办理事项编码",
                        },
                        "queue": {"type": "string", "description": "transfer：转入队列编码"},
                        "window": {
                            "type": "string",
                            "description": "transfer / call：窗口编码或 id",
                        },
                        "reason": {
                            "type": "string",
                            "description": "transfer / call / no-show / reactivate / cancel：原因",
                        },
                    },
                }
            }
        },
    }
}


ACTIONS = {
    "start",
    "finish",
    "recall",
    "no-show",
    "transfer",
    "reactivate",
    "cancel",
    "call",
    "check-in",
}


@router.post(
    "/tickets/{ticket_id}/{action}",
    auth=auth,
    response={200: TicketOut, **errors(401, 403, 404, 409, 413)},
    summary="排队号操作：start / finish / recall / no-show / transfer / reactivate / cancel / call / check-in",
    openapi_extra=ACTION_BODY,
)
def ticket_action(request, ticket_id: str, action: str):
    payload = _action_payload(request)
    if action not in ACTIONS:
        raise ValidationFailed(
            f"不支持的操作：{action}（可用：{'、'.join(sorted(ACTIONS))}）。", code="bad_action"
        )
    actor = _principal(request)
    # start/finish lock the ticket by id themselves: no separate read before the transaction
    ticket = ticket_id if action in ("start", "finish") else selectors.get_ticket(ticket_id)
    if action == "start":
        ticket = services.start(ticket, actor, request=request)
    elif action == "finish":
        ticket = services.finish(ticket, actor, payload.handled_items, request=request)
    elif action == "recall":
        ticket = services.recall(ticket, actor, request=request)
    elif action == "no-show":
        ticket = services.mark_no_show(ticket, actor, payload.reason or "", request=request)
    elif action == "transfer":
        ticket = services.transfer(
            ticket,
            actor,
            queue=payload.queue,
            window=payload.window,
            reason=payload.reason or "",
            request=request,
        )
    elif action == "reactivate":
        ticket = services.reactivate(ticket, actor, payload.reason or "", request=request)
    elif action == "cancel":
        ticket = services.cancel(ticket, actor, payload.reason or "", request=request)
    elif action == "call":
        if not payload.window:
            raise ValidationFailed("请提供 window（窗口编号）。", code="bad_target")
        ticket = services.call_specific(
            ticket, payload.window, actor, payload.reason or "", request=request
        )
    elif action == "check-in":
        _visible(request, ticket)
        ticket = services.check_in_remote(ticket, actor=actor, request=request)
    return Status(200, _out(ticket))


@router.get(
    "/outlets/{outlet_id}/board",
    response={200: dict[str, Any], **errors(404)},
    summary="网点叫号大屏数据（仅含脱敏信息）",
)
def board(request, outlet_id: str):
    data = selectors.board(outlet_id)
    return data


@router.get(
    "/outlets/{outlet_id}/appointment-slots",
    response={200: list[SlotOut], **errors(404)},
    summary="可预约时段（工作日，办公时间内）",
)
def slots(request, outlet_id: str, item_code: str, day: ScheduleDate):
    return Status(200, selectors.available_slots(outlet_id, item_code, day))
