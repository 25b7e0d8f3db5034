"""A worker killed with kill -9 in the middle of a batch loses nothing and delivers nothing twice
(real subprocesses against the stub provider over HTTP)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from yimen.core.fields import _master_keys
from yimen.notify.models import SENT, OutboxMessage
from yimen.notify.services import enqueue
from yimen.notify.stub import KEY_ID, SECRET, StubServer

ROOT = Path(__file__).resolve().parents[3]
N = 150


def _env(stub_url: str) -> dict[str, str]:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        url = f"sqlite:///{db['NAME']}"
    else:
        url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return {
        **os.environ,
        "DATABASE_URL": url,
        "YIMEN_DEBUG": "1",
        "YIMEN_DATA_KEY": _master_keys()[0].decode(),
        "YIMEN_SMS_BACKEND": "aliyun",
        "YIMEN_ALIYUN_ACCESS_KEY_ID": KEY_ID,
        "YIMEN_ALIYUN_ACCESS_KEY_SECRET": SECRET,
        "YIMEN_ALIYUN_SMS_ENDPOINT": stub_url,
        "YIMEN_SMS_TEMPLATE_CODES": json.dumps({"outbox.test": "SMS_1"}),
        "YIMEN_SMS_QUIET_HOURS": "off",
        "YIMEN_SMS_DAILY_LIMIT": "0",
        "YIMEN_SMS_TIMEOUT": "1",
        "YIMEN_OUTBOX_LEASE_SECONDS": "2",
        "YIMEN_OUTBOX_BATCH": "25",
        "YIMEN_CHANGE_LISTENER": "0",
        "YIMEN_BACKGROUND_REFRESH": "0",
    }


@pytest.mark.slow  # ~11 s: two real worker processes
@pytest.mark.django_db(transaction=True)
def test_kill_9_mid_batch_loses_nothing_and_sends_nothing_twice(settings):
    settings.YIMEN = {**settings.YIMEN, "SMS_QUIET_HOURS": "off"}
    stub = StubServer(delay=0.01).start()
    try:
        ids = [
            enqueue(
                to=str(13800000000 + i),
                template="outbox.test",
                params={"at": "x"},
                dedupe_key=f"k{i}",
            ).pk
            for i in range(N)
        ]
        env = _env(stub.url)
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "worker", "--interval", "0.2"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while len(stub.state.accepted) < N // 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(worker.pid, signal.SIGKILL)  # mid-batch: some claimed rows are not settled
        worker.wait()
        delivered_before = len(stub.state.accepted)
        assert 0 < delivered_before < N
        time.sleep(2.5)  # the dead worker's lease runs out
        subprocess.run(
            [sys.executable, "manage.py", "worker", "--once"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        counts = stub.state.references()
        assert set(counts) == {f"yimen-{i}" for i in ids}  # nothing lost
        assert max(counts.values()) == 1  # nothing twice
        assert OutboxMessage.objects.filter(status=SENT).count() == N
        assert stub.state.bad_signatures == 0
    finally:
        stub.stop()
