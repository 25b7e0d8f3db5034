"""Queue load benchmark, the server side: the database, the bench outlet and its tokens
(`bench/queue_load.py` runs it, then the load generator in `queue_load_client.py`)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BENCH_SETTINGS = """from yimen.settings import *  # noqa: F401,F403

DATABASES["default"]["CONN_MAX_AGE"] = 0          # required with a pool
DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
DATABASES["default"].setdefault("OPTIONS", {{}})["pool"] = {{"min_size": 4, "max_size": {pool}, "timeout": 30}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_database(url: str):
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def prepare(url: str, windows: int) -> dict:
    """Schema, demo data and the bench outlet (runs Django in this process)."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yimen.settings")
    # production mode needs its keys; the loader and the server share them (personal data)
    os.environ.setdefault("YIMEN_SECRET_KEY", "bench-only-" + uuid.uuid4().hex)
    os.environ.setdefault("YIMEN_DATA_KEY", "bench-only-" + uuid.uuid4().hex)
    subprocess.run([str(BIN / "yimen"), "migrate", "--noinput", "-v", "0"], check=True, cwd=ROOT)
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils.module_loading import import_string

    from yimen.catalog.models import ServiceItem
    from yimen.outlets.models import Outlet, Window
    from yimen.queueing.models import Queue, Ticket
    from yimen.staff.models import Staff, WindowSession
    from yimen.staff.tokens import issue_token

    if not Outlet.objects.filter(code="XN-CX").exists():
        for path in settings.YIMEN_DEMO_LOADERS:
            import_string(path)(stdout=None)
    all_day = ["00:00-23:59"]
    with transaction.atomic():
        outlet, _ = Outlet.objects.update_or_create(
            code="BENCH",
            defaults=dict(
                name="压测网点",
                kind="district_centre",
                holiday_rule="open_on_off_days",
                weekly_hours={
                    k: all_day for k in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                },
            ),
        )
        outlet.items.set(ServiceItem.objects.filter(comprehensive=True))
        existing = set(Window.objects.filter(outlet=outlet).values_list("number", flat=True))
        Window.objects.bulk_create(
            [
                Window(
                    outlet=outlet,
                    code=f"BENCH-ZH-{n}",
                    group_code="BENCH-ZH",
                    number=str(n),
                    kind="综合窗口",
                    scope="comprehensive",
                    label="综合窗口",
                )
                for n in range(1, windows + 1)
                if str(n) not in existing
            ]
        )
        Queue.objects.get_or_create(
            outlet=outlet,
            code="BENCH-ZH",
            defaults=dict(name="综合", prefix="A", window_group="BENCH-ZH"),
        )
        # a clean day for the bench: earlier bench tickets are closed
        Ticket.objects.filter(outlet=outlet, status__in=["waiting", "called", "serving"]).update(
            status="cancelled"
        )
        WindowSession.objects.filter(window__outlet=outlet, ended_at__isnull=True).delete()
        Staff.objects.filter(outlet=outlet).update(active=False)
        users = get_user_model()
        tokens = []
        stamp = uuid.uuid4().hex[:6]
        from yimen.core import clock

        for w in Window.objects.filter(outlet=outlet).order_by("pk")[:windows]:
            user = users.objects.create_user(username=f"bench-{stamp}-{w.number}", password=None)
            staff = Staff.objects.create(
                user=user, name=f"压测{w.number}", role="clerk", outlet=outlet
            )
            WindowSession.objects.create(window=w, staff=staff, started_at=clock.now())
            _t, raw = issue_token(staff=staff)
            tokens.append((w.pk, raw))
        _t, device = issue_token(outlet=outlet, label="bench-kiosk")
    # fresh planner statistics: earlier runs left tens of thousands of tickets and events, and with
    # stale statistics PostgreSQL picked scans that made the board ~5× slower (what autovacuum's
    # analyze would also fix, a few minutes later)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"device": device, "windows": tokens}
