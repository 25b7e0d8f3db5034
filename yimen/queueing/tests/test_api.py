"""The queue API over HTTP (Django test client + bearer tokens)."""

import pytest

from yimen.queueing.models import Ticket
from yimen.staff.testing import make_staff
from yimen.staff.tokens import issue_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def device(at_cx):
    _token, raw = issue_token(outlet=at_cx)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def clerk_token(clerk_at):
    staff, window = clerk_at("CX-ZH-203")
    _token, raw = issue_token(staff=staff)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}, window


def post(client, url, body=None, **headers):
    return client.post(url, body or {}, content_type="application/json", **headers)


def test_issue_with_idempotency_key_returns_same_ticket(client, device):
    body = {"item_code": "XN-CG-001", "priority": None}
    first = post(client, "/api/outlets/XN-CX/tickets", body, HTTP_IDEMPOTENCY_KEY="k-1", **device)
    assert first.status_code == 201, first.content
    data = first.json()
    assert data["number"] == "A001" and data["queue"] == "CX-ZH" and data["position"] == 1
    assert data["estimated_wait_minutes"] == 0
    again = post(client, "/api/outlets/XN-CX/tickets", body, HTTP_IDEMPOTENCY_KEY="k-1", **device)
    assert again.status_code == 201 and again.json()["id"] == data["id"]
    assert Ticket.objects.count() == 1
    other = post(client, "/api/outlets/XN-CX/tickets", body, HTTP_IDEMPOTENCY_KEY="k-2", **device)
    assert other.json()["number"] == "A002" and other.json()["position"] == 2


def test_issue_needs_a_token_and_own_outlet(client, device):
    assert post(client, "/api/outlets/XN-CX/tickets", {"item_code": "XN-CG-001"}).status_code == 401
    wrong = post(client, "/api/outlets/XN-CB/tickets", {"item_code": "XN-CG-001"}, **device)
    assert wrong.status_code in (400, 403)
    assert "code" in wrong.json() and wrong.json()["message"]


@pytest.mark.parametrize(
    "body,status,code",
    [
        ({"item_code": "XN-NOPE"}, 400, "unknown_item"),
        ({}, 400, "no_item"),
        ({"item_code": "XN-CG-001", "priority": "VIP"}, 400, "bad_priority"),
        ({"item_code": "XN-CG-001", "id_number": "123"}, 400, "bad_id_number"),
        ({"item_code": 12345678}, 422, "invalid"),
    ],
)
def test_bad_input_is_a_chinese_4xx(client, device, body, status, code):
    response = post(client, "/api/outlets/XN-CX/tickets", body, **device)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["message"])


def test_closed_outlet_gives_409_with_next_opening(client, device, clock):
    from yimen.core import clock as project_clock

    clock.freeze(project_clock.at(2022, 3, 19, 12, 1))
    response = post(client, "/api/outlets/XN-CX/tickets", {"item_code": "XN-RS-004"}, **device)
    assert response.status_code == 409
    data = response.json()
    assert data["code"] == "closed"
    assert data["details"]["next_opening"].startswith("2022-03-21T09:00")
    assert any(a["code"] == "XN-NSH-01" for a in data["details"]["alternatives"])


def test_call_next_start_finish_and_204(client, device, clerk_token):
    headers, window = clerk_token
    assert post(client, f"/api/windows/{window.pk}/call-next", **headers).status_code == 204
    issued = post(client, "/api/outlets/XN-CX/tickets", {"item_code": "XN-CG-001"}, **device).json()
    called = post(client, f"/api/windows/{window.code}/call-next", **headers)
    assert called.status_code == 200 and called.json()["id"] == issued["id"]
    assert called.json()["status"] == "called" and called.json()["window"] == "203"
    assert (
        post(client, f"/api/tickets/{issued['id']}/recall", **headers).json()["status"] == "called"
    )
    assert (
        post(client, f"/api/tickets/{issued['id']}/start", **headers).json()["status"] == "serving"
    )
    bad = post(client, f"/api/tickets/{issued['id']}/start", **headers)
    assert bad.status_code == 409 and bad.json()["code"] == "invalid_transition"
    done = post(
        client, f"/api/tickets/{issued['id']}/finish", {"handled_items": ["XN-CG-001"]}, **headers
    )
    assert done.status_code == 200 and done.json()["status"] == "done"
    got = client.get(f"/api/tickets/{issued['id']}", **headers)
    assert got.status_code == 200 and got.json()["status"] == "done"
    assert post(client, f"/api/tickets/{issued['id']}/fly", **headers).status_code == 400


def test_call_next_needs_the_clerk_signed_in_at_that_window(client, device, clerk_at):
    staff, _window = clerk_at("CX-ZH-201")
    _t, raw = issue_token(staff=staff)
    response = post(client, "/api/windows/CX-ZH-202/call-next", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 403 and response.json()["code"] == "not_signed_in"
    assert post(client, "/api/windows/CX-ZH-201/call-next", **device).status_code == 401


def test_no_show_and_transfer_actions(client, device, clerk_token, clerk_at):
    headers, window = clerk_token
    a = post(client, "/api/outlets/XN-CX/tickets", {"item_code": "XN-CG-001"}, **device).json()
    post(client, f"/api/windows/{window.pk}/call-next", **headers)
    assert post(client, f"/api/tickets/{a['id']}/no-show", **headers).json()["status"] == "no_show"
    assert (
        post(client, f"/api/tickets/{a['id']}/reactivate", {"reason": "回来了"}, **headers).json()[
            "status"
        ]
        == "waiting"
    )
    post(client, f"/api/windows/{window.pk}/call-next", **headers)
    missing = post(client, f"/api/tickets/{a['id']}/transfer", {"queue": "CX-ZY-RS"}, **headers)
    assert missing.status_code == 400 and missing.json()["code"] == "reason_required"
    closed = post(
        client,
        f"/api/tickets/{a['id']}/transfer",
        {"queue": "CX-ZY-RS", "reason": "人社业务"},
        **headers,
    )
    assert (
        closed.status_code == 409 and closed.json()["code"] == "target_closed"
    )  # nobody signed in there
    clerk_at("CX-ZY-RS-305")
    wrong = post(
        client,
        f"/api/tickets/{a['id']}/transfer",
        {"queue": "CX-ZY-RS", "reason": "人社业务"},
        **headers,
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "target_cannot_serve"
    assert "建筑垃圾准运证" in wrong.json()["message"]
    clerk_at("CX-ZH-202")
    moved = post(
        client,
        f"/api/tickets/{a['id']}/transfer",
        {"window": "CX-ZH-202", "reason": "需202复核"},
        **headers,
    )
    assert (
        moved.status_code == 200
        and moved.json()["queue"] == "CX-ZH"
        and moved.json()["number"] == "A001"
    )


def test_board_is_public_and_masked(client, device, clerk_token):
    headers, window = clerk_token
    post(
        client,
        "/api/outlets/XN-CX/tickets",
        {"item_code": "XN-CG-001", "name": "王小明", "id_number": "", "phone": "13800001234"},
        **device,
    )
    post(client, f"/api/windows/{window.pk}/call-next", **headers)
    board = client.get("/api/outlets/XN-CX/board")
    assert board.status_code == 200
    data = board.json()
    assert data["calls"][0]["number"] == "A001" and data["calls"][0]["window"] == "203"
    assert data["calls"][0]["name"] == "王**"
    assert data["calls"][0]["text"] == "请 A001 号到 203 号窗口办理"
    assert "王小明" not in board.content.decode() and "13800001234" not in board.content.decode()


def test_ticket_visible_only_to_own_outlet(client, device):
    a = post(client, "/api/outlets/XN-CX/tickets", {"item_code": "XN-CG-001"}, **device).json()
    other = make_staff("clerk", outlet="XN-CB", password=None)
    _t, raw = issue_token(staff=other)
    assert (
        client.get(f"/api/tickets/{a['id']}", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 403
    )
    assert client.get(f"/api/tickets/{a['id']}", **device).status_code == 200


def test_openapi_lists_queue_endpoints(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    for p in [
        "/api/outlets/{outlet_id}/tickets",
        "/api/windows/{window_id}/call-next",
        "/api/tickets/{ticket_id}/{action}",
        "/api/tickets/{ticket_id}",
        "/api/outlets/{outlet_id}/board",
    ]:
        assert p in paths


def test_actions_accept_an_empty_body_and_reject_a_malformed_one(client, device, clerk_token):
    headers, window = clerk_token
    a = post(client, "/api/outlets/XN-CX/tickets", {"item_code": "XN-CG-001"}, **device).json()
    client.post(f"/api/windows/{window.pk}/call-next", **headers)
    started = client.post(f"/api/tickets/{a['id']}/start", **headers)  # no body, no content type
    assert started.status_code == 200 and started.json()["status"] == "serving"
    bad = client.post(
        f"/api/tickets/{a['id']}/finish", "{not json", content_type="application/json", **headers
    )
    assert bad.status_code == 422 and bad.json()["code"] == "invalid"
    wrong = post(
        client, f"/api/tickets/{a['id']}/finish", {"handled_items": "XN-CG-001"}, **headers
    )
    assert wrong.status_code == 422
