"""Hall devices: a kiosk's, a board's or a guide desk's browser paired with its outlet.

A member of staff of the outlet (引导员, 中心主任, admin) opens `/hall/pair/` on the device once and
names it; the server issues a device token (staff.tokens, label `hall:<outlet>:<name>`) and keeps
it, with the device's thermal printer, in a signed HttpOnly cookie. A paired device then:
- prints slips on its printer (hall/printing.py) and returns to the start screen by itself;
- shows the presence QR code (hall/presence.py) and checks people in at the kiosk;
- reads ID cards through the local reader bridge (hall/idcard.py).
Revoking the token (admin, or `yimen token --revoke`) unpairs it in every process at once
(the token cache's `auth` topic).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core import signing

from yimen.core import audit
from yimen.core.errors import ValidationFailed
from yimen.outlets.models import Outlet
from yimen.staff.authz import authorize, staff_of

from . import printing

COOKIE = "yimen_hall"
SALT = "yimen.hall.device"
COOKIE_AGE = 5 * 365 * 24 * 3600
KINDS = {"kiosk": "自助取号机", "board": "叫号大屏", "desk": "引导台"}
_NAME_RE = re.compile(r"^[A-Za-z0-9\-]{1,20}$")


@dataclass(frozen=True)
class HallDevice:
    outlet: Outlet
    kind: str
    name: str
    printer: printing.Target | None
    token_id: int


def pair(actor, outlet: Outlet, kind: str, name: str, printer: str = "", *, request=None):
    """Pair a browser with `outlet` as a `kind` device: (HallDevice, cookie value)."""
    from yimen.staff.tokens import issue_token

    staff = authorize(staff_of(actor), "hall.pair", outlet=outlet.pk)
    if kind not in KINDS:
        raise ValidationFailed("请选择设备类型：自助取号机、叫号大屏或引导台。", code="bad_kind")
    name = (name or "").strip()
    if not _NAME_RE.match(name):
        raise ValidationFailed(
            "设备名称请用 1–20 个字母、数字或连字符，如 kiosk-1。", code="bad_name"
        )
    target = printing.parse_target(printer)
    token, raw = issue_token(outlet=outlet, label=f"hall:{outlet.code}:{kind}:{name}", actor=staff)
    audit.record(
        staff,
        "hall.pair",
        token,
        after={"outlet": outlet.code, "kind": kind, "name": name, "printer": str(target or "")},
        request=request,
    )
    value = signing.dumps({"t": raw, "k": kind, "n": name, "p": str(target or "")}, salt=SALT)
    return HallDevice(outlet, kind, name, target, token.pk), value


def token_of(cookie_value: str) -> str:
    """The raw device token inside a pairing cookie (shown once, for the card-reader bridge)."""
    return str(signing.loads(cookie_value, salt=SALT)["t"])


def device_of(request) -> HallDevice | None:
    """The paired hall device this request comes from (its token still live), or None."""
    cached = getattr(request, "_hall_device", False)
    if cached is not False:
        return cached
    device = None
    raw = request.COOKIES.get(COOKIE)
    if raw:
        try:
            data = signing.loads(raw, salt=SALT)
        except signing.BadSignature:
            data = None
        if isinstance(data, dict) and isinstance(data.get("t"), str):
            from yimen.staff.tokens import authenticate_token

            token = authenticate_token(data["t"])
            if token is not None and token.device_outlet is not None:
                try:
                    target = printing.parse_target(str(data.get("p") or ""))
                except ValidationFailed:
                    target = None
                device = HallDevice(
                    token.device_outlet,
                    str(data.get("k") or "kiosk"),
                    str(data.get("n") or ""),
                    target,
                    token.pk,
                )
    request._hall_device = device
    return device


def device_at(request, outlet: Outlet) -> HallDevice | None:
    """The paired device of this request if it belongs to `outlet`."""
    device = device_of(request)
    return device if device is not None and device.outlet.pk == outlet.pk else None
