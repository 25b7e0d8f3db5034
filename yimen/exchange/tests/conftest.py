"""The exchange's tests run against the local simulator (yimen/exchange/simulator.py), started on
a free port per test, with settings.YIMEN pointing at it."""

import pytest

from yimen.feedback.tests.conftest import cx_staff  # noqa: F401  (fixture)


@pytest.fixture
def sim(settings):
    from yimen.exchange import simulator

    server = simulator.start({"hcp": "hcp-s3cret", "12345": "h-s3cret", "licence": "lic-s3cret"})
    settings.YIMEN = {**settings.YIMEN, **server.settings(), "SMS_QUIET_HOURS": "off"}
    yield server
    server.shutdown()
    server.server_close()


def worker_once(worker_id="w1"):
    """What `yimen worker --once` does for the outbox: deliver everything due now."""
    from yimen.notify.delivery import deliver_due

    return deliver_due(worker_id)
