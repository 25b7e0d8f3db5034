"""Pluggable notification sender (SMS gateway interface).

`settings.YIMEN["SMS_BACKEND"]` names the sender class; the default `LoggingSender` writes the
message to the log and keeps it in memory (tests read `LoggingSender.outbox`). A real gateway
implements `Sender.send(phone, text, *, template="", ref="") -> SendReceipt`.

    from yimen.core import notify
    notify.send("13800138000", "您的办件已办结，请到窗口领取。", template="case.ready", ref="CX…")

Phone numbers are masked in logs; a failure of the gateway never breaks the caller's
transaction: `send` returns a receipt with ok=False and the error.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils.module_loading import import_string

from . import clock
from .masking import mask_phone

log = logging.getLogger("yimen.notify")


@dataclass
class SendReceipt:
    ok: bool
    backend: str
    phone_masked: str
    at: datetime
    message_id: str = ""
    error: str = ""


@dataclass
class OutboxMessage:
    phone: str
    text: str
    template: str = ""
    ref: str = ""
    at: datetime | None = None
    extra: dict = field(default_factory=dict)


class Sender:
    """Interface of an SMS gateway."""

    name = "base"

    def send(self, phone: str, text: str, *, template: str = "", ref: str = "") -> SendReceipt:
        raise NotImplementedError


class LoggingSender(Sender):
    """Development/default backend: logs the message (phone masked) and keeps it in `outbox`."""

    name = "logging"
    outbox: list[OutboxMessage] = []
    _lock = threading.Lock()
    _counter = 0

    def send(self, phone, text, *, template="", ref=""):
        now = clock.now()
        with LoggingSender._lock:
            LoggingSender._counter += 1
            message_id = f"log-{LoggingSender._counter}"
            LoggingSender.outbox.append(
                OutboxMessage(phone=phone, text=text, template=template, ref=ref, at=now)
            )
            del LoggingSender.outbox[:-500]  # keep the last 500
        log.info("SMS to %s [%s %s]: %s", mask_phone(phone), template, ref, text)
        return SendReceipt(True, self.name, mask_phone(phone), now, message_id)

    @classmethod
    def clear(cls):
        with cls._lock:
            cls.outbox.clear()


def get_sender() -> Sender:
    path = settings.YIMEN.get("SMS_BACKEND") or "yimen.core.notify.LoggingSender"
    return import_string(path)()


def send(phone: str, text: str, *, template: str = "", ref: str = "") -> SendReceipt:
    """Send one message; never raises for a gateway failure (returns ok=False)."""
    now = clock.now()
    if not phone:
        return SendReceipt(False, "none", "", now, error="没有联系电话")
    sender = get_sender()
    try:
        return sender.send(phone, text, template=template, ref=ref)
    except Exception as exc:  # a gateway outage must not lose the caller's work
        log.warning(
            "SMS backend %s failed for %s: %s",
            getattr(sender, "name", sender),
            mask_phone(phone),
            exc,
        )
        return SendReceipt(
            False, getattr(sender, "name", "unknown"), mask_phone(phone), now, error=str(exc)
        )
