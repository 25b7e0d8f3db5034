"""Issue 18 §5–§6: a 差评's callback contact, citizen pages (citizen navigation, 长辈模式 toggle,
staff link in the footer), the outlets page's facts and “什么时候去、去哪儿” (predicted waits from
history played on the twin, a bank branch suggested for the bank items)."""

import random
import re
from datetime import date, timedelta

import pytest

from yimen.portal.tests.conftest import finished_ticket


def _rate(client, ticket, **data):
    from yimen.feedback import services as feedback_services

    token = feedback_services.rating_token(ticket=ticket)
    return client.post(f"/portal/rate/{token}/", data)


BAD = {"score": "1", "reasons": ["attitude"], "comment": "窗口态度不好，让我来回跑。"}


@pytest.mark.django_db
def test_bad_rating_keeps_the_callback_phone_masked_and_revealed_with_a_trace(at_centre, client):
    from yimen.core.models import AuditEntry
    from yimen.feedback.models import Rating
    from yimen.staff.testing import make_staff

    t = finished_ticket(at_centre)
    r = _rate(client, t, **BAD, callback_phone="0971-6100 400")
    page = r.content.decode()
    assert r.status_code == 200 and "谢谢您的评价" in page
    rating = Rating.objects.get(ticket=t)
    assert rating.callback_phone == "0971-6100400"
    assert 'id="rate-callback">097*****0400' in page  # shown back masked
    assert "0971-6100400" not in page
    rect = rating.rectification

    chief = make_staff("chief", outlet=at_centre)
    client.force_login(chief.user)
    detail = client.get(f"/feedback/rectifications/{rect.pk}/").content.decode()
    assert "097*****0400（评价时留的回访电话）" in detail and "0971-6100400" not in detail
    shown = client.post(
        f"/feedback/rectifications/{rect.pk}/",
        {"action": "reveal_contact", "reason": "差评回访"},
    ).content.decode()
    assert 'id="callback-revealed">0971-6100400<' in shown
    entry = AuditEntry.objects.filter(action="personal.reveal").latest("id")
    assert entry.reason == "差评回访" and "callback_phone" in str(entry.summary)
    refused = client.post(
        f"/feedback/rectifications/{rect.pk}/", {"action": "reveal_contact", "reason": ""}
    )
    assert refused.status_code == 400 and "须填写用途" in refused.content.decode()


@pytest.mark.django_db
def test_callback_phone_is_checked_and_dropped_for_a_good_rating(at_centre, client):
    from yimen.feedback.models import Rating

    t = finished_ticket(at_centre)
    r = _rate(client, t, **BAD, callback_phone="12345")
    assert r.status_code == 400
    assert "回访电话请填 11 位手机号" in r.content.decode()
    assert not Rating.objects.filter(ticket=t).exists()
    t2 = finished_ticket(at_centre, window_code="CX-ZH-204")
    assert _rate(client, t2, score="5", callback_phone="13800138000").status_code == 200
    assert Rating.objects.get(ticket=t2).callback_phone == ""  # nobody calls back a 非常满意


@pytest.mark.django_db
def test_the_slip_rating_page_takes_the_callback_phone_too(at_centre, client):
    from yimen.feedback import services as feedback_services
    from yimen.feedback.models import Rating

    t = finished_ticket(at_centre)
    token = feedback_services.rating_token(ticket=t)
    page = client.get(f"/feedback/rate/{token}/").content.decode()
    assert 'name="callback_phone"' in page and 'id="mode-toggle"' in page
    client.post(f"/feedback/rate/{token}/", {**BAD, "callback_phone": "13900139000"})
    assert Rating.objects.get(ticket=t).callback_phone == "13900139000"


STAFF_NAV = ('href="/insight/"', 'href="/cases/"', 'href="/queue/"', 'href="/staff/"')


@pytest.mark.django_db
def test_every_citizen_page_has_citizen_navigation_the_toggle_and_a_footer_staff_link(
    at_centre, client
):
    from yimen.feedback import services as feedback_services
    from yimen.outreach import selectors as outreach_selectors
    from yimen.queueing import services as q

    done = finished_ticket(at_centre)
    t = q.issue_ticket(at_centre, ["XN-CG-001"], channel="kiosk", phone="13800138000")
    g = feedback_services.submit_grievance(
        outlet=at_centre,
        category="hard",
        description="材料说不清楚，跑了两次。",
        phone="13900139000",
        channel="portal",
    )
    pages = [
        "/portal/",
        "/portal/outlets/",
        "/portal/mine/",
        "/portal/rate/",
        "/portal/grievance/",
        "/portal/item/XN-CG-001/when/",
        f"/portal/ticket/{t.public_id}/",
        f"/queue/t/{t.public_id}/",
        f"/feedback/rate/{feedback_services.rating_token(ticket=done)}/",
        f"/feedback/g/{g.public_token}/",
        f"/outreach/unsubscribe/{outreach_selectors.unsubscribe_token_for('13800138000')}/",
        "/cases/progress/",
    ]
    for path in pages:
        r = client.get(path)
        assert r.status_code == 200, path
        page = r.content.decode()
        header = page.split("<main", 1)[0]
        assert 'class="site citizen"' in header, path
        assert not any(link in header for link in STAFF_NAV), path
        assert 'id="mode-toggle"' in page and 'id="staff-link"' in page, path
    client.post("/portal/mode/", {"elderly": "1", "next": f"/queue/t/{t.public_id}/"})
    page = client.get(f"/queue/t/{t.public_id}/").content.decode()
    assert 'class="elderly' in page and "退出长辈模式" in page


@pytest.mark.django_db
def test_outlets_page_shows_hours_phone_address_transport_and_live_queue(at_centre, client):
    from yimen.queueing import services as q

    q.issue_ticket(at_centre, ["XN-CG-001"], channel="kiosk")
    page = client.get("/portal/outlets/").content.decode()
    row = re.search(r'data-code="XN-CX">(.*?)</li>', page, re.S).group(1)
    assert "现在排队 <strong>1</strong> 人" in row
    assert "09:00–16:40" in row
    assert "0971-6100400" in row and 'href="tel:0971-6100400"' in row
    assert "西关大街" in row and "公交" in row  # transport
    bank = re.search(r'data-code="XN-NSH-01">(.*?)</li>', page, re.S).group(1)
    assert "电话" in bank and "怎么去" in bank


def _history(outlet, day, weeks=4, per_hour=24.0):
    from yimen.insight.history import record_day

    rng = random.Random(7)
    return sum(
        record_day(outlet, day - timedelta(days=7 * k), per_hour, rng) for k in range(1, weeks + 1)
    )


@pytest.mark.django_db
def test_predicted_wait_by_half_hour_from_history_and_the_twin(at_centre):
    from yimen.insight import forecast

    assert forecast.predicted_waits(at_centre, date(2022, 3, 15))["slots"] == []  # no history
    from django.core.cache import cache

    cache.clear()
    made = _history(at_centre, date(2022, 3, 15))
    assert made > 400
    wanted = forecast.demand(at_centre, date(2022, 3, 15))
    assert wanted["days"] == 4 and wanted["tickets"] == made
    result = forecast.predicted_waits(at_centre, date(2022, 3, 15))
    slots = result["slots"]
    assert [s["slot"] for s in slots][:2] == ["09:00", "09:30"] and slots[-1]["slot"] == "16:30"
    assert len(slots) == 16 and result["history_days"] == 4
    assert all(s["wait"] >= 0 for s in slots) and any(s["arrivals"] > 0 for s in slots)
    assert result["best"] in {s["slot"] for s in slots}
    # the windows open follow the day's A/B rota, never more than are configured
    scenario, _info = forecast.scenario_for(at_centre, date(2022, 3, 15))
    counts = {w["group"]: w["count"] for w in scenario["windows"]}
    assert scenario["rota"][0]["span"] == "09:00-09:30" and len(scenario["rota"]) == 16
    assert all(0 <= n <= counts[g] for r in scenario["rota"] for g, n in r["open"].items())
    # a Sunday: closed, no prediction
    assert forecast.predicted_waits(at_centre, date(2022, 3, 20)) == {
        "open": False,
        "history_days": 0,
        "slots": [],
        "best": None,
    }


@pytest.mark.django_db
def test_when_page_suggests_an_open_bank_branch_for_a_bank_item(at_centre, client):
    from django.core.cache import cache

    from yimen.outlets.models import Outlet
    from yimen.queueing import services as q

    cache.clear()
    bank1, bank2 = Outlet.objects.get(code="XN-NSH-01"), Outlet.objects.get(code="XN-NSH-02")
    _history(bank1, date(2022, 3, 15), per_hour=6.0)
    for _ in range(3):  # the first branch has a queue now; the second none
        q.issue_ticket(bank1, ["XN-CG-002"], channel="kiosk")
    page = client.get("/portal/item/XN-CG-002/when/?day=2022-03-15").content.decode()
    suggestion = re.search(r'id="bank-suggestion">(.*?)</section>', page, re.S).group(1)
    assert bank2.name in suggestion and "现在开放" in suggestion
    assert "2022年3月15日 星期二" in page  # the date with its year and weekday
    row = re.search(r'data-code="XN-NSH-01">(.*?)</li>', page, re.S).group(1)
    assert "人最少" in row and "每半小时预计等多久" in row
    assert "现在去预计等" in row  # it is 10:00 on the day shown
    assert re.search(r'class="best">(\d\d:\d\d)<', row).group(1) >= "10:00"  # not the past
    assert "现在排队 <strong>3</strong> 人" in row
    other = re.search(r'data-code="XN-NSH-03">(.*?)</li>', page, re.S).group(1)
    assert "暂无这一天的历史取号记录" in other
    crafted = client.get("/portal/item/XN-CG-002/when/?day=2027-01-01")
    # a far-off date: a Chinese message and the first day offered, never a 500
    assert crafted.status_code in (200, 400)
    assert "2022年3月15日 星期二" in crafted.content.decode()
    assert "2027" not in crafted.content.decode().split('id="when-day"')[1].split("</select>")[0]
    bad = client.get("/portal/item/XN-CG-002/when/?day=yesterday")
    assert bad.status_code == 400


@pytest.mark.django_db
def test_booking_dates_carry_the_year_where_it_could_be_mistaken(demo, clock, client):
    from yimen.core import clock as project_clock

    clock.freeze(project_clock.at(2022, 12, 28, 10, 0))
    page = client.get("/portal/item/XN-RS-004/book/").content.decode()
    options = re.findall(r'<option value="(\d{4}-\d\d-\d\d)"[^>]*>([^<]+)</option>', page)
    labels = dict(options)
    assert labels["2022-12-28"] == "12月28日 星期三"  # this year: no year needed
    assert labels["2023-01-04"] == "2023年1月4日 星期三"  # next year: said so
    assert "2023-01-02" not in labels  # 元旦 holiday (observed on Monday) is not offered
