"""Daily reconciliation with the 好差评 system, per outlet: our documents of the day against the
ids the system says it holds; what it lacks is pushed again (through the outbox, a new dedupe key
per reconciliation date, so a second run the same day re-pushes nothing twice). The receiver is
idempotent on the document id, so a re-push of something it did receive harms nothing.

Run by the worker's chore `exchange.reconcile` (hourly; it reconciles yesterday, once per outlet
and day unless the previous attempt failed) or `yimen exchange reconcile [--date D]`.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.db import transaction

from yimen.core import clock
from yimen.core.jobs import JobRun
from yimen.notify.models import DEAD, SENT, OutboxMessage

from . import rules, services
from .adapters import Unavailable, get_adapter
from .models import HCP, Document, Reconciliation

log = logging.getLogger("yimen.exchange")


def reconcile_day(day: date, run: JobRun | None = None, *, force: bool = False) -> JobRun:
    run = run or JobRun("exchange.reconcile")
    adapter = get_adapter(HCP)
    if adapter is None:  # nothing is exchanged with an unset system
        return run
    outlets = sorted(
        set(Document.objects.filter(system=HCP, day=day).values_list("outlet_code", flat=True))
    )

    def one(outlet_code: str):
        done = Reconciliation.objects.filter(system=HCP, outlet_code=outlet_code, day=day, error="")
        if done.exists() and not force:
            return None
        try:  # the HTTP call outside any transaction
            held, simulated = adapter.acknowledged(outlet_code, day)
        except Unavailable as exc:
            _save(outlet_code, day, error=f"对账查询失败：{exc}"[:300])
            raise
        _settle(outlet_code, day, held, simulated)
        run.done.append(outlet_code)
        return outlet_code

    run.each(outlets, one, label=lambda o: f"{o} {day}", atomic=False)
    return run


@transaction.atomic
def _settle(outlet_code: str, day: date, held: list[str], simulated: bool) -> None:
    docs = {
        d.doc_id: d
        for d in Document.objects.select_for_update().filter(
            system=HCP, outlet_code=outlet_code, day=day
        )
    }
    lacking = rules.missing(docs, held)
    repushed = 0
    for doc_id in lacking:
        doc = docs[doc_id]
        status = (
            OutboxMessage.objects.filter(pk=doc.message_id).values_list("status", flat=True).first()
            if doc.message_id
            else None
        )
        # still on its way (pending / failed, will be retried): not missing yet
        if doc.message_id and status not in (SENT, DEAD):
            continue
        if services.queue(doc, suffix=f":re{clock.today():%Y%m%d}"):
            repushed += 1
    now = clock.now()
    Document.objects.filter(system=HCP, doc_id__in=[d for d in docs if d in set(held)]).filter(
        acknowledged_at__isnull=True
    ).update(acknowledged_at=now, simulated=simulated)
    _save(
        outlet_code,
        day,
        ours=len(docs),
        acknowledged=len(set(held) & set(docs)),
        missing=len(lacking),
        repushed=repushed,
        simulated=simulated,
    )
    log.info(
        "reconciled %s %s: ours %s, held %s, missing %s, re-pushed %s",
        outlet_code,
        day,
        len(docs),
        len(held),
        len(lacking),
        repushed,
    )


def _save(outlet_code: str, day: date, **values) -> None:
    values.setdefault("error", "")
    Reconciliation.objects.update_or_create(
        system=HCP, outlet_code=outlet_code, day=day, defaults={**values, "run_at": clock.now()}
    )


def chore(run: JobRun) -> dict:
    """The worker's chore: yesterday, for every outlet with documents that day."""
    day = clock.today() - timedelta(days=1)
    reconcile_day(day, run)
    return {"day": day.isoformat(), "outlets": len(run.done)}
