"""Delivery receipts pushed by the providers (状态报告回执).

    POST /notify/receipts/aliyun?token=<YIMEN_SMS_RECEIPT_SECRET>    (Alibaba Cloud SmsReport)
    POST /notify/receipts/tencent?token=<YIMEN_SMS_RECEIPT_SECRET>   (Tencent Cloud callback)

The providers cannot sign their pushes with our key, so the URL carries a shared secret
(compared in constant time). Each report names the provider's message id (Aliyun `biz_id`,
Tencent `sid`) and a status; the outbox row with that id records it.
"""

from __future__ import annotations

import hmac
import json
import os

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import services


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message}, status=status)


@csrf_exempt
@require_POST
def receipts(request: HttpRequest, provider: str) -> JsonResponse:
    secret = os.environ.get("YIMEN_SMS_RECEIPT_SECRET", "")
    token = request.GET.get("token", "")
    if not secret or not hmac.compare_digest(token.encode(), secret.encode()):
        return _error(403, "forbidden", "回执令牌不正确。")
    if provider not in ("aliyun", "tencent"):
        return _error(404, "not_found", "未知的短信通道。")
    try:
        reports = json.loads(request.body or b"[]")
    except ValueError:
        return _error(400, "invalid", "回执不是 JSON。")
    if isinstance(reports, dict):
        reports = [reports]
    if not isinstance(reports, list):
        return _error(400, "invalid", "回执格式不正确。")
    recorded = 0
    for r in reports:
        if not isinstance(r, dict):
            continue
        if provider == "aliyun":
            ok = r.get("success") in (True, "true")
            message_id, status = str(r.get("biz_id", "")), str(r.get("err_code", ""))
        else:
            ok = r.get("report_status") == "SUCCESS"
            message_id, status = str(r.get("sid", "")), str(r.get("errmsg", ""))
        if message_id:
            label = f"{'DELIVERED' if ok else 'FAILED'}:{status}"
            recorded += services.record_receipt(provider, message_id, label)
    if provider == "aliyun":
        return JsonResponse({"code": 0, "msg": "成功", "recorded": recorded})
    return JsonResponse({"result": 0, "errmsg": "OK", "recorded": recorded})
