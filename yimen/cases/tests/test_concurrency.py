"""Receipt numbers stay unique and gap-free when many windows open cases at the same moment."""

import threading

import pytest
from django.db import connection

from yimen.cases import services
from yimen.cases.models import Case
from yimen.catalog.models import ServiceItem

from .conftest import clerk_at, person


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_parallel_intake_gets_distinct_receipt_numbers(demo, clock):
    clock.freeze(clock.at(2022, 3, 28, 10, 0))
    clerks = [clerk_at(f"CX-ZH-20{i}")[0] for i in range(1, 6)]
    item = ServiceItem.objects.get(code="XN-WS-001")
    errors, barrier = [], threading.Barrier(len(clerks) * 2)

    def work(clerk):
        try:
            barrier.wait()
            services.open_case(clerk, item=item, outlet=clerk.outlet, applicant=person())
        except Exception as exc:  # collected and reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(c,)) for c in clerks for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    numbers = sorted(
        Case.objects.filter(outlet__code="XN-CX").values_list("receipt_number", flat=True)
    )
    assert numbers == [f"XN-CX-20220328-{i:04d}" for i in range(1, 11)]
