"""Issue 14 §3: a typed time far outside any sane window (0001-01-01) is refused at intake, and a
row that already holds one (written before the check) breaks neither the pages, the summary nor
the escalation job; one grievance that fails in the job does not stop the others."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from yimen.feedback import rules, services
from yimen.feedback.models import Grievance
from yimen.outlets.models import Outlet
from yimen.staff.tokens import issue_token

pytestmark = pytest.mark.django_db
PHONE = "13912345678"


def _hard(actor, description="老楼没有房产证，办不了个体执照。"):
    return services.submit_grievance(
        outlet=Outlet.objects.get(code="XN-CX"),
        category=rules.HARD,
        description=description,
        phone=PHONE,
        actor=actor,
    )


def _poison(g):
    """What a row written before the intake check holds: 0001-01-01T00:00+08:00 as the database
    stored it (a BC timestamp on PostgreSQL, the UTC text on SQLite)."""
    bad = "0001-01-01 00:00:00+08" if connection.vendor == "postgresql" else "0000-12-31 16:00:00"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Grievance._meta.db_table} SET occurred_at = %s WHERE id = %s", [bad, g.pk]
        )


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01T00:00:00+08:00",
        "0001-01-01T00:00:00",
        "1999-12-31T10:00:00+08:00",
        "2022-03-24T11:00:00+08:00",
        "9999-12-31T23:59:59-05:00",
    ],
)
def test_api_refuses_times_outside_the_window(client, demo, clock, value):
    clock.freeze(clock.at(2022, 3, 23, 11, 0))
    r = client.post(
        "/api/feedback/grievances",
        {
            "outlet": "XN-CX",
            "category": "hard",
            "description": "很难办",
            "phone": PHONE,
            "occurred_at": value,
        },
        content_type="application/json",
    )
    assert r.status_code in (400, 422), r.content
    body = r.json()
    assert "原办事时间" in body["message"] or "时间" in body["message"]
    assert not Grievance.objects.filter(description="很难办").exists()


def test_api_accepts_a_sane_time_and_a_naive_one_is_shanghai_time(client, demo, clock):
    clock.freeze(clock.at(2022, 3, 23, 11, 0))
    r = client.post(
        "/api/feedback/grievances",
        {
            "outlet": "XN-CX",
            "category": "hard",
            "description": "很难办",
            "phone": PHONE,
            "occurred_at": "2022-03-22T15:30:00",
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    g = Grievance.objects.get(number=r.json()["number"])
    assert g.occurred_at == clock.at(2022, 3, 22, 15, 30)


def test_service_and_page_refuse_year_one(client, demo, clock, cx_staff):
    from datetime import datetime, timedelta, timezone

    from yimen.core.errors import ValidationFailed

    clock.freeze(clock.at(2022, 3, 23, 11, 0))
    with pytest.raises(ValidationFailed) as err:
        services.submit_grievance(
            outlet=Outlet.objects.get(code="XN-CX"),
            category=rules.HARD,
            description="x",
            phone=PHONE,
            actor=cx_staff["bbcs_clerk"],
            occurred_at=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=9))),
        )
    assert err.value.code == "occurred_at_invalid" and "2000年1月1日" in err.value.message
    client.force_login(cx_staff["bbcs_clerk"].user)
    for value in ("0001-01-01T00:00", "0001-01-01T00:00+09:00", "2030-01-01T09:00"):
        r = client.post(
            "/feedback/grievances/new/",
            {"category": "hard", "description": "没有房产证", "phone": PHONE, "occurred_at": value},
        )
        assert r.status_code == 400 and "原办事时间不能" in r.content.decode(), value
    assert not Grievance.objects.filter(description="没有房产证").exists()


def test_a_bad_row_breaks_no_page_summary_or_job(client, demo, clock, cx_staff):
    clock.freeze(clock.at(2022, 3, 21, 10, 0))
    bad, good = _hard(cx_staff["bbcs_clerk"], "坏数据"), _hard(cx_staff["bbcs_clerk"], "正常数据")
    _poison(bad)
    assert (
        Grievance.objects.get(pk=bad.pk).occurred_at is None
    )  # read as unknown, stored value kept
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {Grievance._meta.db_table} WHERE occurred_at IS NOT NULL AND id = %s",
            [bad.pk],
        )
        assert cursor.fetchone()[0] == 1
    client.force_login(cx_staff["chief"].user)
    assert client.get("/feedback/").status_code == 200
    page = client.get(f"/feedback/grievances/{bad.pk}/")
    assert page.status_code == 200 and bad.number in page.content.decode()
    _, raw = issue_token(staff=cx_staff["chief"])
    r = client.get("/api/feedback/summary", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 200 and r.json()["grievances_open"] == 2
    r = client.get(f"/api/feedback/grievances/{bad.number}", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 200
    # the job escalates both (the bad time does not matter to the ladder)
    clock.freeze(clock.at(2022, 3, 25, 8, 0))
    out, err = StringIO(), StringIO()
    call_command("feedback", "escalate", "--json", stdout=out, stderr=err)
    result = json.loads(out.getvalue())
    assert (
        sorted(result["escalated"]) == sorted([bad.number, good.number]) and result["failed"] == 0
    )
    assert err.getvalue() == ""


def test_one_failing_grievance_does_not_stop_the_escalation_job(
    demo, clock, cx_staff, monkeypatch, caplog
):
    clock.freeze(clock.at(2022, 3, 21, 10, 0))
    first, second, third = (_hard(cx_staff["bbcs_clerk"], f"很难办 {i}") for i in range(3))
    clock.freeze(clock.at(2022, 3, 25, 8, 0))
    real = services._enter_level

    def poisoned(g, level, *args, **kw):
        if g.pk == second.pk:
            raise RuntimeError("ladder setting broken for this grievance")
        return real(g, level, *args, **kw)

    monkeypatch.setattr(services.ladder, "_enter_level", poisoned)
    out, err = StringIO(), StringIO()
    call_command("feedback", "escalate", "--json", stdout=out, stderr=err)
    result = json.loads(out.getvalue())
    assert result["escalated"] == [first.number, third.number]
    assert result["failed"] == 1 and result["failed_items"] == [second.number]
    assert "警告：1 个对象处理失败" in err.getvalue() and second.number in err.getvalue()
    assert second.number in caplog.text and "ladder setting broken" in caplog.text
    levels = dict(
        Grievance.objects.filter(pk__in=[first.pk, second.pk, third.pk]).values_list("pk", "level")
    )
    assert levels == {first.pk: 2, second.pk: 1, third.pk: 2}  # the failed one rolled back whole
    assert second.levels.count() == 1
    # once fixed, the next run picks it up
    monkeypatch.setattr(services.ladder, "_enter_level", real)
    run = services.escalate_overdue()
    assert run.done == [second.number] and run.failed == []


def test_escalate_date_outside_the_window_is_one_clear_line(demo):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as err:
        call_command("feedback", "escalate", "--date", "9999-12-31", stdout=StringIO())
    assert "--date 日期不能晚于" in str(err.value)


def test_meeting_time_of_a_level_decision_is_checked(client, demo, clock, cx_staff):
    clock.freeze(clock.at(2022, 3, 21, 10, 0))
    g = _hard(cx_staff["bbcs_clerk"])
    client.force_login(cx_staff["chief"].user)
    for value in ("0001-01-01T00:00+09:00", "2022-03-25T09:00"):
        r = client.post(
            f"/feedback/grievances/{g.pk}/",
            {"action": "decide", "decision": "研究", "outcome": "escalate", "meeting_at": value},
        )
        assert r.status_code == 400 and "会议/研究时间不能" in r.content.decode(), value
    g.refresh_from_db()
    assert g.level == 1
