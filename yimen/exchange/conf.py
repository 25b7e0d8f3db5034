"""The exchange's settings (settings.YIMEN, from environment variables; docs/exchange.md)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from .models import H12345, HCP, LICENCE

_PREFIX = {HCP: "EXCHANGE_HCP", H12345: "EXCHANGE_12345", LICENCE: "EXCHANGE_LICENCE"}


@dataclass(frozen=True)
class Endpoint:
    system: str
    url: str
    secret: str

    @property
    def configured(self) -> bool:
        return bool(self.url)


def endpoint(system: str) -> Endpoint:
    prefix = _PREFIX[system]
    return Endpoint(
        system,
        str(settings.YIMEN.get(f"{prefix}_URL", "") or "").strip(),
        str(settings.YIMEN.get(f"{prefix}_SECRET", "") or ""),
    )


def timeout() -> float:
    """Seconds per push (the worker) — the lookup at intake uses lookup_timeout()."""
    return float(settings.YIMEN.get("EXCHANGE_TIMEOUT", 10))


def lookup_timeout() -> float:
    """Seconds the intake page waits for the licence library before going on with paper."""
    return float(settings.YIMEN.get("EXCHANGE_LOOKUP_TIMEOUT", 3))


def source() -> str:
    """Our system's code in document numbers (one platform serves several systems)."""
    return str(settings.YIMEN.get("EXCHANGE_SOURCE", "YIMEN"))


def simulator_on() -> bool:
    """The demo points every system at the local simulator (`make run`): the pages say so."""
    return bool(settings.YIMEN.get("EXCHANGE_SIMULATOR", False))
