"""办不成事 through its pages, the API, the admin and the demo loader (the flows themselves are in
test_grievances.py)."""

from io import StringIO

from django.core.management import call_command

from yimen.feedback.models import Grievance

from .conftest import PHONE, _hard


def test_pages_intake_and_ladder(client, db, demo, clock, cx_staff):
    clock.freeze(clock.at(2022, 3, 21, 10, 0))
    client.force_login(cx_staff["bbcs_clerk"].user)
    page = client.get("/feedback/grievances/new/")
    assert page.status_code == 200 and "办不了" in page.content.decode()
    bad = client.post(
        "/feedback/grievances/new/", {"category": "hard", "description": "材料缺", "phone": "1"}
    )
    assert (
        bad.status_code == 400
        and "11 位手机号码" in bad.content.decode()
        and "材料缺" in bad.content.decode()
    )
    r = client.post(
        "/feedback/grievances/new/",
        {
            "category": "hard",
            "description": "没有房产证",
            "phone": PHONE,
            "applicant_name": "马建国",
            "item": "XN-SJ-001",
            "missing_materials": ["经营场所使用证明（或住所申报承诺书）"],
            "window": "301",
        },
    )
    assert r.status_code == 302
    g = Grievance.objects.get(description="没有房产证")
    slip = client.get(r["Location"]).content.decode()
    assert g.number in slip and "马*" in slip and "139****5678" in slip and "<svg" in slip
    assert "马建国" not in slip and PHONE not in slip
    partial = client.get("/feedback/grievances/materials/?item=XN-SJ-006").content.decode()
    assert "从业人员健康证明" in partial and "可容缺" in partial
    client.force_login(cx_staff["chief"].user)
    dash = client.get("/feedback/").content.decode()
    assert g.number in dash and "中心各科室科长局务会" in dash and "马*" in dash
    detail = client.get(f"/feedback/grievances/{g.pk}/").content.decode()
    assert "不能容缺受理" in detail and "form-decide" in detail
    r = client.post(
        f"/feedback/grievances/{g.pk}/",
        {
            "action": "decide",
            "decision": "局务会研究，提请区领导",
            "outcome": "escalate",
            "meeting_at": "2022-03-21T14:00",
        },
    )
    assert r.status_code == 302
    g.refresh_from_db()
    assert g.level == 2
    public = client.get(f"/feedback/g/{g.public_token}/").content.decode()
    assert "区级主要领导" in public and "马建国" not in public
    assert client.get("/feedback/g/nope/").status_code == 404


def test_api_grievance(client, db, demo, clock, cx_staff):
    from yimen.staff.tokens import issue_token

    clock.freeze(clock.at(2022, 3, 23, 11, 0))
    r = client.post(
        "/api/feedback/grievances",
        {"outlet": "XN-CX", "category": "refused", "description": "窗口不给办", "phone": "123"},
        content_type="application/json",
    )
    assert r.status_code == 400 and r.json()["code"] == "phone_invalid"
    r = client.post(
        "/api/feedback/grievances",
        {
            "outlet": "XN-CX",
            "category": "refused",
            "item": "XN-SJ-006",
            "description": "窗口不给办",
            "phone": PHONE,
            "missing_materials": ["从业人员健康证明"],
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "received" and body["first_response_due"] == "2022-03-24"
    g = Grievance.objects.get(number=body["number"])
    assert g.channel == "portal"
    status = client.get(f"/api/feedback/grievances/status/{body['token']}").json()
    assert status["status_label"] == "受理"
    assert client.get("/api/feedback/grievances/status/nope").status_code == 404
    assert client.get(f"/api/feedback/grievances/{g.number}").status_code == 401
    _, raw = issue_token(staff=cx_staff["chief"])
    detail = client.get(
        f"/api/feedback/grievances/{g.number}", HTTP_AUTHORIZATION=f"Bearer {raw}"
    ).json()
    assert detail["phone"] == "139****5678" and detail["item"] == "XN-SJ-006"
    _, other = issue_token(staff=cx_staff["other_chief"])
    assert client.get(
        f"/api/feedback/grievances/{g.number}", HTTP_AUTHORIZATION=f"Bearer {other}"
    ).status_code in (403, 404)
    summ = client.get("/api/feedback/summary", HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    assert summ["grievances_open"] == 1 and summ["outlet"] == "XN-CX"
    r = client.post(
        f"/api/feedback/grievances/status/{body['token']}/feedback",
        {"satisfied": True},
        content_type="application/json",
    )
    assert r.status_code == 409  # not answered yet


def test_admin_lists_are_masked_and_read_only(admin_client, db, demo, clock, cx_staff):
    clock.freeze(clock.at(2022, 3, 21, 10, 0))
    g = _hard(clock, cx_staff["bbcs_clerk"])
    page = admin_client.get("/admin/feedback/grievance/")
    assert page.status_code == 200
    text = page.content.decode()
    assert g.number in text and "马**" in text and PHONE not in text and "马建国" not in text
    assert admin_client.get("/admin/feedback/grievance/add/").status_code == 403


def test_demo_loader_is_idempotent(db, demo, clock):
    from yimen.feedback.demo import load

    clock.freeze(clock.at(2022, 3, 22, 10, 0))
    out = StringIO()
    call_command("feedback", "demo", stdout=out)
    assert "3 件" in out.getvalue()
    demo_rows = Grievance.objects.filter(description__startswith="【演示】")
    assert demo_rows.count() == 3
    assert set(demo_rows.values_list("status", flat=True)) == {
        "handling",
        "investigating",
        "received",
    }
    assert "已存在" in load()
    assert demo_rows.count() == 3


def test_detail_page_shows_only_the_owners_forms(client, db, demo, clock, cx_staff):
    clock.freeze(clock.at(2022, 3, 21, 10, 0))
    g = _hard(clock, cx_staff["bbcs_clerk"])
    client.force_login(cx_staff["bbcs_clerk"].user)
    page = client.get(f"/feedback/grievances/{g.pk}/").content.decode()
    assert "form-decide" not in page and "本级由中心各科室科长局务会负责" in page
    # a forged post is still refused by the service (permissions live there, not in the page)
    r = client.post(
        f"/feedback/grievances/{g.pk}/",
        {"action": "decide", "decision": "我来决定", "outcome": "escalate"},
    )
    assert r.status_code == 400 and "无权" in r.content.decode()
    client.force_login(cx_staff["chief"].user)
    assert "form-decide" in client.get(f"/feedback/grievances/{g.pk}/").content.decode()
