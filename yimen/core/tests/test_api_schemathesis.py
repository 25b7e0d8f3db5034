"""A bounded schemathesis run against /api/openapi.json, in process (Django's WSGI application),
anonymous and with a staff token and a device token: 0 server errors, and every response
conforms to the schema (declared status code, content type, body schema). Valid and invalid
inputs (positive and negative generation) for every operation.

Bounded: MAX_EXAMPLES per operation, mode and caller; no deadline (the machine is shared). Each
request runs in a savepoint of the test's transaction, kept when it succeeds (state builds up,
as it would on a server) and rolled back after a 5xx so one failure cannot poison the next
requests on PostgreSQL."""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode

from yimen.staff.testing import make_staff
from yimen.staff.tokens import issue_token

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

MAX_EXAMPLES = int(os.environ.get("YIMEN_FUZZ_EXAMPLES", "6"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def wsgi_app():
    """Django's WSGI application, which — unlike the test client — closes the database connection
    after each request (and so the test's transaction): keep it open, as django.test.Client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def callers(demo):
    from yimen.outlets.models import Outlet

    staff = make_staff("admin", outlet="XN-CX", region_code="630104")
    _t, staff_raw = issue_token(staff=staff)
    _t, device_raw = issue_token(outlet=Outlet.objects.get(code="XN-CX"))
    return {
        "anonymous": {},
        "staff": {"Authorization": f"Bearer {staff_raw}"},
        "device": {"Authorization": f"Bearer {device_raw}"},
    }


def _run(operation, mode, headers, failures):
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        savepoint = transaction.savepoint()
        response = None
        try:
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 — collect every failure, then report
            status = getattr(response, "status_code", "?")
            failures.append(
                f"{operation.label} [{mode.value}] {status}: {type(exc).__name__}: "
                f"{str(exc)[:400]}\n    {case.as_curl_command(headers=headers)[:400]}"
            )
        finally:
            if response is not None and response.status_code < 500:
                transaction.savepoint_commit(savepoint)
            else:
                transaction.savepoint_rollback(savepoint)

    try:
        run()
    except (
        Unsatisfiable
    ):  # negative mode: nothing invalid to generate (e.g. a free-text path parameter)
        assert mode is GenerationMode.NEGATIVE, operation.label


@pytest.mark.parametrize("caller", ["anonymous", "staff", "device"])
def test_api_conforms_and_never_answers_5xx(wsgi_app, callers, caller):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", wsgi_app)
    failures: list[str] = []
    operations = 0
    labels = set()
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        labels.add(operation.label)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _run(operation, mode, callers[caller], failures)
    assert operations >= 40
    # the endpoints merged after the first run are part of it (一件事, guides, the bell, 主动服务)
    assert {
        "GET /api/bundles",
        "GET /api/bundles/{code}",
        "GET /api/items/{code}/guide",
        "GET /api/notices",
        "POST /api/notices/{notice_id}/read",
        "POST /api/notices/read-all",
        "POST /api/outreach/reminders",
    } <= labels, sorted(labels)
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:40])
