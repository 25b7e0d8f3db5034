"""/healthz, /readyz and /metrics (docs/operations.md, "Metrics and health")."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpResponse, JsonResponse

from yimen.core.clientaddr import _networks, _parse, client_ip

from . import health


def healthz(request):
    return JsonResponse({"status": "ok"})


def readyz(request):
    found = health.problems()
    if found:
        return JsonResponse({"status": "not_ready", "problems": found}, status=503)
    return JsonResponse({"status": "ready"})


def _allowed(request) -> bool:
    token = getattr(settings, "YIMEN_METRICS_TOKEN", "")
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    ip = _parse(client_ip(request) or "")
    allow = tuple(getattr(settings, "YIMEN_METRICS_ALLOW", []) or [])
    return ip is not None and any(ip in net for net in _networks(allow))


def metrics(request):
    """Prometheus text format; only for YIMEN_METRICS_ALLOW addresses (the real client address,
    see core/clientaddr.py) or with `Authorization: Bearer $YIMEN_METRICS_TOKEN`."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    from .metrics import REGISTRY

    if not _allowed(request):
        return JsonResponse({"code": "forbidden", "message": "无权读取运行指标。"}, status=403)
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
