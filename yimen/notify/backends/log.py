"""Development backend: writes each message to the `yimen.notify` log (number masked, the text of
a sensitive message withheld) and keeps the last ones in memory (`LogProvider.sent`, tests)."""

from __future__ import annotations

import itertools
import logging
import threading

from yimen.core.masking import mask_phone

from . import Outgoing, Provider, SendResult

log = logging.getLogger("yimen.notify")


class LogProvider(Provider):
    name = "log"
    label = "日志（开发用，不发送短信）"
    sent: list[Outgoing] = []
    _lock = threading.Lock()
    _ids = itertools.count(1)

    def send(self, msg: Outgoing) -> SendResult:
        with LogProvider._lock:
            message_id = f"log-{next(LogProvider._ids)}"
            LogProvider.sent.append(msg)
            del LogProvider.sent[:-1000]
        text = "（敏感内容不记录）" if msg.sensitive else msg.text
        log.info("SMS #%s to %s [%s]: %s", msg.id, mask_phone(msg.to), msg.template.code, text)
        return SendResult(True, message_id)

    @classmethod
    def clear(cls) -> None:
        with cls._lock:
            cls.sent.clear()
