"""A small JSON-over-HTTP helper for the provider adapters (standard library only)."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any

from . import ProviderUnavailable

TIMEOUT = float(os.environ.get("YIMEN_SMS_TIMEOUT", "10"))  # seconds per provider request


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def template_codes() -> dict[str, str]:
    """Our template code → the provider's registered template (YIMEN_SMS_TEMPLATE_CODES, JSON)."""
    raw = env("YIMEN_SMS_TEMPLATE_CODES", "{}")
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def call(
    url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:  # noqa: S310 — configured URL
            body = resp.read()
    except urllib.error.HTTPError as exc:
        body = exc.read()
        if exc.code >= 500:
            raise ProviderUnavailable(f"HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ProviderUnavailable(str(exc)) from exc
    try:
        parsed = json.loads(body)
    except ValueError as exc:
        raise ProviderUnavailable("响应不是 JSON") from exc
    if not isinstance(parsed, dict):
        raise ProviderUnavailable("响应格式不对")
    return parsed
