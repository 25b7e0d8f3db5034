"""`yimen cases refresh` goes case by case: a case that fails is logged and skipped (its changes
rolled back), the others are refreshed, terminated or reminded; the run reports the failure."""

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from yimen.cases import rules, services
from yimen.cases.models import Case
from yimen.catalog.models import ServiceItem
from yimen.notify.selectors import messages_for, text_of

from .conftest import clerk_at, mark_all, person

pytestmark = pytest.mark.django_db


def _accepted(clerk, w, *, tolerance=False):
    case = services.open_case(
        clerk,
        item=ServiceItem.objects.get(code="XN-WS-001"),
        outlet=w.outlet,
        window=w,
        applicant=person(),
    )
    mark_all(case, missing=["卫生检测"] if tolerance else ())
    return services.accept(
        clerk, case, tolerance=tolerance, promise="承诺补交" if tolerance else ""
    )


def test_one_failing_case_does_not_stop_the_refresh(demo, clock, monkeypatch, caplog):
    clock.freeze(clock.at(2022, 3, 28, 10, 0))
    clerk, w = clerk_at("CX-ZH-201")
    cases = [_accepted(clerk, w) for _ in range(3)]
    real = services.evaluate_time_status

    def poisoned(case, today=None):
        if case.pk == cases[1].pk:
            raise ValueError("bad due date on this row")
        return real(case, today)

    monkeypatch.setattr(services.time_limits, "evaluate_time_status", poisoned)
    out, err = StringIO(), StringIO()
    call_command("cases", "refresh", "--date", "2022-04-11", "--json", stdout=out, stderr=err)
    counts = json.loads(out.getvalue())
    assert (
        counts["overdue"] == 2
        and counts["failed"] == 1
        and counts["failed_items"] == [cases[1].receipt_number]
    )
    assert "警告：1 个对象处理失败" in err.getvalue() and cases[1].receipt_number in err.getvalue()
    assert "bad due date on this row" in caplog.text
    status = dict(
        Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("pk", "time_status")
    )
    assert status == {
        cases[0].pk: rules.OVERDUE,
        cases[1].pk: rules.NORMAL,
        cases[2].pk: rules.OVERDUE,
    }
    # text output: the counts and the warning line
    out, err = StringIO(), StringIO()
    call_command("cases", "refresh", "--date", "2022-04-11", stdout=out, stderr=err)
    assert "逾期 2 件" in out.getvalue() and "警告" in err.getvalue()


def test_one_failing_termination_does_not_stop_the_others(demo, clock, monkeypatch):
    clock.freeze(clock.at(2022, 3, 25, 9, 30))
    clerk, w = clerk_at("CX-ZH-201")
    first, second = _accepted(clerk, w, tolerance=True), _accepted(clerk, w, tolerance=True)
    real = services._close_open_pause

    def poisoned(actor, case):
        if case.pk == first.pk:
            raise RuntimeError("cannot close this pause")
        return real(actor, case)

    monkeypatch.setattr(services.tolerance, "_close_open_pause", poisoned)
    counts = services.refresh_time_status(date(2022, 3, 31))
    assert counts["terminated"] == 1 and counts["failed_items"] == [first.receipt_number]
    first.refresh_from_db(), second.refresh_from_db()
    assert first.status == rules.ACCEPTED and not first.events.filter(action="terminate").exists()
    assert second.status == rules.TERMINATED
    texts = [text_of(m) for m in messages_for("case.terminated")]
    # the rolled-back case queued nothing: the SMS belongs to the committed change only
    assert len(texts) == 1 and second.receipt_number in texts[0]


def test_reminder_is_queued_once_with_the_change(demo, clock):
    clock.freeze(clock.at(2022, 3, 25, 9, 30))
    clerk, w = clerk_at("CX-ZH-201")
    case = _accepted(clerk, w, tolerance=True)
    services.refresh_time_status(date(2022, 3, 29))
    services.refresh_time_status(date(2022, 3, 29))
    queued = list(messages_for("case.tolerance_reminder"))
    assert [m.dedupe_key for m in queued] == [f"case.tolerance_reminder:{case.pk}"]
    assert queued[0].status == "pending"  # the worker delivers it after the commit
    assert case.events.filter(action="remind_tolerance", reason="已交发送队列").count() == 1


@pytest.mark.parametrize("value", ["9999-12-31", "1999-01-01", "0001-01-01"])
def test_refresh_date_outside_the_window_is_one_clear_line(demo, value):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as err:
        call_command("cases", "refresh", "--date", value, stdout=StringIO())
    assert "--date 日期不能" in str(err.value)


def test_tolerance_deadline_far_in_the_future_is_refused_over_http(demo, clock, client):
    from yimen.core.errors import ValidationFailed
    from yimen.staff.tokens import issue_token

    clock.freeze(clock.at(2022, 3, 25, 9, 30))
    clerk, w = clerk_at("CX-ZH-201")
    item = ServiceItem.objects.get(code="XN-WS-001")
    ServiceItem.objects.filter(pk=item.pk).update(
        promised_limit=None, legal_limit=None
    )  # no cap at all
    case = services.open_case(
        clerk,
        item=ServiceItem.objects.get(pk=item.pk),
        outlet=w.outlet,
        window=w,
        applicant=person(),
    )
    mark_all(case, missing=["卫生检测"])
    with pytest.raises(ValidationFailed) as err:
        services.accept(
            clerk, case, tolerance=True, promise="承诺", tolerance_deadline=date(9999, 12, 31)
        )
    assert err.value.code == "date_out_of_range" and "容缺补齐期限不能晚于" in err.value.message
    with pytest.raises(ValidationFailed) as err:
        services.accept(
            clerk, case, tolerance=True, promise="承诺", tolerance_deadline=date(2022, 3, 1)
        )
    assert err.value.message == "容缺补齐期限不得早于今天。"
    _t, raw = issue_token(staff=clerk)
    r = client.post(
        f"/api/cases/{case.pk}/accept",
        {"tolerance": True, "promise": "承诺", "tolerance_deadline": "9999-12-31"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    # the API schema's date window refuses it before the service does (422, Chinese message)
    assert r.status_code == 422 and r.json()["code"] == "invalid" and "日期" in r.json()["message"]
    case.refresh_from_db()
    assert case.status == rules.DRAFT
