"""Issue 14 §4: an Idempotency-Key replays only the request it was first used for; reused with a
different request (body, path) it is refused — 422 `idempotency_key_reused` — as payment APIs do.
Over HTTP (the kiosk ticket API, the guide desk and the portal's remote ticket form) and directly."""

from datetime import date

import pytest

from yimen.core.idempotency import IdempotencyKeyReused
from yimen.core.validators import make_resident_id
from yimen.queueing import services
from yimen.queueing.models import Ticket
from yimen.staff.testing import make_staff
from yimen.staff.tokens import issue_token

pytestmark = pytest.mark.django_db
URL = "/api/outlets/XN-CX/tickets"


@pytest.fixture
def device(at_cx):
    _token, raw = issue_token(outlet=at_cx)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def post(client, url, body, key, **headers):
    return client.post(
        url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key, **headers
    )


def test_same_body_replays_different_body_is_refused(client, device):
    first = post(client, URL, {"item_code": "XN-CG-001", "name": "张三"}, "kiosk-1", **device)
    assert first.status_code == 201, first.content
    # a retry: same request, keys in another order and other white space → the same ticket
    again = client.post(
        URL,
        '{ "name" : "张三",  "item_code": "XN-CG-001" }',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="kiosk-1",
        **device,
    )
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert again.json()["number"] == first.json()["number"]
    # the same key for another request: refused, nothing issued
    for body in (
        {"item_code": "XN-RS-004", "name": "张三"},
        {"item_code": "XN-CG-001", "name": "李四"},
        {"item_code": "XN-CG-001"},
    ):
        r = post(client, URL, body, "kiosk-1", **device)
        assert r.status_code == 422, (body, r.content)
        assert (
            r.json()["code"] == "idempotency_key_reused"
            and "Idempotency-Key" in r.json()["message"]
        )
        assert "内容不同" in r.json()["message"]
    assert Ticket.objects.count() == 1
    # the original still replays afterwards; a new key issues a new ticket
    assert (
        post(client, URL, {"item_code": "XN-CG-001", "name": "张三"}, "kiosk-1", **device).json()[
            "id"
        ]
        == first.json()["id"]
    )
    assert post(client, URL, {"item_code": "XN-RS-004"}, "kiosk-2", **device).status_code == 201
    assert Ticket.objects.count() == 2


def test_same_key_on_another_path_is_refused(client, device, at_cx):
    from yimen.outlets.models import Outlet

    assert post(client, URL, {"item_code": "XN-CG-001"}, "k-path", **device).status_code == 201
    other = Outlet.objects.exclude(pk=at_cx.pk).filter(kind=at_cx.kind).first()
    _token, raw = issue_token(outlet=other)
    r = post(
        client,
        f"/api/outlets/{other.code}/tickets",
        {"item_code": "XN-CG-001"},
        "k-path",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert r.status_code == 422 and r.json()["code"] == "idempotency_key_reused"


def test_openapi_declares_the_422(client):
    op = client.get("/api/openapi.json").json()["paths"]["/api/outlets/{outlet_id}/tickets"]["post"]
    assert "422" in op["responses"]


def test_direct_service_calls_compare_their_arguments(at_cx):
    first = services.issue_ticket(at_cx, ["XN-CG-001"], idempotency_key="svc-1")
    assert services.issue_ticket(at_cx, ["XN-CG-001"], idempotency_key="svc-1").pk == first.pk
    with pytest.raises(IdempotencyKeyReused) as err:
        services.issue_ticket(at_cx, ["XN-RS-004"], idempotency_key="svc-1")
    assert err.value.status == 422 and err.value.code == "idempotency_key_reused"
    # a ticket stored before fingerprints existed replays as before
    Ticket.objects.filter(pk=first.pk).update(idempotency_fingerprint="")
    assert services.issue_ticket(at_cx, ["XN-RS-004"], idempotency_key="svc-1").pk == first.pk


def test_fingerprint_does_not_store_personal_data_in_clear(client, device):
    idn = make_resident_id("630104", date(1950, 1, 2), 11)
    assert (
        post(
            client, URL, {"item_code": "XN-CG-001", "id_number": idn}, "k-pii", **device
        ).status_code
        == 201
    )
    fp = Ticket.objects.get(idempotency_key="k-pii").idempotency_fingerprint
    assert len(fp) == 64 and idn not in fp
    import hashlib

    assert fp != hashlib.sha256(idn.encode()).hexdigest()


def test_guide_desk_form_key(client, at_cx):
    guide = make_staff("guide", outlet="XN-CX")
    client.force_login(guide.user)
    body = {"q": "办理低保", "codes": ["XN-CG-001"], "form_key": "desk-1"}
    ticket = client.post("/guide/", body).context["ticket"]
    assert client.post("/guide/", body).context["ticket"].pk == ticket.pk
    r = client.post("/guide/", {**body, "codes": ["XN-RS-004"]})
    assert "内容不同" in r.content.decode() and r.context["ticket"] is None
    assert Ticket.objects.count() == 1


def test_portal_remote_form_key(client, at_cx):
    idn = make_resident_id("630104", date(1980, 1, 2), 11)
    body = {"outlet": "XN-CX", "id_number": idn, "form_key": "portal-1"}
    first = client.post("/portal/item/XN-RS-004/remote/", body)
    assert first.status_code == 302
    assert client.post("/portal/item/XN-RS-004/remote/", body)["Location"] == first["Location"]
    r = client.post("/portal/item/XN-RS-004/remote/", {**body, "phone": "13800138000"})
    assert r.status_code == 422 and "内容不同" in r.content.decode()
    assert Ticket.objects.count() == 1


def test_key_is_bound_to_its_caller(client, device, at_cx):
    """Another caller's same key — even with the same body — never replays someone else's ticket
    (it would hand over the ticket's status link); it is refused like a reused key."""
    body = {"item_code": "XN-CG-001", "name": "张三"}
    first = post(client, URL, body, "shared-key", **device)
    assert first.status_code == 201
    # a second kiosk of the same outlet, same key and same body
    _token, raw = issue_token(outlet=at_cx)
    r = post(client, URL, body, "shared-key", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 422 and r.json()["code"] == "idempotency_key_reused"
    assert "status_url" not in r.json()
    # a member of staff of that outlet with a token of their own
    clerk = make_staff("clerk", outlet="XN-CX")
    _token, raw = issue_token(staff=clerk)
    r = post(client, URL, body, "shared-key", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 422 and r.json()["code"] == "idempotency_key_reused"
    assert Ticket.objects.count() == 1
    # the caller who owns the key still replays its ticket
    again = post(client, URL, body, "shared-key", **device)
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]


def test_guide_desk_key_is_bound_to_the_guide(client, at_cx):
    body = {"q": "办理低保", "codes": ["XN-CG-001"], "form_key": "desk-shared"}
    client.force_login(make_staff("guide", outlet="XN-CX").user)
    ticket = client.post("/guide/", body).context["ticket"]
    assert ticket is not None
    client.force_login(make_staff("guide", outlet="XN-CX").user)
    r = client.post("/guide/", body)
    assert r.context["ticket"] is None and "内容不同" in r.content.decode()
    assert Ticket.objects.count() == 1


def test_direct_calls_bind_the_key_to_the_actor(at_cx):
    one = make_staff("guide", outlet="XN-CX")
    other = make_staff("guide", outlet="XN-CX")
    first = services.issue_ticket(at_cx, ["XN-CG-001"], actor=one, idempotency_key="svc-a")
    assert (
        services.issue_ticket(at_cx, ["XN-CG-001"], actor=one, idempotency_key="svc-a").pk
        == first.pk
    )
    with pytest.raises(IdempotencyKeyReused):
        services.issue_ticket(at_cx, ["XN-CG-001"], actor=other, idempotency_key="svc-a")
    with pytest.raises(IdempotencyKeyReused):
        services.issue_ticket(at_cx, ["XN-CG-001"], idempotency_key="svc-a")
