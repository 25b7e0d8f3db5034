"""Shared test fixtures.

- The demo network (holidays, catalog, outlets, …) is loaded once into the test database; the
  `demo` fixture re-loads it after transactional tests flushed it.
- Browser tests (pytest-playwright) drive Debian's Chromium; `playwright install` is not needed.
"""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run in
# such a thread unless told it is safe (it is: the loop never runs Django code).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
os.environ.setdefault("YIMEN_TESTING", "1")  # fast password hasher in tests (see settings)


def pytest_configure(config):
    # pytest-django loads the settings before this file is imported, so YIMEN_TESTING above comes
    # too late for settings.py: switch to the fast hasher here as well (Argon2 costs ~1 s a hash).
    from django.conf import settings
    from django.contrib.auth.hashers import get_hashers, get_hashers_by_algorithm

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # no LISTEN thread holding a connection to the test database (it would block dropping it);
    # tests of the listener start one explicitly
    settings.YIMEN_CHANGE_LISTENER = False
    settings.YIMEN_BACKGROUND_REFRESH = False  # likewise its thread; its tests turn it on
    settings.YIMEN_WARM_UP = False  # importing yimen.asgi must not query the database
    get_hashers.cache_clear()
    get_hashers_by_algorithm.cache_clear()


CHROMIUM = os.environ.get("YIMEN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parent / "test-artifacts"


def load_demo():
    from django.conf import settings
    from django.utils.module_loading import import_string

    for path in settings.YIMEN_DEMO_LOADERS:
        import_string(path)(stdout=None)


def pytest_collection_modifyitems(config, items):
    # Transactional tests (browser / live_server) flush the database, after which every `demo` test
    # would reload the network: run them last (stable order otherwise).
    def flushes(item):
        names = getattr(item, "fixturenames", ())
        return "live_server" in names or "transactional_db" in names

    items.sort(key=flushes)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_demo()


@pytest.fixture
def demo(db, django_db_blocker):
    """The demo network, present in this test (re-loaded if a transactional test flushed it).
    Depends on `db` statically, so pytest-django sets the test database up before we touch it;
    a test that also asks for `live_server`/`transactional_db` gets a transactional database."""
    from yimen.outlets.models import Outlet

    with django_db_blocker.unblock():
        if not Outlet.objects.filter(code="XN-CX").exists():
            load_demo()


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Per-process caches (core.changes) must not carry rows of a rolled-back test into the next."""
    from yimen.core import changes

    changes.reset()
    yield
    changes.reset()


@pytest.fixture
def clock():
    """The project clock; frozen by the test with clock.freeze(...), always released after."""
    from yimen.core import clock as project_clock

    yield project_clock
    project_clock.unfreeze()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
        "viewport": {"width": 1280, "height": 900},
    }


@pytest.fixture
def screenshot(page):
    """screenshot("name") saves test-artifacts/name.png (look at them)."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name: str, full_page: bool = True):
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take
