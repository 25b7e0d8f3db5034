"""Guide desk through its services and pages (Django client), and the `yimen triage` command."""

import io
import json
from datetime import date

import pytest
from django.core.management import call_command

from yimen.core import clock as project_clock
from yimen.core.errors import Forbidden
from yimen.core.validators import make_resident_id
from yimen.guide import selectors, services
from yimen.staff.testing import make_staff

S01 = "手机上认证我们弄不来，补贴和养老金的认证都要做。"


@pytest.fixture
def cx(db, demo, clock):
    """Tue 2022-03-15 10:00 at 城西区市民服务中心 (scenario S01)."""
    clock.freeze(project_clock.at(2022, 3, 15, 10, 0))
    from yimen.outlets.models import Outlet

    return Outlet.objects.get(code="XN-CX")


@pytest.fixture
def guide(cx):
    return make_staff("guide", outlet="XN-CX")


def test_cli_json(db, demo):
    out = io.StringIO()
    call_command("triage", S01, "--json", stdout=out)
    doc = json.loads(out.getvalue())
    codes = [r["code"] for r in doc["results"]]
    assert set(codes[:2]) == {"XN-MZ-003", "XN-RS-002"}
    first = doc["results"][0]
    assert {"code", "name", "score"} <= set(first) and first["score"] == 1.0
    assert all(a["score"] >= b["score"] for a, b in zip(doc["results"][1:], doc["results"][2:]))


def test_triage_details_for_the_desk(cx):
    rows = selectors.triage("娃娃刚上了户口，医保咋办", outlet=cx)
    top = rows[0]
    assert top["code"] == "XN-YB-002"
    assert top["why"] and top["materials"] and any("户口簿" in m["name"] for m in top["materials"])
    assert top["queue"]["code"] == "CX-ZY-YB"
    assert top["outlets"][0]["open_now"] is True
    assert any(o["code"].startswith("XN-NSH") for o in top["outlets"])  # bank branches too


def test_index_follows_catalog_changes(db, demo):
    from yimen.catalog.models import Department
    from yimen.catalog.services import upsert_item

    assert selectors.triage_codes("犬只登记")[0]["code"] != "XN-TEST-1"
    upsert_item(
        {
            "code": "XN-TEST-1",
            "name": "养犬登记证核发",
            "short_name": "养狗登记",
            "keywords": ["狗证", "犬只登记"],
        },
        Department.objects.first(),
    )
    assert selectors.triage_codes("给我家的狗办个狗证")[0]["code"] == "XN-TEST-1"


def test_empty_or_long_query_is_a_clear_error(guide, client):
    client.force_login(guide.user)
    r = client.get("/guide/", {"q": "字" * 300})
    assert r.status_code == 400 and "200个字以内" in r.content.decode()


def test_s01_guide_desk_path_green_channel(guide, client):
    """S01: one sentence → both certifications → one priority ticket at the green channel."""
    client.force_login(guide.user)
    page = client.get("/guide/", {"q": S01}).content.decode()
    for code in ("XN-MZ-003", "XN-RS-002"):
        assert f'value="{code}" checked' in page
    assert "可走绿色通道" in page
    r = client.post(
        "/guide/",
        {"q": S01, "codes": ["XN-MZ-003", "XN-RS-002"], "elderly": "1", "form_key": "s01-a"},
    )
    assert r.status_code == 200
    ticket = r.context["ticket"]
    assert ticket.queue.code == "CX-GREEN" and ticket.number.startswith("G")
    assert ticket.priority == "老年人" and ticket.channel == "guide"
    assert {i.code for i in ticket.items.all()} == {"XN-MZ-003", "XN-RS-002"}
    # a retried click does not create a second ticket
    again = client.post(
        "/guide/",
        {"q": S01, "codes": ["XN-MZ-003", "XN-RS-002"], "elderly": "1", "form_key": "s01-a"},
    ).context["ticket"]
    assert again.pk == ticket.pk


def test_id_number_of_a_74_year_old_gives_priority(guide, cx):
    idn = make_resident_id("630104", date(1947, 6, 1), 11)
    ticket = services.issue_ticket(guide, cx, ["XN-MZ-003", "XN-RS-002"], id_number=idn)
    assert ticket.priority == "老年人" and ticket.queue.code == "CX-GREEN"


def test_ordinary_person_goes_to_the_department_window(guide, cx):
    ticket = services.issue_ticket(guide, cx, ["XN-RS-004"])
    assert ticket.priority == "" and ticket.queue.code == "CX-ZY-RS"


def test_print_list_has_the_materials(guide, client):
    client.force_login(guide.user)
    page = client.get(
        "/guide/print/", {"codes": ["XN-MZ-003", "XN-RS-002"], "ticket": "G001"}
    ).content.decode()
    assert "一次性告知" in page and "G001" in page and "居民身份证" in page
    assert "2022年3月15日 10:00" in page  # the project clock, not the machine's
    assert "不用跑" in page  # both certifications need no trip (visits_required 0)


def test_pick_without_typing(guide, client):
    client.force_login(guide.user)
    page = client.get("/guide/", {"pick": "XN-CG-001"}).content.decode()
    assert 'value="XN-CG-001" checked' in page and "材料清单" in page


def test_desk_needs_login_and_scope(cx, client):
    assert client.get("/guide/").status_code == 302
    other = make_staff("guide", outlet="XN-CB")
    with pytest.raises(Forbidden):
        services.issue_ticket(other, cx, ["XN-RS-004"])
    client.force_login(other.user)
    assert client.get("/guide/", {"outlet": "XN-CX"}).status_code == 403
    approver = make_staff("approver", outlet="XN-CX", department="XN-WS")
    client.force_login(approver.user)
    assert client.get("/guide/").status_code == 403


def test_no_item_chosen_is_a_clear_error(guide, client):
    client.force_login(guide.user)
    r = client.post("/guide/", {"q": S01, "form_key": "x"})
    assert r.status_code == 400 and "请先勾选要办理的事项" in r.content.decode()


def test_triage_api(cx, client):
    r = client.get("/api/triage", {"q": "社保卡丢了", "outlet": "XN-CX"})
    assert r.status_code == 200
    top = r.json()["results"][0]
    assert (
        top["code"] == "XN-RS-004" and top["queue"]["code"] == "CX-ZY-RS" and top["green_channel"]
    )
    assert top["materials"] and top["outlets"][0]["open_now"]
    assert client.get("/api/triage", {"q": ""}).status_code == 400
    assert client.get("/api/triage", {"q": "社保卡", "outlet": "NOPE"}).status_code == 404


def test_arrival_check_in_at_the_desk(guide, cx, client, clock):
    """Bookings and remote tickets are checked in where the person actually is: the guide desk."""
    from yimen.queueing import selectors as queue_selectors, services as queue_services

    idn = make_resident_id("630104", date(1980, 1, 2), 7)
    slot = queue_selectors.available_slots(cx, "XN-RS-004", date(2022, 3, 15))[0]
    appt = queue_services.book_appointment(
        cx, "XN-RS-004", slot["start"], "王五", idn, "13800138002"
    )
    remote = queue_services.issue_remote_ticket(
        cx, ["XN-RS-004"], id_number=make_resident_id("630104", date(1981, 1, 2), 9)
    )
    client.force_login(guide.user)
    r = client.post("/guide/", {"action": "check_in", "arrival": appt.public_id})
    assert r.status_code == 200 and r.context["checked_in"].channel == "appointment"
    r = client.post("/guide/", {"action": "check_in", "arrival": remote.public_id})
    assert r.context["checked_in"].checked_in_at is not None
    assert client.post("/guide/", {"action": "check_in", "arrival": "x" * 16}).status_code == 404
    other = make_staff("guide", outlet="XN-CB")
    with pytest.raises(Exception) as exc:
        services.check_in_arrival(other, cx, appt.public_id)
    assert "Forbidden" in type(exc.value).__name__


def test_desk_finds_bundle_and_issues_its_ticket(guide, client):
    """一件事 at the desk: plain words → the bundle → one ticket; the window then takes it all."""
    client.force_login(guide.user)
    page = client.get("/guide/", {"q": "孩子刚出生要办哪些事"}).content.decode()
    assert 'data-bundle="YJS-XSECS"' in page
    r = client.post("/guide/", {"q": "孩子刚出生", "bundle": "YJS-XSECS", "form_key": "b-1"})
    assert r.status_code == 200
    ticket = r.context["ticket"]
    assert "XN-YB-002" in {i.code for i in ticket.items.all()}
    assert "YJS-XSECS" in r.content.decode()
    veteran = client.post("/guide/", {"q": "退伍", "bundle": "YJS-TYJR", "form_key": "b-2"})
    codes = {i.code for i in veteran.context["ticket"].items.all()}
    assert codes == {"XN-TY-001", "XN-TY-002", "XN-TY-004"}  # one queue takes them all
    bad = client.post("/guide/", {"q": "x", "bundle": "NOPE", "form_key": "b-3"})
    assert bad.status_code == 404
