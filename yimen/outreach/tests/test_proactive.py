"""S01: next year's certification reminder to a relative's phone needs the relative's consent;
the chore sends it once; unsubscribing (link or reply keyword) is honoured before enqueue."""

from datetime import date

import pytest

from yimen.catalog.models import ServiceItem
from yimen.core import clock as project_clock
from yimen.core.errors import Forbidden, ValidationFailed
from yimen.core.validators import make_resident_id
from yimen.outlets.models import Outlet
from yimen.outreach import proactive
from yimen.outreach.models import Consent, OptOut, YearlyReminder
from yimen.staff.testing import make_staff

pytestmark = pytest.mark.django_db

MA = make_resident_id("630104", date(1948, 1, 2), 11)
SON = "13700001111"


@pytest.fixture
def s01(demo, clock):
    clock.freeze(project_clock.at(2022, 3, 15, 10, 30))
    outlet = Outlet.objects.get(code="XN-CX")
    clerk = make_staff("clerk", outlet=outlet, password=None)
    return outlet, clerk


def plan(outlet, clerk, item="XN-MZ-003", **kw):
    args = {
        "outlet": outlet,
        "item": ServiceItem.objects.get(code=item),
        "person_name": "马大爷",
        "id_number": MA,
        "due_date": date(2023, 3, 15),
        "phone": SON,
        "relation": "儿子",
    }
    args.update(kw)
    return proactive.plan_yearly_reminder(clerk, **args)


def test_relative_phone_needs_consent(s01):
    outlet, clerk = s01
    with pytest.raises(ValidationFailed) as exc:
        plan(outlet, clerk)
    assert exc.value.code == "consent_required" and not YearlyReminder.objects.exists()
    reminder = plan(outlet, clerk, consent=True)
    consent = reminder.consent
    assert consent.relation == "儿子" and consent.recorded_by == clerk
    assert consent.phone == SON and reminder.remind_on == date(2023, 2, 13)


def test_both_certifications_reminded_once_next_year(s01, clock, outbox):
    outlet, clerk = s01
    plan(outlet, clerk, consent=True)
    plan(outlet, clerk, item="XN-RS-002", consent=True)
    plan(
        outlet,
        clerk,
        item="XN-RS-002",
        channel="paper",
        id_number=make_resident_id("630104", date(1948, 5, 6), 22),
        person_name="马奶奶",
        phone="",
    )
    clock.freeze(project_clock.at(2023, 2, 12, 10, 0))
    assert proactive.send_yearly_reminders().done == []
    clock.freeze(project_clock.at(2023, 2, 13, 10, 0))
    assert len(proactive.send_yearly_reminders().done) == 2  # the paper one is printed, not sent
    assert proactive.send_yearly_reminders().done == []
    msgs = outbox("proactive.yearly", phone=SON)
    assert len(msgs) == 2 and {m.params["name"] for m in msgs} == {"马**"}


def test_withdrawn_consent_stops_the_reminder(s01, clock, outbox):
    outlet, clerk = s01
    reminder = plan(outlet, clerk, consent=True)
    proactive.withdraw_consent(clerk, reminder.consent)
    clock.freeze(project_clock.at(2023, 2, 13, 10, 0))
    proactive.send_yearly_reminders()
    reminder.refresh_from_db()
    assert reminder.status == YearlyReminder.CANCELLED and outbox() == []


def test_only_staff_of_the_outlet_plan_reminders(s01):
    outlet, _clerk = s01
    elsewhere = make_staff("clerk", outlet="XN-CB", password=None)
    with pytest.raises(Forbidden):
        plan(outlet, elsewhere, consent=True)
    assert not Consent.objects.exists()


def test_unsubscribe_link_and_keyword_are_honoured_before_enqueue(s01, clock, outbox, client):
    outlet, clerk = s01
    plan(outlet, clerk, consent=True)
    token = proactive.unsubscribe_token(SON)
    page = client.get(f"/outreach/unsubscribe/{token}/")
    assert (
        "确认退订" in page.content.decode() and not OptOut.objects.exists()
    )  # GET changes nothing
    client.post(f"/outreach/unsubscribe/{token}/")
    assert OptOut.objects.count() == 1
    bad = client.post("/outreach/unsubscribe/not-a-token/")
    assert "退订链接无效" in bad.content.decode()
    clock.freeze(project_clock.at(2023, 2, 13, 10, 0))
    proactive.send_yearly_reminders()
    assert outbox() == []
    assert proactive.handle_reply("13700002222", "你好") is False
    assert proactive.handle_reply("13700002222", "退订") is True
    assert OptOut.objects.get(phone_masked="137****2222").via == OptOut.KEYWORD


def test_api_and_page_record_consent(s01, client):
    outlet, clerk = s01
    body = {
        "outlet": "XN-CX",
        "item": "XN-RS-002",
        "person_name": "马大爷",
        "id_number": MA,
        "due_date": "2023-03-15",
        "phone": SON,
        "relation": "儿子",
    }
    assert (
        client.post("/api/outreach/reminders", body, content_type="application/json").status_code
        == 401
    )
    client.force_login(clerk.user)
    refused = client.post("/api/outreach/reminders", body, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["code"] == "consent_required"
    made = client.post(
        "/api/outreach/reminders", {**body, "consent": True}, content_type="application/json"
    )
    assert made.status_code == 201
    assert made.json()["phone"] == "137****1111" and made.json()["consent_recorded"] is True
    page = client.post(
        "/outreach/reminders/",
        {**body, "item": "XN-MZ-003", "due_date": "2023-03-15"},
    )
    assert page.status_code == 400 and "须先征得其本人同意" in page.content.decode()
    client.post("/outreach/reminders/", {**body, "item": "XN-MZ-003", "consent": "1"})
    listing = client.get("/outreach/reminders/").content.decode()
    assert listing.count("137****1111") == 2 and SON not in listing


def test_admin_lists_are_masked(s01, client):
    outlet, clerk = s01
    plan(outlet, clerk, consent=True)
    admin = make_staff("admin", password=None)
    admin.user.is_staff = admin.user.is_superuser = True
    admin.user.save()
    client.force_login(admin.user)
    for url in ("/admin/outreach/yearlyreminder/", "/admin/outreach/consent/"):
        page = client.get(url)
        assert page.status_code == 200
        body = page.content.decode()
        assert "137****1111" in body and SON not in body and "马大爷" not in body
