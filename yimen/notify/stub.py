"""A local stub of the two cloud SMS APIs, for tests and `bench/outbox.py` — not a provider.

It checks each request's signature (Alibaba Cloud HMAC-SHA1 RPC, Tencent Cloud TC3-HMAC-SHA256)
with its own code, answers in the providers' formats, and records every accepted message by our
reference (OutId / SessionContext) so tests can count deliveries. `fail_next` queues error codes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

KEY_ID, SECRET = "stub-key-id", "stub-secret"


def _enc(v: str) -> str:
    return urllib.parse.quote(v, safe="~")


class StubState:
    def __init__(self, delay: float = 0.0) -> None:
        self.lock = threading.Lock()
        self.accepted: list[dict[str, Any]] = []
        self.bad_signatures = 0
        self.fail_next: list[str] = []
        self.delay = delay

    def references(self) -> Counter:
        with self.lock:
            return Counter(m["reference"] for m in self.accepted)

    def accept(self, **message: Any) -> str:
        with self.lock:
            if self.fail_next:
                return self.fail_next.pop(0)
            self.accepted.append({**message, "at": time.time()})
        return ""


class Handler(BaseHTTPRequestHandler):
    server: StubServer

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _json(self, body: dict, status: int = 200) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # Alibaba Cloud RPC
        state = self.server.state
        query = urllib.parse.urlsplit(self.path).query
        params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        given = params.pop("Signature", "")
        canonical = "&".join(f"{_enc(k)}={_enc(v)}" for k, v in sorted(params.items()))
        to_sign = "GET&%2F&" + _enc(canonical)
        expected = base64.b64encode(
            hmac.new((SECRET + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
        ).decode()
        if params.get("AccessKeyId") != KEY_ID or not hmac.compare_digest(given, expected):
            with state.lock:
                state.bad_signatures += 1
            return self._json({"Code": "SignatureDoesNotMatch", "Message": "bad signature"}, 400)
        if state.delay:
            time.sleep(state.delay)
        if params.get("Action") == "SendSms":
            json.loads(params["TemplateParam"])
            error = state.accept(
                reference=params.get("OutId", ""),
                to=params["PhoneNumbers"],
                template=params["TemplateCode"],
                sign=params["SignName"],
            )
            if error:
                return self._json({"Code": error, "Message": "stub refusal"})
            return self._json({"Code": "OK", "Message": "OK", "BizId": f"biz-{time.time_ns()}"})
        if params.get("Action") == "QuerySendDetails":
            with state.lock:
                rows = [
                    {"OutId": m["reference"], "PhoneNum": m["to"], "SendStatus": 3}
                    for m in state.accepted
                    if m["to"] == params["PhoneNumber"]
                ]
            return self._json({"Code": "OK", "SmsSendDetailDTOs": {"SmsSendDetailDTO": rows}})
        return self._json({"Code": "InvalidAction", "Message": "unknown"}, 400)

    def do_POST(self) -> None:  # Tencent Cloud API 3.0
        state = self.server.state
        payload = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        auth = self.headers.get("Authorization", "")
        ts = self.headers.get("X-TC-Timestamp", "0")
        host = self.headers.get("Host", "")
        parts = dict(p.strip().split("=", 1) for p in auth.split(" ", 1)[-1].split(","))
        secret_id, date, service, _ = parts.get("Credential", "///").split("/")
        canonical = (
            f"POST\n/\n\ncontent-type:{self.headers.get('Content-Type')}\nhost:{host}\n\n"
            f"{parts.get('SignedHeaders')}\n{hashlib.sha256(payload.encode()).hexdigest()}"
        )
        to_sign = (
            f"TC3-HMAC-SHA256\n{ts}\n{date}/{service}/tc3_request\n"
            f"{hashlib.sha256(canonical.encode()).hexdigest()}"
        )
        key = ("TC3" + SECRET).encode()
        for part in (date, service, "tc3_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if secret_id != KEY_ID or not hmac.compare_digest(parts.get("Signature", ""), expected):
            with state.lock:
                state.bad_signatures += 1
            return self._json(
                {"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "x"}}}
            )
        if state.delay:
            time.sleep(state.delay)
        body = json.loads(payload)
        action = self.headers.get("X-TC-Action")
        if action == "SendSms":
            phone = body["PhoneNumberSet"][0]
            error = state.accept(
                reference=body.get("SessionContext", ""),
                to=phone.removeprefix("+86"),
                template=body["TemplateId"],
                sign=body["SignName"],
                params=body["TemplateParamSet"],
            )
            status = {"Code": error or "Ok", "Message": "stub", "PhoneNumber": phone}
            status["SerialNo"] = f"serial-{time.time_ns()}"
            return self._json({"Response": {"SendStatusSet": [status], "RequestId": "r"}})
        if action == "PullSmsSendStatusByPhoneNumber":
            with state.lock:
                rows = [
                    {"SessionContext": m["reference"], "SerialNo": "s", "ReportStatus": "SUCCESS"}
                    for m in state.accepted
                    if "+86" + m["to"] == body["PhoneNumber"]
                ]
            return self._json({"Response": {"PullSmsSendStatusSet": rows, "RequestId": "r"}})
        return self._json({"Response": {"Error": {"Code": "InvalidAction", "Message": "?"}}})


class StubServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int = 0, delay: float = 0.0) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.state = StubState(delay)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"

    def start(self) -> StubServer:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
