"""The worker's side: push one exchange document carried by an outbox message
(notify.delivery.deliver_exchange calls `send`, outside any transaction)."""

from __future__ import annotations

from django.db.models import F

from yimen.core import clock
from yimen.notify.backends import Provider, SendResult

from .adapters import get_adapter
from .models import LICENCE, Document

PATHS = {LICENCE: "/licences"}  # the library takes issued licences at <url>/licences


class _Exchange(Provider):
    name = "exchange"


EXCHANGE = _Exchange()


def send(msg) -> SendResult:
    doc = Document.objects.filter(pk=int(msg.params.get("doc", 0) or 0)).first()
    if doc is None:
        return SendResult(False, error="交换文档不存在", retry=False)
    adapter = get_adapter(doc.system)
    if adapter is None:
        return SendResult(False, error="对方系统地址未配置，未推送", retry=False)
    result = adapter.push(doc.doc_id, doc.body, PATHS.get(doc.system, ""))
    if not result.ok:
        Document.objects.filter(pk=doc.pk).update(pushes=F("pushes") + 1)
        return SendResult(False, error=result.error[:500], retry=result.retry)
    Document.objects.filter(pk=doc.pk).update(  # one write: SQLite serialises writers
        pushes=F("pushes") + 1,
        acknowledged_at=clock.now(),
        remote_ref=result.receipt,
        simulated=result.simulated,
    )
    return SendResult(True, message_id=result.receipt[:100])
