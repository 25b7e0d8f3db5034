"""Daily reconciliation per outlet: ours vs what the 好差评 system holds, re-push of what is
missing (once per reconciliation date), the worker's chore."""

from datetime import date

from yimen.core.jobs import JobRun
from yimen.exchange import reconcile, services
from yimen.exchange.models import HCP, Document, Reconciliation
from yimen.notify.worker import DEFAULT_CHORES

from .conftest import worker_once


def _record(i, outlet, hour=10):
    from yimen.core import clock

    return services.record(
        HCP,
        "evaluation",
        f"R-{outlet}-{i}",
        {"type": "evaluation", "outlet_code": outlet, "grade": 5},
        outlet_code=outlet,
        at=clock.at(2026, 3, 2, hour, 0),
    )


def test_missing_documents_are_pushed_again_and_counted(db, clock, sim):
    clock.freeze(clock.at(2026, 3, 2, 18, 0))
    cx = [_record(i, "XN-CX") for i in range(3)]
    cb = [_record(i, "XN-CB") for i in range(2)]
    worker_once()
    assert len(sim.state.deliveries(HCP)) == 5
    # the system lost one of XN-CX's documents (what reconciliation exists for)
    del sim.state.documents["hcp"][cx[1].doc_id]
    clock.freeze(clock.at(2026, 3, 3, 2, 0))
    run = reconcile.chore(JobRun("exchange.reconcile"))
    assert run["day"] == "2026-03-02" and run["outlets"] == 2
    row = Reconciliation.objects.get(outlet_code="XN-CX", day=date(2026, 3, 2))
    assert (row.ours, row.acknowledged, row.missing, row.repushed) == (3, 2, 1, 1)
    assert row.simulated and row.error == ""
    other = Reconciliation.objects.get(outlet_code="XN-CB", day=date(2026, 3, 2))
    assert (other.ours, other.acknowledged, other.missing) == (2, 2, 0)
    worker_once()
    assert sim.state.deliveries(HCP)[cx[1].doc_id] == 2  # pushed again …
    assert cx[1].doc_id in sim.state.documents["hcp"]  # … and now held
    # a second run that day: already reconciled, nothing pushed again
    reconcile.chore(JobRun("exchange.reconcile"))
    assert worker_once().handled == 0
    # forced again after the re-push: nothing missing any more
    reconcile.reconcile_day(date(2026, 3, 2), force=True)
    row.refresh_from_db()
    assert (row.missing, row.repushed) == (0, 0)
    assert sum(sim.state.deliveries(HCP).values()) == 6 and len(cb) == 2


def test_a_document_still_on_its_way_is_not_pushed_twice(db, clock, sim):
    clock.freeze(clock.at(2026, 3, 2, 18, 0))
    doc = _record(0, "XN-CX")
    sim.state.documents["hcp"]["other"] = {"outlet_code": "XN-CX", "business_date": "2026-03-02"}
    reconcile.reconcile_day(date(2026, 3, 2))  # the first push was not delivered yet
    row = Reconciliation.objects.get(outlet_code="XN-CX")
    assert (row.ours, row.missing, row.repushed) == (1, 1, 0)
    worker_once()
    assert sim.state.deliveries(HCP) == {doc.doc_id: 1}


def test_an_unreachable_system_is_recorded_and_retried_next_round(db, clock, sim, settings):
    clock.freeze(clock.at(2026, 3, 2, 18, 0))
    _record(0, "XN-CX")
    worker_once()
    settings.YIMEN = {**settings.YIMEN, "EXCHANGE_HCP_URL": "http://127.0.0.1:9/hcp"}
    run = reconcile.reconcile_day(date(2026, 3, 2))
    assert run.failed == ["XN-CX 2026-03-02"]
    assert "对账查询失败" in Reconciliation.objects.get(outlet_code="XN-CX").error
    settings.YIMEN = {**settings.YIMEN, "EXCHANGE_HCP_URL": f"{sim.base}/hcp"}
    reconcile.reconcile_day(date(2026, 3, 2))  # the failed day is taken again
    assert Reconciliation.objects.get(outlet_code="XN-CX").error == ""


def test_the_worker_runs_the_reconciliation_chore():
    names = {c["name"]: c["call"] for c in DEFAULT_CHORES}
    assert names["exchange.reconcile"] == "yimen.notify.chores.exchange_reconcile"


def test_nothing_is_reconciled_without_a_url(db, clock, settings):
    settings.YIMEN = {**settings.YIMEN, "EXCHANGE_HCP_URL": ""}
    clock.freeze(clock.at(2026, 3, 2, 18, 0))
    _record(0, "XN-CX")
    reconcile.reconcile_day(date(2026, 3, 2))
    assert not Reconciliation.objects.exists() and Document.objects.count() == 1


def test_the_command_reconciles_a_day_and_prints_json(db, clock, sim):
    import json
    from io import StringIO

    from django.core.management import call_command

    clock.freeze(clock.at(2026, 3, 2, 18, 0))
    _record(0, "XN-CX")
    worker_once()
    out = StringIO()
    call_command("exchange", "reconcile", "--date", "2026-03-02", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["day"] == "2026-03-02" and data["failed"] == []
    assert data["outlets"] == [
        {
            "outlet_code": "XN-CX",
            "ours": 1,
            "acknowledged": 1,
            "missing": 0,
            "repushed": 0,
            "error": "",
        }
    ]
