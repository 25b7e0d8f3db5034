"""Exchange benchmark: N 好差评 documents pushed through the outbox to the local simulator over HTTP.

    .venv/bin/python bench/exchange.py                        # SQLite (a temporary file)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yimen_bench .venv/bin/python bench/exchange.py

Starts the exchange simulator (signatures checked, idempotent on the document id), --workers
`yimen worker` processes pointed at it, then records the documents at --rate per second (each in
its own transaction, as a rating would: ledger row + outbox row). Prints the throughput, the
p50/p99 latency (record commit → the simulator accepting the POST) and checks that every document
arrived exactly once (one POST each).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--documents", type=int, default=2000)
    ap.add_argument("--rate", type=float, default=100.0, help="documents recorded per second")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    if not os.environ.get("DATABASE_URL"):
        path = Path(tempfile.gettempdir()) / f"yimen-bench-exchange-{os.getpid()}.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("YIMEN_DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yimen.settings")
    from yimen.exchange import simulator

    sim = simulator.start()
    os.environ.update({f"YIMEN_{k}": v for k, v in sim.settings().items()})
    import django

    django.setup()
    from delivery_figures import delivery_figures, report
    from django.core.management import call_command
    from django.db import connection, transaction

    from yimen.core import clock
    from yimen.core.fields import _master_keys
    from yimen.exchange import services
    from yimen.exchange.models import HCP, Document
    from yimen.notify.models import OutboxMessage

    call_command("migrate", verbosity=0)
    OutboxMessage.objects.filter(channel="exchange").delete()
    Document.objects.all().delete()
    env = {
        **os.environ,
        "YIMEN_DATA_KEY": _master_keys()[0].decode(),
        "YIMEN_CHANGE_LISTENER": "0",
        "YIMEN_BACKGROUND_REFRESH": "0",
    }
    workers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "worker", "--interval", "0.05"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(args.workers)
    ]
    # workers up: their first tick runs every chore (outreach's sweeps take seconds); measure after
    from yimen.notify.models import ChoreSchedule
    from yimen.notify.worker import chores

    until = time.time() + 120
    while time.time() < until:
        if ChoreSchedule.objects.exclude(last_result={}).count() >= len(chores()):
            break
        time.sleep(0.5)
    recorded: dict[str, float] = {}
    start = time.time()
    for i in range(args.documents):
        target = start + i / args.rate
        if (pause := target - time.time()) > 0:
            time.sleep(pause)
        doc_id = f"BENCH-{start:.0f}-{i}"
        with transaction.atomic():
            services.record(
                HCP,
                "evaluation",
                doc_id,
                {"type": "evaluation", "outlet_code": "XN-CX", "grade": 5},
                outlet_code="XN-CX",
                at=clock.now(),
            )
        recorded[doc_id] = time.time()
    record_seconds = time.time() - start
    deadline = time.time() + 300
    while len(sim.state.requests) < args.documents and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(1)  # a late duplicate would show up here
    for w in workers:
        w.terminate()
    for w in workers:
        w.wait()
    sim.shutdown()
    counts = sim.state.deliveries(HCP)
    accepted: dict[str, float] = {}
    for r in sim.state.requests:
        accepted.setdefault(r["headers"].get("X-Yimen-Document-Id", ""), r["at"])
    result = {
        "database": connection.vendor,
        "documents": args.documents,
        "workers": args.workers,
        "rate_offered_per_s": args.rate,
        "recorded_per_s": round(args.documents / record_seconds, 1),
        **delivery_figures(start, recorded, accepted),
        "twice": sum(c - 1 for c in counts.values()),
        "bad_signatures": sim.state.bad_signatures,
    }
    report(result, args.json)


if __name__ == "__main__":
    main()
