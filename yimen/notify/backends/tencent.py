"""Tencent Cloud SMS (API 2021-01-11): SendSms and PullSmsSendStatusByPhoneNumber, signed with
TC3-HMAC-SHA256.

Configuration (environment): YIMEN_TENCENT_SECRET_ID, YIMEN_TENCENT_SECRET_KEY,
YIMEN_TENCENT_SMS_APP_ID (SmsSdkAppId), YIMEN_TENCENT_SMS_REGION (default ap-guangzhou),
YIMEN_TENCENT_SMS_ENDPOINT (default https://sms.tencentcloudapi.com/), YIMEN_SMS_SIGN_NAME,
YIMEN_SMS_TEMPLATE_CODES (our code → TemplateId).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse
from datetime import UTC, datetime

from . import Outgoing, Provider, SendResult
from .http import call, env, template_codes

VERSION = "2021-01-11"
SERVICE = "sms"
CONTENT_TYPE = "application/json; charset=utf-8"
# refusals no retry can fix (dead at once); every other code (LimitExceeded.*, InternalError.*,
# RequestLimitExceeded, FailedOperation.InsufficientBalanceInSmsPackage, AuthFailure.* while the
# keys are fixed) is retried with back-off until the attempts run out
DEAD_CODES = {
    "InvalidParameterValue.IncorrectPhoneNumber",
    "FailedOperation.PhoneNumberInBlacklist",
    "FailedOperation.TemplateIncorrectOrUnapproved",
    "FailedOperation.SignatureIncorrectOrUnapproved",
    "InvalidParameterValue.TemplateParameterFormatError",
    "InvalidParameterValue.TemplateParameterLengthLimit",
    "FailedOperation.ContainSensitiveWord",
    "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber",
}


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signature(secret_key: str, host: str, payload: str, timestamp: int) -> tuple[str, str]:
    """(the date scope, the hex signature) of a POST / with a JSON body."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{CONTENT_TYPE}\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(payload.encode()).hexdigest(),
        ]
    )
    scope = f"{date}/{SERVICE}/tc3_request"
    to_sign = "\n".join(
        ["TC3-HMAC-SHA256", str(timestamp), scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), date), SERVICE), "tc3_request")
    return scope, hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def classify(code: str) -> bool:
    """May a later attempt succeed after this error code?"""
    return code not in DEAD_CODES


class TencentProvider(Provider):
    name = "tencent"
    label = "腾讯云短信"

    def __init__(
        self,
        *,
        secret_id: str | None = None,
        secret_key: str | None = None,
        app_id: str | None = None,
        region: str | None = None,
        endpoint: str | None = None,
        sign_name: str | None = None,
        templates: dict[str, str] | None = None,
    ) -> None:
        self.secret_id = secret_id or env("YIMEN_TENCENT_SECRET_ID")
        self.secret_key = secret_key or env("YIMEN_TENCENT_SECRET_KEY")
        self.app_id = app_id or env("YIMEN_TENCENT_SMS_APP_ID")
        self.region = region or env("YIMEN_TENCENT_SMS_REGION", "ap-guangzhou")
        self.endpoint = endpoint or env(
            "YIMEN_TENCENT_SMS_ENDPOINT", "https://sms.tencentcloudapi.com/"
        )
        self.sign_name = sign_name or env("YIMEN_SMS_SIGN_NAME", "西宁政务服务")
        self.templates = templates if templates is not None else template_codes()

    def _request(self, action: str, body: dict) -> dict:
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        host = urllib.parse.urlsplit(self.endpoint).netloc
        ts = int(time.time())
        scope, sig = signature(self.secret_key, host, payload, ts)
        headers = {
            "Authorization": (
                f"TC3-HMAC-SHA256 Credential={self.secret_id}/{scope}, "
                f"SignedHeaders=content-type;host, Signature={sig}"
            ),
            "Content-Type": CONTENT_TYPE,
            "Host": host,
            "X-TC-Action": action,
            "X-TC-Timestamp": str(ts),
            "X-TC-Version": VERSION,
            "X-TC-Region": self.region,
        }
        answer = call(self.endpoint, data=payload.encode(), headers=headers)
        return answer.get("Response") or {}

    def send(self, msg: Outgoing) -> SendResult:
        from ..messages import ordered_params

        code = self.templates.get(msg.template.code)
        if not code:
            return SendResult(False, error=f"未配置模板编号：{msg.template.code}", retry=False)
        answer = self._request(
            "SendSms",
            {
                "PhoneNumberSet": [f"+86{msg.to}"],
                "SmsSdkAppId": self.app_id,
                "SignName": self.sign_name,
                "TemplateId": code,
                "TemplateParamSet": ordered_params(msg.template.code, msg.params),
                "SessionContext": msg.reference,
            },
        )
        if "Error" in answer:
            err = answer["Error"]
            return SendResult(False, error=f"{err.get('Code')}: {err.get('Message')}", retry=True)
        status = (answer.get("SendStatusSet") or [{}])[0]
        code_ = str(status.get("Code", ""))
        if code_ == "Ok":
            return SendResult(True, str(status.get("SerialNo", "")))
        return SendResult(
            False, error=f"{code_}: {status.get('Message', '')}", retry=classify(code_)
        )

    def find(self, msg: Outgoing) -> SendResult | None:
        now = int(time.time())
        answer = self._request(
            "PullSmsSendStatusByPhoneNumber",
            {
                "BeginTime": now - 86400,
                "EndTime": now,
                "Offset": 0,
                "Limit": 100,
                "PhoneNumber": f"+86{msg.to}",
                "SmsSdkAppId": self.app_id,
            },
        )
        if "Error" in answer:
            return None
        for row in answer.get("PullSmsSendStatusSet") or []:
            if row.get("SessionContext") == msg.reference:
                return SendResult(True, str(row.get("SerialNo", "")))
        return None  # reports arrive late: no record does not prove it was not sent
