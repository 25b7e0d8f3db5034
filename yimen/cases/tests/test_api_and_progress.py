"""HTTP: the case API (bearer tokens, 4xx errors) and the public progress page (rate-limited)."""

import pytest

from yimen.cases import rules, services
from yimen.catalog.models import ServiceItem
from yimen.staff.tokens import issue_token

from .conftest import AGENT_ID, PERSON_ID, approver, called_ticket, clerk_at, mark_all, person

pytestmark = pytest.mark.django_db


def auth(staff):
    _token, raw = issue_token(staff=staff)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_bank_terminal_flow_through_api(demo, clock, client):
    clock.freeze(clock.at(2022, 3, 19, 10, 30))
    clerk, w = clerk_at("XN-NSH-01-ZC")
    ticket = called_ticket(w, clerk, ["XN-YB-002"])
    h = auth(clerk)
    r = client.post(
        "/api/cases",
        {
            "item": "XN-YB-002",
            "ticket_id": ticket.pk,
            "applicant_name": "王小宝",
            "applicant_id_number": PERSON_ID,
            "agent_name": "王大力",
            "agent_id_number": AGENT_ID,
            "applicant_phone": "13800138000",
        },
        content_type="application/json",
        **h,
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["outlet"] == "XN-NSH-01" and body["status"] == "draft"
    assert body["applicant_id_number"] != PERSON_ID and "*" in body["applicant_id_number"]
    case_id = body["id"]
    # accepting before the checklist is done is a clear 400
    r = client.post(f"/api/cases/{case_id}/accept", {}, content_type="application/json", **h)
    assert r.status_code == 400 and "未核验" in r.json()["message"]
    marks = [
        {"id": m["id"], "state": "received", "via": "paper"}
        for m in body["materials"]
        if m["required"]
    ]
    r = client.post(
        f"/api/cases/{case_id}/materials", {"marks": marks}, content_type="application/json", **h
    )
    assert r.status_code == 200
    r = client.post(f"/api/cases/{case_id}/accept", {}, content_type="application/json", **h)
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "closed" and body["licence_number"] and body["trips"] == 1
    assert body["verify_url"].startswith("http://testserver/cases/verify/")
    # an invalid transition is a 409 with a Chinese message
    r = client.post(
        f"/api/cases/{case_id}/decide",
        {"decision": "approve"},
        content_type="application/json",
        **h,
    )
    assert r.status_code in (403, 409)
    r = client.post(f"/api/cases/{case_id}/one-time-notice", content_type="application/json", **h)
    assert (
        r.status_code == 409
        and r.json()["code"] == "invalid_transition"
        and "已办结" in r.json()["message"]
    )
    # validation errors are 422; unknown case 404; no token 401
    assert (
        client.post(
            f"/api/cases/{case_id}/reject", {}, content_type="application/json", **h
        ).status_code
        == 422
    )
    assert client.get("/api/cases/999999", **h).status_code == 404
    assert client.get(f"/api/cases/{case_id}").status_code == 401
    # another outlet's clerk may not see it
    other, _ = clerk_at("CX-ZH-205")
    assert client.get(f"/api/cases/{case_id}", **auth(other)).status_code in (403, 404)


def test_api_back_office_and_openapi(demo, clock, client):
    clock.freeze(clock.at(2022, 3, 28, 10, 0))
    clerk, w = clerk_at("CX-ZH-203")
    case = services.open_case(
        clerk,
        item=ServiceItem.objects.get(code="XN-CG-002"),
        outlet=w.outlet,
        window=w,
        applicant=person(),
    )
    mark_all(case)
    services.accept(clerk, case)
    cg = [approver("XN-CG") for _ in range(3)]
    url = f"/api/cases/{case.pk}"
    r = client.post(
        url + "/decide", {"decision": "approve"}, content_type="application/json", **auth(cg[2])
    )
    assert r.status_code == 409 and r.json()["code"] == "steps_pending"
    assert (
        client.post(
            url + "/steps", {"opinion": "同意"}, content_type="application/json", **auth(cg[0])
        ).status_code
        == 200
    )
    r = client.post(
        url + "/pause",
        {"kind": "hearing", "reason": "涉及相邻权利人，举行听证"},
        content_type="application/json",
        **auth(cg[1]),
    )
    assert r.status_code == 200 and r.json()["status"] == "paused"
    r = client.post(
        url + "/pause",
        {"kind": "hearing", "reason": "再次"},
        content_type="application/json",
        **auth(cg[1]),
    )
    assert r.status_code == 409
    assert (
        client.post(url + "/resume", {}, content_type="application/json", **auth(cg[1])).status_code
        == 200
    )
    assert (
        client.post(url + "/steps", {}, content_type="application/json", **auth(cg[1])).status_code
        == 200
    )
    assert (
        client.post(
            url + "/decide", {"decision": "approve"}, content_type="application/json", **auth(cg[2])
        ).status_code
        == 200
    )
    r = client.post(url + "/result", {}, content_type="application/json", **auth(cg[2]))
    assert r.status_code == 200 and r.json()["status"] == "ready"
    assert (
        client.post(url + "/result", {}, content_type="application/json", **auth(cg[2])).status_code
        == 409
    )
    r = client.post(
        url + "/deliver", {"method": "mail"}, content_type="application/json", **auth(clerk)
    )
    assert r.status_code == 400 and "邮件单号" in r.json()["message"]
    r = client.post(
        url + "/deliver",
        {"method": "mail", "tracking_number": "SF100"},
        content_type="application/json",
        **auth(clerk),
    )
    assert r.status_code == 200 and r.json()["status"] == "closed"
    r = client.get("/api/case-time-limits", **auth(cg[0]))
    assert r.status_code == 200 and r.json()["department"] == "XN-CG"
    schema = client.get("/api/openapi.json").json()
    for path in (
        "/api/cases",
        "/api/cases/{case_id}/accept",
        "/api/cases/{case_id}/one-time-notice",
        "/api/case-progress",
    ):
        assert path in schema["paths"]


def test_public_progress_page_and_rate_limit(demo, clock, client):
    clock.freeze(clock.at(2022, 3, 28, 10, 0))
    clerk, w = clerk_at("CX-ZH-203")
    case = services.open_case(
        clerk,
        item=ServiceItem.objects.get(code="XN-WS-001"),
        outlet=w.outlet,
        window=w,
        applicant=person(),
    )
    mark_all(case)
    services.accept(clerk, case)
    page = client.get("/cases/progress/")
    assert page.status_code == 200 and "办件编号" in page.content.decode()
    r = client.post(
        "/cases/progress/", {"receipt_number": case.receipt_number, "secret": PERSON_ID[-4:]}
    )
    html = r.content.decode()
    assert r.status_code == 200 and "已受理" in html and "2022-03-31" in html
    assert PERSON_ID not in html and "张三" not in html and "13800138000" not in html
    r = client.post(
        "/cases/progress/", {"receipt_number": case.receipt_number.lower(), "secret": "13800138000"}
    )
    assert r.status_code == 200 and "已受理" in r.content.decode()
    # wrong secrets: 404 each, then the receipt number is locked for an hour (429, clear message)
    for _ in range(5):
        r = client.post(
            "/cases/progress/", {"receipt_number": case.receipt_number, "secret": "0000"}
        )
        assert r.status_code == 404 and "不匹配" in r.content.decode()
    r = client.post(
        "/cases/progress/", {"receipt_number": case.receipt_number, "secret": PERSON_ID[-4:]}
    )
    assert r.status_code == 429 and "次数过多" in r.content.decode()
    clock.travel(hours=1, minutes=1)
    r = client.post(
        "/cases/progress/", {"receipt_number": case.receipt_number, "secret": PERSON_ID[-4:]}
    )
    assert r.status_code == 200
    # per address: failures across receipt numbers stop at 10 an hour (the API answers 429 too);
    # the 20-lookups-in-10-minutes budget is tested in portal/tests/test_progress_limits.py
    for i in range(19):
        client.post(
            "/api/case-progress",
            {"receipt_number": f"XN-CX-X-{i}", "secret": "1234"},
            content_type="application/json",
        )
    r = client.post(
        "/api/case-progress",
        {"receipt_number": case.receipt_number, "secret": PERSON_ID[-4:]},
        content_type="application/json",
    )
    assert (
        r.status_code == 429
        and r.json()["code"] == "rate_limited"
        and "次数过多" in r.json()["message"]
    )
    assert client.post("/cases/progress/", {"receipt_number": "", "secret": ""}).status_code == 400


def test_public_progress_selector_for_portal(demo, clock):
    from yimen.cases.selectors import public_progress

    clock.freeze(clock.at(2022, 3, 28, 10, 0))
    clerk, w = clerk_at("CX-ZH-203")
    case = services.open_case(
        clerk,
        item=ServiceItem.objects.get(code="XN-WS-001"),
        outlet=w.outlet,
        window=w,
        applicant=person(agent_name="李四", agent_id_number=AGENT_ID),
    )
    assert public_progress(case.receipt_number, "1234") is None
    answer = public_progress(case.receipt_number, AGENT_ID[-4:])
    assert answer["status"] == rules.DRAFT and answer["due_date"] is None
    assert set(answer) >= {"receipt_number", "status_label", "opened_on", "accepted_on", "due_date"}
    assert not any(PERSON_ID in str(v) or "张三" in str(v) for v in answer.values())
