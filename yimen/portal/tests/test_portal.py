"""Portal pages through HTTP (Django client); every write goes through the owning services."""

from datetime import date

from yimen.core import clock as project_clock


def test_home_search_and_guide(at_centre, client):
    home = client.get("/portal/").content.decode()
    assert "一网通办" in home and "开放中" in home
    page = client.get("/portal/search/", {"q": "给刚出生的娃上医保"}).content.decode()
    assert 'data-code="XN-YB-002"' in page.split('class="card result"')[1]
    guide = client.get("/portal/item/XN-YB-002/").content.decode()
    assert "户口簿" in guide and "西关大街支行" in guide and "开放中" in guide


def test_search_errors_are_clear(at_centre, client):
    r = client.get("/portal/search/", {"q": "办" * 500})
    assert r.status_code == 400 and "200个字以内" in r.content.decode()
    assert client.get("/portal/item/NOPE/").status_code == 404


def test_elderly_mode_persists_in_a_cookie(at_centre, client):
    r = client.post("/portal/mode/", {"elderly": "1", "next": "/portal/search/"})
    assert r.status_code == 302 and r["Location"] == "/portal/search/"
    assert client.cookies["elderly"].value == "1"
    page = client.get("/portal/").content.decode()
    assert 'class="elderly' in page and "退出长辈模式" in page and "网上办事" in page
    client.post("/portal/mode/", {"elderly": "0", "next": "https://evil.example/"})
    assert 'class="elderly' not in client.get("/portal/").content.decode()


def test_outlets_open_now_first(at_centre, client, clock):
    clock.freeze(project_clock.at(2022, 3, 19, 12, 1))  # Saturday after the centre closed (S05)
    page = client.get("/portal/outlets/").content.decode()
    first_closed = page.index("已休息")
    assert page.index("开放中") < first_closed  # bank branches open on Saturday come first
    assert "3月21日（星期一）09:00" in page  # the centre's next opening, with its weekday


def at_hall(client, outlet_code):
    """The person scans the hall's presence QR code at the outlet (hall/presence.py)."""
    from yimen.hall import presence
    from yimen.outlets.models import Outlet

    outlet = Outlet.objects.get(code=outlet_code)
    code = presence.code_for(outlet.pk, project_clock.now())
    assert client.get(f"/hall/here/{outlet_code}/{code}/").status_code == 200


def _slot(client, code="XN-RS-004", outlet="XN-CX", day="2022-03-16"):
    page = client.get(f"/portal/item/{code}/book/", {"outlet": outlet, "day": day})
    slots = page.context["slots"]
    assert slots, "there are bookable slots"
    return slots


def test_book_cancel_and_check_in(at_centre, client, helpers, clock):
    from yimen.queueing.models import Appointment

    slots = _slot(client)
    first = slots[0]
    assert first["start"].hour == 9 and first["available"] == first["capacity"]
    r = client.post(
        "/portal/item/XN-RS-004/book/",
        {
            "outlet": "XN-CX",
            "day": "2022-03-16",
            "slot": first["start"].isoformat(),
            "name": "马奶奶",
            "id_number": helpers["ELDER_ID"],
            "phone": "13800138001",
        },
    )
    assert r.status_code == 302
    appt = Appointment.objects.get()
    page = client.get(r["Location"]).content.decode()
    assert "已预约" in page and "马*" in page and helpers["ELDER_ID"] not in page
    # no double booking of the same item that day
    r2 = client.post(
        "/portal/item/XN-RS-004/book/",
        {
            "outlet": "XN-CX",
            "day": "2022-03-16",
            "slot": slots[1]["start"].isoformat(),
            "name": "马奶奶",
            "id_number": helpers["ELDER_ID"],
            "phone": "13800138001",
        },
    )
    assert r2.status_code == 409 and "请勿重复预约" in r2.content.decode()
    # cancelling needs the holder's ID number
    bad = client.post(r["Location"], {"action": "cancel", "id_number": helpers["PERSON_ID"]})
    assert bad.status_code == 403
    client.post(r["Location"], {"action": "cancel", "id_number": helpers["ELDER_ID"]})
    appt.refresh_from_db()
    assert appt.status == "cancelled"
    # book again, then check in on the day → a ticket
    client.post(
        "/portal/item/XN-RS-004/book/",
        {
            "outlet": "XN-CX",
            "day": "2022-03-16",
            "slot": first["start"].isoformat(),
            "name": "马奶奶",
            "id_number": helpers["ELDER_ID"],
            "phone": "13800138001",
        },
    )
    again = Appointment.objects.get(status="booked")
    clock.freeze(project_clock.at(2022, 3, 16, 8, 55))
    home = client.post(f"/portal/appointment/{again.public_id}/", {"action": "check_in"})
    assert home.status_code == 403 and "请到网点现场签到" in home.content.decode()
    at_hall(client, "XN-CX")  # scans the hall's QR code (hall/presence.py)
    r3 = client.post(f"/portal/appointment/{again.public_id}/", {"action": "check_in"})
    assert r3.status_code == 409  # the centre is not open yet at 08:55
    clock.freeze(project_clock.at(2022, 3, 16, 9, 5))
    r4 = client.post(f"/portal/appointment/{again.public_id}/", {"action": "check_in"})
    assert r4.status_code == 302 and "/portal/ticket/" in r4["Location"]
    again.refresh_from_db()
    assert again.status == "checked_in" and again.ticket.channel == "appointment"


def test_booking_only_on_working_days_and_inside_hours(at_centre, client):
    page = client.get(
        "/portal/item/XN-RS-004/book/", {"outlet": "XN-CX", "day": "2022-03-19"}
    )  # Saturday
    assert page.context["slots"] == [] and "没有可约时段" in page.content.decode()
    days = page.context["days"]
    assert date(2022, 3, 19) not in days and date(2022, 3, 20) not in days
    slots = _slot(client)
    assert all(9 <= s["start"].hour and (s["end"].hour, s["end"].minute) <= (16, 40) for s in slots)


def test_booking_bad_input(at_centre, client):
    r = client.post(
        "/portal/item/XN-RS-004/book/",
        {
            "outlet": "XN-CX",
            "day": "2022-03-16",
            "slot": "nonsense",
            "name": "马奶奶",
            "id_number": "123",
            "phone": "1",
        },
    )
    assert r.status_code == 400 and "请选择一个还有名额的时段" in r.content.decode()
    slots = _slot(client)
    r = client.post(
        "/portal/item/XN-RS-004/book/",
        {
            "outlet": "XN-CX",
            "day": "2022-03-16",
            "slot": slots[0]["start"].isoformat(),
            "name": "马奶奶",
            "id_number": "123",
            "phone": "1",
        },
    )
    assert r.status_code == 400


def test_remote_ticket_and_check_in(at_centre, client, helpers, clock):
    page = client.get("/portal/item/XN-RS-004/remote/").content.decode()
    assert "城西区市民服务中心" in page
    r = client.post(
        "/portal/item/XN-RS-004/remote/",
        {"outlet": "XN-CX", "id_number": helpers["PERSON_ID"], "form_key": "k1"},
    )
    assert r.status_code == 302
    status = client.get(r["Location"]).content.decode()
    assert "11:00" in status and "签到" in status  # 60 minutes to arrive (outlet default)
    clock.freeze(project_clock.at(2022, 3, 15, 10, 30))
    home = client.post(r["Location"])
    assert home.status_code == 403 and "请到网点现场签到" in home.content.decode()
    at_hall(client, "XN-CX")
    client.post(r["Location"])
    assert "已签到" in client.get(r["Location"]).content.decode()


def test_remote_ticket_lapses_when_late(at_centre, client, helpers, clock):
    r = client.post(
        "/portal/item/XN-RS-004/remote/",
        {"outlet": "XN-CX", "id_number": helpers["PERSON_ID"], "form_key": "k2"},
    )
    clock.freeze(project_clock.at(2022, 3, 15, 11, 5))
    at_hall(client, "XN-CX")
    late = client.post(r["Location"])
    assert late.status_code == 409 and "失效" in late.content.decode()


def test_remote_ticket_only_while_open(at_centre, client, clock, helpers):
    clock.freeze(project_clock.at(2022, 3, 15, 18, 0))
    page = client.get("/portal/item/XN-RS-004/remote/")
    assert "现在没有开放的网点" in page.content.decode()
    r = client.post(
        "/portal/item/XN-RS-004/remote/", {"outlet": "XN-CX", "id_number": helpers["PERSON_ID"]}
    )
    assert r.status_code == 400


def test_track_a_case(at_centre, client, helpers):
    case = helpers["accepted_case"](at_centre)
    r = client.post(
        "/portal/progress/", {"receipt": case.receipt_number, "secret": helpers["PERSON_ID"][-4:]}
    )
    page = r.content.decode()
    assert r.status_code == 200 and "已受理" in page or case.status_label in page
    assert "2022-03-18" in page  # 3 workdays after 03-15
    assert helpers["PERSON_ID"] not in page
    wrong = client.post("/portal/progress/", {"receipt": case.receipt_number, "secret": "0000"})
    assert wrong.status_code == 404


def test_rate_a_ticket_and_a_case(at_centre, client, helpers):
    from yimen.feedback.models import Rating

    t = helpers["finished_ticket"](at_centre)
    r = client.post("/portal/rate/", {"slip": t.public_id})
    assert r.status_code == 302
    bad = client.post(r["Location"], {"score": "1"})
    assert bad.status_code == 400 and "至少选择一项原因" in bad.content.decode()
    ok = client.post(r["Location"], {"score": "5"})
    assert "谢谢您的评价" in ok.content.decode()
    assert Rating.objects.get(ticket=t).channel == "portal"
    again = client.get(r["Location"]).content.decode()
    assert "一事一评" in again
    case = helpers["accepted_case"](at_centre)
    r = client.post("/portal/rate/", {"receipt": case.receipt_number, "secret": "13800138000"})
    assert r.status_code == 302
    client.post(r["Location"], {"score": "2", "reasons": ["wait_long"], "comment": "排队太久"})
    rating = Rating.objects.get(case=case)
    assert rating.is_bad and rating.channel == "portal"


def test_submit_a_grievance(at_centre, client):
    from yimen.feedback.models import Grievance

    r = client.post(
        "/portal/grievance/", {"outlet": "XN-CX", "category": "", "description": "", "phone": ""}
    )
    assert r.status_code == 400
    r = client.post(
        "/portal/grievance/",
        {
            "outlet": "XN-CX",
            "category": "refused",
            "item": "XN-SJ-006",
            "description": "材料就差一个健康证，窗口说不给办",
            "phone": "13900139000",
        },
    )
    assert r.status_code == 200
    g = Grievance.objects.get()
    assert g.channel == "portal" and g.item.code == "XN-SJ-006"
    page = r.content.decode()
    assert g.number in page and f"/feedback/g/{g.public_token}/" in page


def test_search_finds_bundle_and_bundle_page(db, demo, client):
    body = client.get("/portal/search/", {"q": "孩子刚出生要办哪些事"}).content.decode()
    assert "/portal/bundle/YJS-XSECS/" in body and "新生儿出生一件事" in body
    page = client.get("/portal/bundle/YJS-XSECS/")
    text = page.content.decode()
    assert page.status_code == 200 and "监护人居民身份证" in text and "新生儿姓名" in text
    assert client.get("/portal/bundle/NOPE/").status_code == 404


def test_item_page_tailored_and_complete_guide(db, demo, client):
    text = client.get("/portal/item/XN-YB-002/", {"s_registered": "yes"}).content.decode()
    assert "出生医学证明" not in text.split("申请材料")[1].split("办事指南")[0]
    assert "12345" in text and "办理流程" in text
    mz = client.get("/portal/item/XN-MZ-002/").content.decode()
    assert "年满70周岁" in mz
    bad = client.get("/portal/item/XN-YB-002/", {"s_registered": "maybe"})
    assert bad.status_code == 400
