"""`/hall/idcard/<outlet>/`: the reader bridge posts a card (Bearer token); the kiosk, desk or
window page polls for it (paired-device cookie or staff session). JSON, Chinese errors."""

from __future__ import annotations

import json

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from yimen.core.errors import Unauthorized, ValidationFailed
from yimen.staff import authz
from yimen.staff.tokens import Principal, authenticate_token

from . import devices, idcard
from .views import _outlet, json_view

MAX_BODY = 8 * 1024


def _json(data, status=200) -> JsonResponse:
    response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt  # the bridge authenticates with a Bearer token, never with cookies
@json_view
def read_card(request, outlet_code):
    outlet = _outlet(outlet_code)
    if request.method == "POST":
        header = request.headers.get("Authorization", "")
        raw = header[7:].strip() if header.lower().startswith("bearer ") else ""
        token = authenticate_token(raw)
        if token is None:
            raise Unauthorized("读卡桥接需要有效的令牌（Authorization: Bearer <token>）。")
        if len(request.body) > MAX_BODY:
            raise ValidationFailed("读卡数据过大。", code="too_large")
        try:
            data = json.loads(request.body.decode("utf-8") or "null")
        except (UnicodeDecodeError, ValueError):
            raise ValidationFailed("读卡数据不是合法的 JSON。", code="bad_json") from None
        principal = Principal(staff=token.staff, device_outlet=token.device_outlet, token=token)
        read = idcard.deliver(principal, outlet, data, request=request)
        return _json({"read_id": read.pk}, status=201)
    if request.method != "GET":
        return _json({"code": "method_not_allowed", "message": "只支持 GET 和 POST。"}, 405)
    device = devices.device_at(request, outlet)
    if device is not None and device.kind != "desk":
        # a public kiosk: masked name, age, priority; the ticket form takes the read itself
        read = idcard.pending(f"token:{device.token_id}", outlet)
        return _json({"card": idcard.kiosk_view(read, outlet) if read else None})
    if not request.user.is_authenticated:
        raise Unauthorized("请在已配对的设备上使用，或以工作人员身份登录。")
    # staff: the guide desk's reader (the paired desk's token) or the clerk's own (staff token)
    staff = authz.request_staff(request)
    authz.authorize(staff, "hall.card", outlet=outlet.pk)
    key = f"token:{device.token_id}" if device is not None else f"staff:{staff.pk}"
    read = idcard.pending(key, outlet)
    if read is None:
        return _json({"card": None})
    idcard.take_read(key, read.pk)
    return _json({"card": idcard.staff_view(read)})
