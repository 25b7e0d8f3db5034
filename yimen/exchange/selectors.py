"""Reads of the exchange: what the status page shows."""

from __future__ import annotations

import urllib.parse
from typing import Any

from django.db.models import Count, Q

from yimen.notify.models import DEAD, FAILED, PENDING, SENT, OutboxMessage

from . import conf
from .models import LICENCE, SYSTEMS, Document, LicenceUse, Reconciliation, WorkOrder


def _host(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}" if url else ""


def licence_simulated() -> bool:
    """Whether the intake page talks to the simulator (labelled 模拟器)."""
    return conf.simulator_on()


def status() -> dict[str, Any]:
    systems = []
    for code, label in SYSTEMS:
        endpoint = conf.endpoint(code)
        docs = Document.objects.filter(system=code).aggregate(
            total=Count("id"),
            acknowledged=Count("id", filter=Q(acknowledged_at__isnull=False)),
            simulated=Count("id", filter=Q(simulated=True)),
        )
        outbox = dict(
            OutboxMessage.objects.filter(channel="exchange")
            .filter(template__startswith=f"exchange.{code}.")
            .values_list("status")
            .annotate(n=Count("id"))
        )
        systems.append(
            {
                "code": code,
                "label": label,
                "configured": endpoint.configured,
                "url": _host(endpoint.url),
                "has_secret": bool(endpoint.secret),
                "documents": docs["total"],
                "acknowledged": docs["acknowledged"],
                "simulated": docs["simulated"] > 0,
                "pending": outbox.get(PENDING, 0) + outbox.get(FAILED, 0),
                "sent": outbox.get(SENT, 0),
                "dead": outbox.get(DEAD, 0),
            }
        )
    return {
        "simulator_on": conf.simulator_on(),
        "systems": systems,
        "reconciliations": list(Reconciliation.objects.all()[:30]),
        "work_orders": list(WorkOrder.objects.all()[:20]),
        "licence_uses": list(LicenceUse.objects.all()[:20]),
        "dead": list(
            OutboxMessage.objects.filter(channel="exchange", status=DEAD).order_by("-id")[:20]
        ),
        "licence_system": LICENCE,
    }
