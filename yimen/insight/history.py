"""Sample visit history for the demo (and tests): finished tickets of past days, so the waiting
forecast (insight.forecast) and the dashboards have a history to read on a fresh demo.

These are archive rows of days that are over (no transition happens on them), marked by their
channel `kiosk` and numbered per queue as the hall would have; they carry no personal data. Only
`yimen demo` loads them (settings.YIMEN_DEMO_EXTRAS), never a production instance.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

from django.db import transaction

WEEKS = 4
# relative demand by hour of a district centre: the morning peak and a smaller one after lunch
HOURLY_SHAPE = {9: 1.3, 10: 1.6, 11: 1.2, 12: 0.5, 13: 0.6, 14: 1.1, 15: 1.0, 16: 0.6}


def record_day(outlet, day: date, per_hour: float, rng: random.Random) -> int:
    """Finished tickets of one past opening day of `outlet` (its items, its queues, its hours):
    Poisson arrivals shaped by HOURLY_SHAPE, each served at a window after a plausible wait."""
    from yimen.core import clock
    from yimen.core.errors import DomainError
    from yimen.outlets.selectors import schedule_for
    from yimen.queueing import selectors as queue_selectors
    from yimen.queueing.models import Ticket

    spans = schedule_for(outlet).spans_on(day)
    routable = []
    for it in outlet.items.filter(active=True).order_by("code")[:40]:
        try:
            routable.append((it, queue_selectors.route(outlet, [it])))
        except DomainError:
            continue
    if not spans or not routable:
        return 0
    seq: dict[int, int] = {}
    rows, items = [], []
    for a, b in spans:
        t = a.hour * 60.0 + a.minute
        end = b.hour * 60.0 + b.minute
        while True:
            rate = per_hour * HOURLY_SHAPE.get(int(t // 60), 0.8) / 60.0
            t += -math.log(1.0 - rng.random()) / max(rate, 1e-6)
            if t >= end:
                break
            item, queue = routable[rng.randrange(len(routable))]
            seq[queue.pk] = seq.get(queue.pk, 0) + 1
            issued = clock.at(day.year, day.month, day.day) + timedelta(minutes=t)
            called = issued + timedelta(minutes=rng.expovariate(1 / 8.0))
            rows.append(
                Ticket(
                    outlet=outlet,
                    queue=queue,
                    service_date=day,
                    seq=seq[queue.pk],
                    number=f"{queue.prefix}{seq[queue.pk]:03d}",
                    priority="老年人" if rng.random() < 0.08 else "",
                    channel="kiosk",
                    status=Ticket.DONE,
                    issued_at=issued,
                    queued_at=issued,
                    called_at=called,
                    started_at=called + timedelta(minutes=1),
                    finished_at=called + timedelta(minutes=1 + rng.lognormvariate(1.9, 0.5)),
                )
            )
            items.append(item)
    with transaction.atomic():  # one day in one transaction, in bulk (thousands of rows)
        Ticket.objects.bulk_create(rows)
        saved = {t.public_id: t.pk for t in Ticket.objects.filter(outlet=outlet, service_date=day)}
        links = [(saved[t.public_id], item.pk) for t, item in zip(rows, items)]
        Ticket.items.through.objects.bulk_create(
            [Ticket.items.through(ticket_id=tid, serviceitem_id=iid) for tid, iid in links]
        )
        Ticket.handled_items.through.objects.bulk_create(
            [Ticket.handled_items.through(ticket_id=tid, serviceitem_id=iid) for tid, iid in links]
        )
    return len(rows)


def load(stdout=None) -> str:
    """Demo extra (settings.YIMEN_DEMO_EXTRAS): the last four weeks of visits."""
    made = record_history()
    return f"样例历史取号记录：{made} 条（近 {WEEKS} 周，城西区市民服务中心与银行网点）"


def record_history(*, today: date | None = None, weeks: int = WEEKS) -> int:
    """The past `weeks` weeks of visits at 城西区市民服务中心 and the bank branches."""
    from yimen.core import clock
    from yimen.outlets.models import Outlet
    from yimen.queueing.models import Ticket

    today = today or clock.today()
    rng = random.Random(20220315)
    made = 0
    outlets = Outlet.objects.filter(active=True, code__in=["XN-CX"]) | Outlet.objects.filter(
        active=True, kind="bank"
    )
    for outlet in outlets.order_by("code"):
        per_hour = 45.0 if outlet.kind != "bank" else 4.0
        for k in range(weeks * 7, 0, -1):
            day = today - timedelta(days=k)
            if Ticket.objects.filter(outlet=outlet, service_date=day).exists():
                continue  # a day already recorded (or lived) stays as it is
            made += record_day(outlet, day, per_hour, rng)
    return made
