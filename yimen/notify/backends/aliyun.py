"""Alibaba Cloud SMS (dysmsapi 2017-05-25): SendSms and QuerySendDetails over the RPC protocol,
signed with HMAC-SHA1 (signature version 1.0).

Configuration (environment): YIMEN_ALIYUN_ACCESS_KEY_ID, YIMEN_ALIYUN_ACCESS_KEY_SECRET,
YIMEN_ALIYUN_SMS_ENDPOINT (default https://dysmsapi.aliyuncs.com/), YIMEN_SMS_SIGN_NAME (签名,
default 西宁政务服务), YIMEN_SMS_TEMPLATE_CODES ({"case.ready": "SMS_123…", …}).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse
import uuid
from datetime import UTC, datetime

from yimen.core.clock import SHANGHAI

from . import Outgoing, Provider, SendResult
from .http import call, env, template_codes

VERSION = "2017-05-25"
# every other code (isv.BUSINESS_LIMIT_CONTROL, isv.DAY_LIMIT_CONTROL, isv.AMOUNT_NOT_ENOUGH,
# isp.SYSTEM_ERROR, Throttling.User, SignatureDoesNotMatch while keys are fixed …) is retried
# refusals that no retry can fix: the message is dead (an administrator may retry it by hand)
DEAD_CODES = {
    "isv.MOBILE_NUMBER_ILLEGAL",
    "isv.MOBILE_COUNT_OVER_LIMIT",
    "isv.TEMPLATE_MISSING_PARAMETERS",
    "isv.SMS_TEMPLATE_ILLEGAL",
    "isv.SMS_SIGNATURE_ILLEGAL",
    "isv.INVALID_PARAMETERS",
    "isv.INVALID_JSON_PARAM",
    "isv.PARAM_LENGTH_LIMIT",
    "isv.BLACK_KEY_CONTROL_LIMIT",
    "isv.EXTEND_CODE_ERROR",
}


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as the signature requires: space → %20, '*' → %2A, '~' kept."""
    return urllib.parse.quote(str(value), safe="~")


def sign(params: dict[str, str], secret: str, method: str = "GET") -> str:
    canonical = "&".join(
        f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items())
    )
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunProvider(Provider):
    name = "aliyun"
    label = "阿里云短信服务"

    def __init__(
        self,
        *,
        access_key_id: str | None = None,
        access_key_secret: str | None = None,
        endpoint: str | None = None,
        sign_name: str | None = None,
        templates: dict[str, str] | None = None,
    ) -> None:
        self.key_id = access_key_id or env("YIMEN_ALIYUN_ACCESS_KEY_ID")
        self.secret = access_key_secret or env("YIMEN_ALIYUN_ACCESS_KEY_SECRET")
        self.endpoint = endpoint or env(
            "YIMEN_ALIYUN_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/"
        )
        self.sign_name = sign_name or env("YIMEN_SMS_SIGN_NAME", "西宁政务服务")
        self.templates = templates if templates is not None else template_codes()

    def _request(self, action: str, params: dict[str, str]) -> dict:
        common = {
            "AccessKeyId": self.key_id,
            "Action": action,
            "Format": "JSON",
            "RegionId": "cn-hangzhou",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": VERSION,
            **params,
        }
        signature = sign(common, self.secret)
        query = "&".join(
            f"{percent_encode(k)}={percent_encode(v)}"
            for k, v in [("Signature", signature), *sorted(common.items())]
        )
        return call(f"{self.endpoint.rstrip('/')}/?{query}")

    def send(self, msg: Outgoing) -> SendResult:
        code = self.templates.get(msg.template.code)
        if not code:
            return SendResult(False, error=f"未配置模板编号：{msg.template.code}", retry=False)
        answer = self._request(
            "SendSms",
            {
                "PhoneNumbers": msg.to,
                "SignName": self.sign_name,
                "TemplateCode": code,
                "TemplateParam": json.dumps(msg.params, ensure_ascii=False),
                "OutId": msg.reference,
            },
        )
        status = str(answer.get("Code", ""))
        if status == "OK":
            return SendResult(True, str(answer.get("BizId", "")))
        error = f"{status}: {answer.get('Message', '')}"
        return SendResult(False, error=error, retry=status not in DEAD_CODES)

    def find(self, msg: Outgoing) -> SendResult | None:
        answer = self._request(
            "QuerySendDetails",
            {
                "PhoneNumber": msg.to,
                "SendDate": datetime.now(SHANGHAI).strftime("%Y%m%d"),
                "PageSize": "50",
                "CurrentPage": "1",
            },
        )
        if answer.get("Code") != "OK":
            return None
        details = (answer.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
        for row in details:
            if row.get("OutId") == msg.reference:
                return SendResult(True, str(row.get("BizId", "") or f"out:{msg.reference}"))
        return None  # reports arrive late: no record does not prove it was not sent
