"""The ID-card reader bridge (runs on the kiosk's, desk's or window's PC) and its simulator.

Bridge: polls the reader's local service — most second-generation ID readers ship one that
answers a local HTTP request with the card as JSON (field names differ by vendor: `--name-field`,
`--id-field`) — and posts each new card to Yimen's `POST /hall/idcard/<outlet>/` with the
place's token. Simulator: posts one card the same way (demo, tests, training); it says so.
Standard library only, so the bridge runs on a PC without the project installed beyond this file.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request


def post_card(server: str, outlet: str, token: str, name: str, id_number: str) -> dict:
    """POST one card to Yimen; returns the JSON answer (raises urllib.error.HTTPError on 4xx)."""
    body = json.dumps({"name": name, "id_number": id_number}, ensure_ascii=False).encode()
    request = urllib.request.Request(
        f"{server.rstrip('/')}/hall/idcard/{outlet}/",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (configured URL)
        return json.loads(response.read().decode())


def read_reader(reader_url: str, name_field: str, id_field: str) -> tuple[str, str] | None:
    """One poll of the reader's local service: (name, id_number) or None (no card)."""
    with urllib.request.urlopen(reader_url, timeout=3) as response:  # noqa: S310
        data = json.loads(response.read().decode("utf-8") or "null")
    if not isinstance(data, dict):
        return None
    name, id_number = str(data.get(name_field) or ""), str(data.get(id_field) or "")
    return (name.strip(), id_number.strip()) if name and id_number else None


def run_bridge(
    server: str,
    outlet: str,
    token: str,
    reader_url: str,
    *,
    name_field: str = "name",
    id_field: str = "id_number",
    interval: float = 0.5,
    once: bool = False,
    log=print,
) -> int:
    """Poll the reader and forward each card once (the same card again after it was removed)."""
    last: tuple[str, str] | None = None
    sent = 0
    while True:
        try:
            card = read_reader(reader_url, name_field, id_field)
        except (OSError, ValueError) as exc:
            log(f"读卡器服务无响应：{exc}")
            card = None
        if card and card != last:
            try:
                post_card(server, outlet, token, *card)
                sent += 1
                log("已上传一次读卡")
            except urllib.error.HTTPError as exc:
                log(f"一门拒绝了读卡：{exc.code} {exc.read().decode(errors='replace')}")
            except OSError as exc:
                log(f"无法连接一门：{exc}")
        last = card
        if once:
            return sent
        time.sleep(interval)
