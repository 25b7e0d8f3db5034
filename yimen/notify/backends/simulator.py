"""SIMULATOR — an SMS gateway simulator for demonstrations; it sends nothing to any phone.

It accepts messages like a provider (message ids `sim-N`), logs them with the number masked and
the label 【模拟短信】, and refuses a share of them (YIMEN_SMS_SIMULATOR_FAILURE_RATE, 0–1,
default 0; a refusal is the throttling error, retried) so retries and dead letters can be shown.
"""

from __future__ import annotations

import itertools
import logging
import os
import random
import threading

from yimen.core.masking import mask_phone

from . import Outgoing, Provider, SendResult

log = logging.getLogger("yimen.notify")


class SimulatorProvider(Provider):
    name = "simulator"
    label = "短信模拟器（演示用，不发送真实短信）"
    accepted: dict[str, str] = {}  # reference → message id
    _lock = threading.Lock()
    _ids = itertools.count(1)

    def __init__(self, failure_rate: float | None = None) -> None:
        rate = os.environ.get("YIMEN_SMS_SIMULATOR_FAILURE_RATE", "0")
        self.failure_rate = failure_rate if failure_rate is not None else float(rate)

    def send(self, msg: Outgoing) -> SendResult:
        if self.failure_rate and random.random() < self.failure_rate:  # noqa: S311 — a demo
            return SendResult(False, error="isv.BUSINESS_LIMIT_CONTROL（模拟限流）", retry=True)
        with SimulatorProvider._lock:
            message_id = f"sim-{next(SimulatorProvider._ids)}"
            SimulatorProvider.accepted[msg.reference] = message_id
        text = "（敏感内容不记录）" if msg.sensitive else msg.text
        log.warning("【模拟短信】#%s → %s：%s", msg.id, mask_phone(msg.to), text)
        return SendResult(True, message_id)

    def find(self, msg: Outgoing) -> SendResult | None:
        with SimulatorProvider._lock:
            message_id = SimulatorProvider.accepted.get(msg.reference)
        return SendResult(True, message_id) if message_id else None
