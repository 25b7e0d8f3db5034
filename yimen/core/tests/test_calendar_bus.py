"""The work calendar and the triage index follow changes on the change bus (core.changes): a
holiday import in another process (`yimen holidays import`) reaches a running server."""

import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from django.db import connection

from yimen.core import changes
from yimen.core.selectors import CALENDAR, work_calendar
from yimen.core.services import import_holiday_cn

ROOT = Path(__file__).resolve().parents[3]
DOC_2031 = {
    "year": 2031,
    "papers": [],
    "days": [{"name": "元旦", "date": "2031-01-01", "isOffDay": True}],
}


@pytest.mark.django_db
def test_work_calendar_is_cached_until_the_calendar_topic_changes(django_assert_num_queries):
    first = work_calendar()
    with django_assert_num_queries(0):
        assert work_calendar() is first
    changes.bump(CALENDAR)
    assert work_calendar() is not first


@pytest.mark.django_db
def test_an_import_bumps_the_calendar_topic_and_the_next_read_sees_it():
    work_calendar()  # cached before the import
    before = changes.version(CALENDAR)
    import_holiday_cn(DOC_2031, source="test")
    assert changes.version(CALENDAR) > before
    cal = work_calendar()
    assert not cal.is_workday(date(2031, 1, 1)) and cal.is_verified(date(2031, 6, 1))


def test_without_a_listener_another_process_is_seen_within_a_minute(monkeypatch):
    monkeypatch.setattr(changes._listener, "connected", False)
    assert changes.max_age(CALENDAR) == 60.0
    monkeypatch.setattr(changes._listener, "connected", True)
    assert changes.max_age(CALENDAR) == 3600.0


@pytest.mark.django_db(transaction=True)
def test_holidays_import_in_another_process_reaches_this_one(settings, tmp_path):
    """PostgreSQL: the CLI commits the import with NOTIFY 'calendar'; this process's listener
    drops its cached calendar, so the next read (no restart) has the new year."""
    if connection.vendor != "postgresql":
        pytest.skip("cross-process changes arrive by NOTIFY on PostgreSQL")
    settings.YIMEN_CHANGE_LISTENER = True
    listener = changes._listener
    try:
        listener.ensure_started()
        assert listener.wait_connected(5), "listener did not connect"
        cached = work_calendar()
        assert not cached.is_verified(date(2031, 6, 1))
        path = tmp_path / "2031.json"
        path.write_text(json.dumps(DOC_2031, ensure_ascii=False), encoding="utf-8")
        db = connection.settings_dict
        url = (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
        env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        done = subprocess.run(
            [sys.executable, "-m", "yimen.cli", "holidays", "import", str(path)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        deadline = time.monotonic() + 5.0
        while work_calendar() is cached and time.monotonic() < deadline:
            time.sleep(0.02)
        cal = work_calendar()
        assert cal.is_verified(date(2031, 6, 1)) and not cal.is_workday(date(2031, 1, 1))
    finally:
        listener.stop()
