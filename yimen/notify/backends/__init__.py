"""SMS providers: one interface, adapters per cloud (aliyun, tencent), a `log` backend for
development and a simulator for demonstrations.

    provider = get_provider()            # settings.YIMEN["SMS_BACKEND"] (YIMEN_SMS_BACKEND)
    result = provider.send(outgoing)     # SendResult(ok, message_id, error, retry)

`send` never raises for a refusal of the provider: it returns ok=False with `retry` saying
whether trying again later can help (throttling, outage) or not (an invalid number). A transport
error (timeout, connection refused) raises ProviderUnavailable, retried with back-off.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string

from ..messages import Template

BACKENDS = {
    "log": "yimen.notify.backends.log.LogProvider",
    "simulator": "yimen.notify.backends.simulator.SimulatorProvider",
    "aliyun": "yimen.notify.backends.aliyun.AliyunProvider",
    "tencent": "yimen.notify.backends.tencent.TencentProvider",
}


@dataclass(frozen=True)
class Outgoing:
    """One message as a provider sees it."""

    id: int
    to: str
    template: Template
    params: dict[str, str]
    text: str
    sensitive: bool = False

    @property
    def reference(self) -> str:
        """Our reference carried through the provider (Aliyun OutId, Tencent SessionContext)."""
        return f"yimen-{self.id}"


@dataclass
class SendResult:
    ok: bool
    message_id: str = ""
    error: str = ""
    retry: bool = True  # for a refusal: may a later attempt succeed?
    extra: dict[str, str] = field(default_factory=dict)


class ProviderUnavailable(Exception):
    """The provider could not be reached or answered garbage: retry later."""


class Provider:
    name = "base"
    label = ""

    def send(self, msg: Outgoing) -> SendResult:
        raise NotImplementedError

    def find(self, msg: Outgoing) -> SendResult | None:
        """After a worker died between sending and recording: did the provider accept this
        message (by its reference)? None when the provider cannot tell (the message is sent
        again); SendResult(ok=True) when it did; SendResult(ok=False) when it did not."""
        return None


def backend_path(name: str | None = None) -> str:
    name = name or settings.YIMEN.get("SMS_BACKEND") or "log"
    return BACKENDS.get(name, name)


def get_provider(name: str | None = None) -> Provider:
    provider: Provider = import_string(backend_path(name))()
    return provider
