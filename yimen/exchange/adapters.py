"""The external systems behind one interface each, and the adapter for the documented
JSON-over-HTTPS protocol (docs/exchange.md). A local simulator (`simulator.py`) speaks the same
protocol for the tests and the demo.

    adapter = get_adapter(system)        # None when the system's URL is unset: nothing is sent
    adapter.push(doc_id, body)           # PushResult(ok, receipt, error, retry, simulated)
    adapter.acknowledged(outlet, day)    # 好差评: the document ids the system holds for that day
    adapter.lookup(holder_id, type)      # 电子证照: the licences the library holds

Every request carries `X-Yimen-Signature: sha256=<hex HMAC-SHA256>` of the exact body (of the
query string for a GET) with the system's shared secret.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from . import conf, rules


class Unavailable(Exception):
    """The system could not be reached or answered garbage (retry later / go on with paper)."""


@dataclass
class PushResult:
    ok: bool
    receipt: str = ""
    error: str = ""
    retry: bool = True
    simulated: bool = False


@dataclass
class Licence:
    licence_no: str
    licence_type: str
    holder: str
    holder_id: str
    valid_until: str | None
    issuer: str = ""
    status: str = "valid"
    simulated: bool = False
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def holder_masked(self) -> str:
        from yimen.core.masking import mask_name

        return mask_name(self.holder)


class Pushing(Protocol):
    def push(self, doc_id: str, body: dict[str, Any], path: str = "") -> PushResult: ...


class Reconciling(Protocol):
    def acknowledged(self, outlet_code: str, day: date) -> tuple[list[str], bool]: ...


class LicenceLibrary(Protocol):
    def lookup(self, holder_id: str, licence_type: str) -> list[Licence]: ...


def encode(body: dict[str, Any]) -> bytes:
    """The exact bytes that are signed and sent (UTF-8, keys sorted, no spaces)."""
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


class HttpAdapter:
    """The JSON-over-HTTPS protocol, for any of the three systems."""

    def __init__(self, endpoint: conf.Endpoint, timeout: float | None = None) -> None:
        self.endpoint = endpoint
        self.timeout = timeout if timeout is not None else conf.timeout()

    @property
    def name(self) -> str:
        return f"http:{self.endpoint.system}"

    def _url(self, path: str = "", query: str = "") -> str:
        url = self.endpoint.url.rstrip("/") + path if path else self.endpoint.url
        return f"{url}?{query}" if query else url

    def _call(self, req: urllib.request.Request) -> tuple[int, dict[str, Any]]:
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise Unavailable(str(getattr(exc, "reason", exc))) from exc
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            data = {}
        if status >= 500:
            raise Unavailable(f"HTTP {status} {data.get('message', '')}".strip())
        if not isinstance(data, dict):
            raise Unavailable("响应不是 JSON 对象")
        return status, data

    def push(self, doc_id: str, body: dict[str, Any], path: str = "") -> PushResult:
        data = encode(body)
        req = urllib.request.Request(
            self._url(path),
            data=data,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                rules.SIGNATURE_HEADER: rules.sign(data, self.endpoint.secret),
                "X-Yimen-Document-Id": doc_id,
            },
        )
        try:
            status, answer = self._call(req)
        except Unavailable as exc:
            return PushResult(False, error=f"对方不可用：{exc}", retry=True)
        simulated = bool(answer.get("simulator"))
        if 200 <= status < 300:
            return PushResult(
                True, receipt=str(answer.get("receipt", ""))[:100], simulated=simulated
            )
        message = f"HTTP {status} {answer.get('code', '')} {answer.get('message', '')}".strip()
        # 401/403 (a secret being rotated), 408 and 429 may pass later; any other 4xx never will
        return PushResult(False, error=message, retry=status in (401, 403, 408, 429))

    def acknowledged(self, outlet_code: str, day: date) -> tuple[list[str], bool]:
        query = urllib.parse.urlencode({"outlet_code": outlet_code, "date": day.isoformat()})
        req = urllib.request.Request(
            self._url(query=query),
            headers={rules.SIGNATURE_HEADER: rules.sign(query.encode(), self.endpoint.secret)},
        )
        status, answer = self._call(req)
        if status != 200 or not isinstance(answer.get("document_ids"), list):
            raise Unavailable(f"对账查询失败：HTTP {status} {answer.get('message', '')}")
        return [str(d) for d in answer["document_ids"]], bool(answer.get("simulator"))

    def lookup(self, holder_id: str, licence_type: str) -> list[Licence]:
        data = encode({"holder_id": holder_id, "licence_type": licence_type})
        req = urllib.request.Request(
            self._url("/query"),
            data=data,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                rules.SIGNATURE_HEADER: rules.sign(data, self.endpoint.secret),
            },
        )
        status, answer = self._call(req)
        if status != 200 or not isinstance(answer.get("licences"), list):
            raise Unavailable(f"证照查询失败：HTTP {status} {answer.get('message', '')}")
        simulated = bool(answer.get("simulator"))
        return [
            Licence(
                licence_no=str(x.get("licence_no", "")),
                licence_type=str(x.get("licence_type", "")),
                holder=str(x.get("holder", "")),
                holder_id=str(x.get("holder_id", "")),
                valid_until=x.get("valid_until") or None,
                issuer=str(x.get("issuer", "")),
                status=str(x.get("status", "")),
                simulated=simulated,
                raw=x,
            )
            for x in answer["licences"]
            if isinstance(x, dict)
        ]


def get_adapter(system: str, timeout: float | None = None) -> HttpAdapter | None:
    """The adapter of a configured system; None when its URL is unset (nothing is sent)."""
    endpoint = conf.endpoint(system)
    return HttpAdapter(endpoint, timeout) if endpoint.configured else None
