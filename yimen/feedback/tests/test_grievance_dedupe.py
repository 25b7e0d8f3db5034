"""F7 (issue 14): a 办不成事 reflection submitted twice — a double click, a retried form, two
concurrent POSTs — opens one grievance, not two. The intake locks the outlet row (PostgreSQL;
SQLite's IMMEDIATE transactions serialise writers) and answers a repeat within
rules.DUPLICATE_WINDOW_MINUTES with the first grievance."""

import threading

import pytest
from django.db import connection

from yimen.core.models import AuditEntry
from yimen.feedback import rules, services
from yimen.feedback.models import Grievance
from yimen.notify.models import OutboxMessage
from yimen.outlets.models import Outlet

from .conftest import PHONE


def _submit(outlet, actor=None, **over):
    fields = {
        "outlet": outlet,
        "category": rules.REFUSED,
        "description": "窗口说材料不全，不给办",
        "phone": PHONE,
        "applicant_name": "马建国",
        "channel": "portal",
        "actor": actor,
    }
    return services.submit_grievance(**{**fields, **over})


def test_repeat_within_minutes_is_the_same_grievance(db, demo, clock):
    clock.freeze(clock.at(2022, 3, 21, 10, 0))
    outlet = Outlet.objects.get(code="XN-CX")
    first = _submit(outlet)
    assert first.replayed is False
    clock.travel(minutes=1)
    again = _submit(outlet, description="  窗口说材料不全，\n不给办 ")  # white space differs only
    assert again.pk == first.pk and again.replayed is True
    assert Grievance.objects.count() == 1
    # one acknowledgement, one audit entry, one bell notice: the repeat has no side effects
    assert AuditEntry.objects.filter(action="grievance.intake").count() == 1
    assert OutboxMessage.objects.filter(template="grievance.accepted").count() == 1
    # another person, another category, other text: separate grievances
    assert _submit(outlet, phone="13800138000").pk != first.pk
    assert _submit(outlet, category=rules.OTHER).pk != first.pk
    assert _submit(outlet, description="另一件事").pk != first.pk
    assert _submit(outlet, applicant_name="马建军").pk != first.pk
    assert _submit(Outlet.objects.get(code="XN-CB")).pk != first.pk
    assert Grievance.objects.count() == 6
    # the same reflection after the window is a new grievance (the person came back)
    clock.travel(minutes=rules.DUPLICATE_WINDOW_MINUTES)
    later = _submit(outlet)
    assert later.pk != first.pk and later.replayed is False


def test_double_post_of_the_api_and_the_window_form(client, db, demo, clock, cx_staff):
    clock.freeze(clock.at(2022, 3, 23, 11, 0))
    body = {"outlet": "XN-CX", "category": "refused", "description": "不给办", "phone": PHONE}
    one = client.post("/api/feedback/grievances", body, content_type="application/json")
    two = client.post("/api/feedback/grievances", body, content_type="application/json")
    assert one.status_code == two.status_code == 201
    assert one.json()["number"] == two.json()["number"]
    assert one.json()["token"] == two.json()["token"]
    client.force_login(cx_staff["bbcs_clerk"].user)
    form = {"category": "hard", "description": "没有房产证", "phone": PHONE, "item": "XN-SJ-001"}
    r1 = client.post("/feedback/grievances/new/", form)
    r2 = client.post("/feedback/grievances/new/", form)
    assert r1.status_code == r2.status_code == 302 and r1["Location"] == r2["Location"]
    hard = Grievance.objects.get(description="没有房产证")
    assert hard.levels.count() == 1  # the ladder was entered once
    assert Grievance.objects.count() == 2


@pytest.mark.slow
def test_concurrent_double_submit_opens_one_grievance(transactional_db, demo, clock):
    """Six POSTs of the same reflection at once (real threads and transactions)."""
    clock.freeze(clock.at(2022, 3, 21, 10, 0))
    outlet = Outlet.objects.get(code="XN-CX")
    results, errors = [], []
    barrier = threading.Barrier(6)

    def post():
        try:
            barrier.wait(timeout=20)
            results.append(_submit(outlet).number)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert len(results) == 6 and len(set(results)) == 1
    assert Grievance.objects.count() == 1
    assert OutboxMessage.objects.filter(template="grievance.accepted").count() == 1
