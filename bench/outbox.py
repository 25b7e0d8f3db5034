"""Outbox benchmark: N messages (default 10,000) through the stub provider over HTTP.

    .venv/bin/python bench/outbox.py                          # SQLite (a temporary file)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yimen_bench .venv/bin/python bench/outbox.py

Starts the local stub of Alibaba Cloud SMS (signatures checked), --workers `yimen worker`
processes using the real `aliyun` adapter against it, then enqueues the messages at --rate per
second (open loop, each in its own transaction as a service would). Prints the enqueue rate,
the delivery throughput and the p50/p99 enqueue→delivered latency (enqueue commit → the stub
accepting the request), and checks that every message arrived exactly once.
"""

from __future__ import annotations

import argparse
import json
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
    ap.add_argument("--messages", type=int, default=10_000)
    ap.add_argument("--rate", type=float, default=250.0, help="messages enqueued per second")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    if not os.environ.get("DATABASE_URL"):
        path = Path(tempfile.gettempdir()) / f"yimen-bench-outbox-{os.getpid()}.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("YIMEN_DEBUG", "1")
    os.environ["YIMEN_SMS_QUIET_HOURS"] = "off"
    os.environ["YIMEN_SMS_DAILY_LIMIT"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yimen.settings")
    import django

    django.setup()
    from delivery_figures import delivery_figures, report
    from django.core.management import call_command
    from django.db import connection, transaction

    from yimen.core.fields import _master_keys
    from yimen.notify.models import OutboxMessage
    from yimen.notify.services import enqueue
    from yimen.notify.stub import KEY_ID, SECRET, StubServer

    call_command("migrate", verbosity=0)
    OutboxMessage.objects.all().delete()
    stub = StubServer().start()
    env = {
        **os.environ,
        "YIMEN_DATA_KEY": _master_keys()[0].decode(),
        "YIMEN_SMS_BACKEND": "aliyun",
        "YIMEN_ALIYUN_ACCESS_KEY_ID": KEY_ID,
        "YIMEN_ALIYUN_ACCESS_KEY_SECRET": SECRET,
        "YIMEN_ALIYUN_SMS_ENDPOINT": stub.url,
        "YIMEN_SMS_TEMPLATE_CODES": json.dumps({"outbox.test": "SMS_1"}),
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
    time.sleep(3)  # workers up (their first tick runs the chores)
    enqueued: dict[str, float] = {}
    start = time.time()
    for i in range(args.messages):
        target = start + i / args.rate
        if (pause := target - time.time()) > 0:
            time.sleep(pause)
        with transaction.atomic():
            msg = enqueue(
                to=str(13800000000 + i % 50_000),
                template="outbox.test",
                params={"at": "bench"},
                dedupe_key=f"bench:{start}:{i}",
            )
        assert msg is not None
        enqueued[f"yimen-{msg.pk}"] = time.time()
    enqueue_seconds = time.time() - start
    deadline = time.time() + 300
    while len(stub.state.accepted) < args.messages and time.time() < deadline:
        time.sleep(0.2)
    for w in workers:
        w.terminate()
    for w in workers:
        w.wait()
    stub.stop()
    counts = stub.state.references()
    accepted = {m["reference"]: m["at"] for m in stub.state.accepted}
    result = {
        "database": connection.vendor,
        "messages": args.messages,
        "workers": args.workers,
        "rate_offered_per_s": args.rate,
        "enqueue_per_s": round(args.messages / enqueue_seconds, 1),
        **delivery_figures(start, enqueued, accepted),
        "duplicates": sum(c - 1 for c in counts.values()),
        "bad_signatures": stub.state.bad_signatures,
    }
    report(result, args.json)


if __name__ == "__main__":
    main()
