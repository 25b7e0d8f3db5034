"""Presence in the hall: who may check in a remote ticket or an appointment.

A paired board or kiosk of the outlet (hall/devices.py) shows a QR code that changes every
minute: `/hall/here/<outlet>/<code>/`, the code an HMAC of the outlet and the minute. Scanning
it on the phone — which needs to be in front of the screen — leaves a signed cookie "present at
this outlet" for `PRESENCE_MINUTES`; the portal's 到场签到 then passes that outlet to the queue's
check-in (`present_at`), which refuses anyone else (queueing.services.common._require_presence).
A kiosk paired with the outlet counts as being there, and staff at the guide desk check people in
themselves. The QR is shown only to paired devices, so reading it off a public board page at
home is not possible.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from base64 import b32encode
from datetime import datetime

from django.conf import settings
from django.core import signing

from yimen.core import clock

PERIOD_SECONDS = 60
GRACE_PERIODS = 2  # a code read off the screen stays good for this many further minutes
PRESENCE_MINUTES = 30
COOKIE = "yimen_here"
SALT = "yimen.hall.presence"
_CODE_RE = re.compile(r"[A-Z2-7]{8}")


def _minute(now: datetime) -> int:
    return int(now.timestamp() // PERIOD_SECONDS)


def code_for(outlet_id: int, now: datetime, minute: int | None = None) -> str:
    """The hall code of an outlet for the minute of `now` (8 characters, A–Z2–7)."""
    minute = _minute(now) if minute is None else minute
    key = hashlib.sha256(("presence:" + settings.SECRET_KEY).encode()).digest()
    digest = hmac.new(key, f"{outlet_id}:{minute}".encode(), hashlib.sha256).digest()
    return b32encode(digest[:5]).decode()


def verify(outlet_id: int, code: str, now: datetime) -> bool:
    """Whether `code` is the outlet's code of this minute or of the last GRACE_PERIODS."""
    code = (code or "").strip().upper()
    # only the code's own alphabet reaches compare_digest (a non-ASCII str there is a TypeError)
    if not _CODE_RE.fullmatch(code):
        return False
    current = _minute(now)
    return any(
        hmac.compare_digest(code, code_for(outlet_id, now, current - back))
        for back in range(GRACE_PERIODS + 1)
    )


def seconds_left(now: datetime) -> int:
    return PERIOD_SECONDS - int(now.timestamp()) % PERIOD_SECONDS


def cookie_value(outlet_id: int, now: datetime) -> str:
    return signing.dumps({"o": outlet_id, "t": int(now.timestamp())}, salt=SALT)


def present_outlet(request) -> int | None:
    """The outlet this browser showed itself to be at (scanned code within PRESENCE_MINUTES), or
    the outlet of the paired hall device it is; None otherwise."""
    from .devices import device_of

    device = device_of(request)
    if device is not None:
        return device.outlet.pk
    raw = request.COOKIES.get(COOKIE)
    if not raw:
        return None
    try:
        data = signing.loads(raw, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("t"), int):
        return None
    # the project clock, not the signature's wall-clock time (tests, training clock)
    age = clock.now().timestamp() - data["t"]
    if not -PERIOD_SECONDS <= age <= PRESENCE_MINUTES * 60:
        return None
    outlet = data.get("o")
    return outlet if isinstance(outlet, int) else None
