"""The public progress lookup (rate-limited)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction

from yimen.core import clock

from .. import selectors
from ..models import (
    ProgressLookup,
)


# --- Public progress (rate-limited) ------------------------------------------------------------
@transaction.atomic
def lookup_progress(receipt_number: str, secret: str, ip: str | None) -> dict | None:
    """The one way the public reaches a case by receipt number + 查询码 (/api/case-progress,
    /cases/progress/, /portal/progress/, /portal/rate/); raises RateLimited.

    Counted per client address (core.clientaddr.limit_key: IPv4, or the IPv6 /64), never per
    receipt alone — a stranger who knows someone's receipt number cannot lock the citizen out:
    - any lookups: PROGRESS_MAX_PER_IP per address per 10 minutes;
    - failed lookups of one receipt from one address: PROGRESS_MAX_FAILS_PER_RECEIPT per hour;
    - failed lookups from one address, across receipts: PROGRESS_MAX_FAILS_PER_IP per hour."""
    from yimen.core.clientaddr import limit_key

    now = clock.now()
    receipt = (receipt_number or "").strip().upper()[:32]
    key = limit_key(ip)[:45]
    mine = ProgressLookup.objects.filter(ip=key)
    if mine.filter(at__gte=now - timedelta(minutes=10)).count() >= selectors.PROGRESS_MAX_PER_IP:
        raise selectors.RateLimited("查询过于频繁，请10分钟后再试。")
    failed = mine.filter(ok=False, at__gte=now - timedelta(hours=1))
    if failed.filter(receipt_number=receipt).count() >= selectors.PROGRESS_MAX_FAILS_PER_RECEIPT:
        raise selectors.RateLimited(
            "该办件编号验证失败次数过多，已暂停查询1小时；如需帮助请致电服务中心。"
        )
    if failed.count() >= selectors.PROGRESS_MAX_FAILS_PER_IP:
        raise selectors.RateLimited("验证失败次数过多，已暂停查询1小时；如需帮助请致电服务中心。")
    answer = selectors.public_progress(receipt, secret)
    ProgressLookup.objects.create(at=now, ip=key, receipt_number=receipt, ok=answer is not None)
    ProgressLookup.objects.filter(at__lt=now - timedelta(days=2)).delete()
    return answer
