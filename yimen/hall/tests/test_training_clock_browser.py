"""Issue 18 §8 in a real browser: a training instance runs at a set wall-clock time (YIMEN_DEMO_CLOCK,
here Saturday 2022-03-19 11:50 — scenario S05) and the real pages follow it; a production instance
refuses to start with it."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import ARTIFACTS

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.browser
def test_training_clock_walks_saturday_1150_through_the_real_pages(page, live_server, demo):
    from yimen.core import clock

    try:
        # what yimen/core/apps.py does at start-up with YIMEN_DEMO_CLOCK (the live server is a
        # thread of this process, so it runs on the same clock)
        clock.start_training_clock("2022-03-19T11:50", debug=True)
        page.goto(f"{live_server.url}/queue/kiosk/XN-CX/")
        expect(page.locator("body")).to_contain_text("今日 12:00 停止取号")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "hall2-training-clock-kiosk.png"), full_page=False)
        page.goto(f"{live_server.url}/portal/outlets/")
        expect(page.locator("main")).to_contain_text("现在是 2022年3月19日（星期六）11:5")
        expect(page.locator(".outlet-row[data-code='XN-CX']")).to_contain_text("今天 12:00 下班")
        # time moves on in real time from the set hour (not frozen)
        before = clock.now()
        page.reload()
        assert clock.now() > before
        assert clock.local_now().strftime("%Y-%m-%d %H") == "2022-03-19 11"
    finally:
        clock._offset = timedelta(0)


def test_production_refuses_to_start_with_a_training_clock(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YIMEN_", "DJANGO_", "PYTEST"))}
    env.update(
        YIMEN_SECRET_KEY="x" * 50,
        YIMEN_DATA_KEY="k" * 43 + "=",
        YIMEN_DEMO_CLOCK="2022-03-19T11:50",
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.db'}",
    )
    run = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode != 0
    assert (
        "YIMEN_DEMO_CLOCK 只能用于演示/培训环境（YIMEN_DEBUG=1），生产模式拒绝启动。" in run.stderr
    )
