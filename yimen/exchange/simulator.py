"""模拟器 — a local SIMULATOR of the three external systems, for the tests and the demo. It is not
the provincial platform: it speaks the documented protocol (docs/exchange.md), checks every
signature with its own code, and keeps what it received in memory.

    /hcp            POST a 好差评 document · GET ?outlet_code=&date= the ids it holds (对账)
    /12345          POST a work-order update (受理 / 办理结果 / 回访结果)
    /licence/query  POST {"holder_id", "licence_type"} → the licences it holds
    /licence/licences  POST a licence issued by a case (then found by /licence/query)

Every answer carries "simulator": true, so what it acknowledged is shown as 模拟 in Yimen.
Run it for `make run`: `python -m yimen.exchange.simulator --port 8765` (prints the settings).
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from yimen.core.validators import check_resident_id

from . import rules

DEMO_SECRETS = {"hcp": "sim-hcp-secret", "12345": "sim-12345-secret", "licence": "sim-licence"}


class SimulatorState:
    def __init__(self, secrets: dict[str, str], auto_id_cards: bool = False) -> None:
        self.secrets = secrets
        self.auto_id_cards = auto_id_cards  # demo: every valid ID number has its ID card
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []  # every accepted POST: system, headers, body
        self.documents: dict[str, dict[str, dict[str, Any]]] = {"hcp": {}, "12345": {}}
        self.licences: list[dict[str, Any]] = []
        self.queries: list[dict[str, Any]] = []  # every licence lookup answered: its body
        self.bad_signatures = 0
        self.fail_next: list[int] = []  # HTTP statuses to answer to the next POSTs
        self.down = False  # the licence library answers 503

    def deliveries(self, system: str) -> Counter:
        """How many accepted POSTs per document id (a document pushed twice counts 2)."""
        with self.lock:
            return Counter(
                r["headers"].get("X-Yimen-Document-Id", "")
                for r in self.requests
                if r["system"] == system
            )

    def seed_licence(self, **licence: Any) -> None:
        with self.lock:
            self.licences.append({"status": "valid", "issuer": "模拟发证机关", **licence})


class Handler(BaseHTTPRequestHandler):
    server: SimulatorServer

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _json(self, body: dict[str, Any], status: int = 200) -> None:
        data = json.dumps({**body, "simulator": True}, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _system(self, path: str) -> str:
        return {"/hcp": "hcp", "/12345": "12345"}.get(path, "licence")

    def _checked(self, system: str, signed: bytes) -> bool:
        state = self.server.state
        if rules.verify(
            signed, state.secrets.get(system, ""), self.headers.get(rules.SIGNATURE_HEADER, "")
        ):
            return True
        with state.lock:
            state.bad_signatures += 1
        self._json({"code": "bad_signature", "message": "签名不正确（模拟器）"}, 401)
        return False

    def do_GET(self) -> None:
        state = self.server.state
        parts = urllib.parse.urlsplit(self.path)
        if parts.path != "/hcp":
            return self._json({"code": "not_found", "message": "无此接口"}, 404)
        if not self._checked("hcp", parts.query.encode()):
            return
        q = dict(urllib.parse.parse_qsl(parts.query))
        with state.lock:
            ids = sorted(
                doc_id
                for doc_id, body in state.documents["hcp"].items()
                if body.get("outlet_code") == q.get("outlet_code")
                and body.get("business_date") == q.get("date")
            )
        self._json({"code": "ok", "document_ids": ids})

    def do_POST(self) -> None:
        state = self.server.state
        path = urllib.parse.urlsplit(self.path).path
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        system = self._system(path)
        if path not in ("/hcp", "/12345", "/licence/query", "/licence/licences"):
            return self._json({"code": "not_found", "message": "无此接口"}, 404)
        if not self._checked(system, body):
            return
        with state.lock:
            failing = state.fail_next.pop(0) if state.fail_next else 0
            down = state.down and system == "licence"
        if failing or down:
            return self._json({"code": "unavailable", "message": "模拟故障"}, failing or 503)
        try:
            doc = json.loads(body)
        except ValueError:
            return self._json({"code": "invalid", "message": "不是 JSON"}, 400)
        if path == "/licence/query":
            with state.lock:
                state.queries.append(doc)
            return self._json({"code": "ok", "licences": self._query(doc)})
        doc_id = self.headers.get("X-Yimen-Document-Id", "")
        with state.lock:
            state.requests.append(
                {"system": system, "headers": dict(self.headers), "body": body, "at": time.time()}
            )
            store = state.documents.setdefault(system, {})
            duplicate = doc_id in store
            store[doc_id] = doc
            if path == "/licence/licences" and not duplicate:
                state.licences.append({**doc, "status": "valid"})
        self._json({"code": "ok", "receipt": f"SIM-{system}-{doc_id}", "duplicate": duplicate})

    def _query(self, q: dict[str, Any]) -> list[dict[str, Any]]:
        state = self.server.state
        holder_id, kind = str(q.get("holder_id", "")), str(q.get("licence_type", ""))
        with state.lock:
            found = [
                dict(x)
                for x in state.licences
                if x.get("holder_id") == holder_id and x.get("licence_type") == kind
            ]
        if not found and state.auto_id_cards and kind == "居民身份证":
            check = check_resident_id(holder_id)
            if check.ok:
                found = [
                    {
                        "licence_no": f"SIM-ID-{holder_id[-6:]}",
                        "licence_type": kind,
                        "holder": "（模拟持证人）",
                        "holder_id": holder_id,
                        "valid_until": "2036-12-31",
                        "issuer": "模拟公安机关",
                        "status": "valid",
                    }
                ]
        return found


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: SimulatorState, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.state = state

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def settings(self) -> dict[str, str]:
        """settings.YIMEN entries pointing Yimen at this simulator."""
        s = self.state.secrets
        return {
            "EXCHANGE_HCP_URL": f"{self.base}/hcp",
            "EXCHANGE_HCP_SECRET": s["hcp"],
            "EXCHANGE_12345_URL": f"{self.base}/12345",
            "EXCHANGE_12345_SECRET": s["12345"],
            "EXCHANGE_LICENCE_URL": f"{self.base}/licence",
            "EXCHANGE_LICENCE_SECRET": s["licence"],
        }


def start(secrets: dict[str, str] | None = None, port: int = 0, **kw: Any) -> SimulatorServer:
    """Start a simulator in a background thread (stop it with .shutdown())."""
    server = SimulatorServer(SimulatorState(secrets or dict(DEMO_SECRETS), **kw), port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def send_work_order(webhook_url: str, secret: str, order: dict[str, Any]) -> tuple[int, dict]:
    """What the (simulated) 12345 platform does: POST a signed work order to Yimen's webhook."""
    data = json.dumps(order, ensure_ascii=False).encode()
    req = urllib.request.Request(
        webhook_url,
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/json",
            rules.SIGNATURE_HEADER: rules.sign(data, secret),
        },
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 — local demo
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - a demo entry point
    parser = argparse.ArgumentParser(description="政务数据交换模拟器（好差评 / 12345 / 电子证照）")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    server = SimulatorServer(SimulatorState(dict(DEMO_SECRETS), auto_id_cards=True), args.port)
    print("模拟器已启动（SIMULATOR，非真实政务平台）。请设置：")
    for key, value in server.settings().items():
        print(f"  YIMEN_{key}={value}", flush=True)
    server.serve_forever()


if __name__ == "__main__":  # pragma: no cover
    main()
