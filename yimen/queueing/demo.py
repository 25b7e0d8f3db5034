"""Queues of the demo network: one queue per ticket-calling window group."""

from django.db import transaction

from yimen.outlets.models import QUEUE_WINDOW_KINDS, Outlet, Window

from .models import Queue

PREFIX_BY_KIND = {
    "综合窗口": "A",
    "绿色通道": "G",
    "办不成事窗口": "H",
    "帮办代办": "B",
    "银行网点": "Y",
}
SPECIALIST_PREFIXES = "CDEFJKLMNPQRSTUVWXZ"


@transaction.atomic
def load(stdout=None):
    created = 0
    for outlet in Outlet.objects.all():
        groups = (
            Window.objects.filter(outlet=outlet, kind__in=QUEUE_WINDOW_KINDS)
            .values_list("group_code", "kind", "label")
            .distinct()
            .order_by("group_code")
        )
        used = set(Queue.objects.filter(outlet=outlet).values_list("prefix", flat=True))
        specialist = iter(p for p in SPECIALIST_PREFIXES if p not in used)
        for group_code, kind, label in groups:
            if Queue.objects.filter(outlet=outlet, code=group_code).exists():
                continue
            prefix = PREFIX_BY_KIND.get(kind)
            if prefix is None or prefix in used:
                prefix = next(specialist)
            used.add(prefix)
            Queue.objects.create(
                outlet=outlet,
                code=group_code,
                name=label or kind,
                prefix=prefix,
                window_group=group_code,
            )
            created += 1
    return f"队列：新建 {created} 个"
