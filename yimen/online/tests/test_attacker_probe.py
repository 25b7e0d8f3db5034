"""An attacker's pass over 网上申报 (docs/security.md, "Attacker pass"): redirects after sign-in,
forged office actions, replayed decisions, malformed uploads — each answered with a 4xx."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from yimen.online.models import Application
from yimen.staff.testing import make_staff

from .conftest import OTHER_ID, OTHER_PHONE, PDF, PERSON_ID, PHONE, code_for
from .test_flow import start_application, submitted
from .test_oidc_and_figures import idp  # noqa: F401 — the IdP simulator fixture


def _verify(client, nxt):
    client.post("/online/", {"action": "send", "id_number": PERSON_ID, "phone": PHONE})
    return client.post(
        f"/online/?next={nxt}",
        {"action": "verify", "id_number": PERSON_ID, "phone": PHONE, "code": code_for(PHONE)},
    )


@pytest.mark.parametrize(
    "nxt",
    [
        "/online/%0d%0aSet-Cookie:%20x=1",
        "/online/%0aLocation:%20https://evil.example/",
        "/online/../admin/",
        "/online/%2F%2Fevil.example",
        "/online/\\\\evil.example",
        "https://evil.example/online/",
        "//evil.example/online/",
    ],
)
def test_next_after_sign_in_stays_on_the_online_hall(online_env, nxt):
    r = _verify(Client(), nxt)
    assert r.status_code == 302
    loc = r["Location"]
    assert loc.startswith("/online/") and "\n" not in loc and "\r" not in loc
    assert ".." not in loc and "\\" not in loc


@pytest.mark.parametrize(
    "nxt,ok",
    [
        ("/online/a/WS0011/", True),
        ("/online/a/WS0011/?x=1", True),
        ("/online/../admin/", False),
        ("/online/%2e%2e/admin/", False),
        ("/online/./a/", False),
        ("/online/\\evil.example", False),
        ("/online/%5C%5Cevil.example", False),
        ("/online/\r\nSet-Cookie: x=1", False),
        ("https://evil.example/online/", False),
        ("//evil.example/online/", False),
        ("/online/" + "a" * 600, False),
    ],
)
def test_safe_next_rule(nxt, ok):
    from yimen.online.rules import safe_next

    assert safe_next(nxt) == (nxt if ok else "")


def test_sign_in_round_trip_keeps_the_whole_next(online_env, client):
    from .conftest import sign_in

    sign_in(client)
    app, url = start_application(client)
    anon = Client()
    r = anon.get(url + "?tab=files&x=1")
    assert r.status_code == 302
    # the `&x=1` of the original address stays inside `next` (it is URL-encoded)
    assert (
        r["Location"]
        == "/online/?next=%2Fonline%2Fa%2F" + app.public_id + "%2F%3Ftab%3Dfiles%26x%3D1"
    )


def test_office_actions_by_other_department_or_outlet_are_refused(online_env, client):
    app, _url = submitted(client)
    for staff in (make_staff("approver", department="XN-CG"), make_staff("clerk", outlet="XN-CX")):
        c = Client()
        c.force_login(staff.user)
        for action in ("accept", "refuse", "correct", "deliver"):
            r = c.post(f"/online/office/{app.pk}/", {"action": action, "reason": "不符合条件"})
            assert r.status_code in (403, 404), (staff.role, action, r.status_code)
    app.refresh_from_db()
    assert app.status == "precheck"


def test_double_accept_and_bogus_correction_lines_are_4xx(online_env, client):
    app, _url = submitted(client)
    c = Client()
    c.force_login(make_staff("approver", department="XN-WS").user)
    url = f"/online/office/{app.pk}/"
    r = c.post(url, {"action": "correct", "fix_999": "1", "why_999": "不存在的材料"})
    assert r.status_code == 400
    r = c.post(url, {"action": "correct", "fix_-1": "1", "why_-1": "负数"})
    assert r.status_code == 400
    assert c.post(url, {"action": "accept"}).status_code == 302
    assert c.post(url, {"action": "accept"}).status_code == 409
    assert c.post(url, {"action": "correct", "fix_0": "1", "why_0": "重放"}).status_code == 409
    assert c.post(url, {"action": "refuse", "reason": "重放的不予受理"}).status_code == 409


@pytest.mark.parametrize(
    "name,data",
    [
        ("../../etc/passwd.pdf", PDF),
        ("a" * 300 + ".pdf", PDF),
        ("x.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("x.html", b"<html><script>alert(1)</script></html>%PDF-1.4"),
    ],
)
def test_malformed_uploads(online_env, client, name, data):
    from .conftest import sign_in

    sign_in(client)
    app, url = start_application(client)
    f = SimpleUploadedFile(name, data, content_type="application/pdf")
    r = client.post(url, {"action": "upload", "line": 0, "file": f})
    row = app.uploads.first()
    if data.startswith(b"%PDF"):
        assert r.status_code == 302
        assert ".." not in row.stored_name and len(row.original_name) <= 200
    else:
        assert r.status_code == 400 and row is None


def test_upload_to_someone_elses_draft(online_env, client):
    from .conftest import sign_in

    sign_in(client)
    app, url = start_application(client)
    other = sign_in(Client(), OTHER_ID, OTHER_PHONE)
    f = SimpleUploadedFile("x.pdf", PDF)
    assert other.post(url, {"action": "upload", "line": 0, "file": f}).status_code == 404
    assert other.post(url, {"action": "submit"}).status_code == 404
    assert not Application.objects.get(pk=app.pk).uploads.exists()


def test_multipart_without_boundary_or_with_a_lying_length_is_a_400(online_env, client):
    from .conftest import sign_in

    sign_in(client)
    _app, url = start_application(client)
    body = b'--X\r\nContent-Disposition: form-data; name="action"\r\n\r\nupload\r\n--X--\r\n'
    r = client.generic("POST", url, body, content_type="multipart/form-data")
    assert r.status_code == 400
    # a Content-Length shorter than the body: the parser sees a truncated form
    # (a longer one cannot be sent through the test client; ASGI hands over the real body)
    r = client.generic(
        "POST", url, body, content_type="multipart/form-data; boundary=X", CONTENT_LENGTH="10"
    )
    assert r.status_code < 500
    r = client.generic(
        "POST", url, body, content_type="multipart/form-data; boundary=X", CONTENT_LENGTH="-5"
    )
    assert r.status_code < 500


def test_a_nul_in_the_file_name_and_a_huge_declared_image_are_harmless(online_env, client):
    import struct

    from .conftest import sign_in

    sign_in(client)
    app, url = start_application(client)
    f = SimpleUploadedFile("a\x00b.pdf", PDF)
    r = client.post(url, {"action": "upload", "line": 0, "file": f})
    assert r.status_code in (302, 400)
    if r.status_code == 302:
        assert "\x00" not in app.uploads.get().original_name
    # a PNG that claims 60000 x 60000 pixels: stored as bytes, never decoded on the server
    bomb = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR"
    bomb += struct.pack(">IIBBBBB", 60000, 60000, 8, 6, 0, 0, 0) + b"\x00" * 64
    f = SimpleUploadedFile("big.png", bomb)
    assert client.post(url, {"action": "upload", "line": 1, "file": f}).status_code == 302
    r = client.get(f"/online/file/{app.uploads.get(line=1, superseded=False).pk}/")
    assert r.status_code == 200 and "sandbox" in r["Content-Security-Policy"]


def test_oidc_callback_without_state_or_replayed_is_refused(online_env, idp):
    from urllib.parse import urlparse

    import requests

    # no pending sign-in in this session at all
    assert Client().get("/online/oidc/callback/?code=x&state=y").status_code == 403
    c = Client()
    r = c.get("/online/oidc/start/?next=/online/../admin/")
    back = requests.get(r["Location"], allow_redirects=False, timeout=5)
    target = urlparse(back.headers["Location"])
    first = c.get(f"{target.path}?{target.query}")
    assert first.status_code == 302 and first["Location"] == "/online/"  # `next` was refused
    # the same code and state again (a replay, or a double click): the state was used up
    c2 = Client()
    c2.get("/online/oidc/start/")  # a fresh pending sign-in with another state
    assert c.get(f"{target.path}?{target.query}").status_code == 403
    assert c2.get(f"{target.path}?{target.query}").status_code == 403


def test_replayed_submit_and_uploads_outside_the_checklist(online_env, client):
    app, url = submitted(client)
    assert client.post(url, {"action": "submit"}).status_code == 409
    assert client.post(url, {"action": "resubmit"}).status_code in (400, 409)
    for line in ("999", "-1", "1e3", "", "０"):
        f = SimpleUploadedFile("x.pdf", PDF)
        r = client.post(url, {"action": "upload", "line": line, "file": f})
        assert r.status_code in (400, 409), (line, r.status_code)
    assert app.case.__class__.objects.filter(pk=app.case_id).count() == 1


def test_huge_numeric_ids_in_paths_are_404(online_env, client):
    app, url = submitted(client)
    huge = "9" * 25
    assert client.get(f"/online/file/{huge}/").status_code == 404
    assert client.get(f"{url}notice/{huge}.pdf").status_code == 404
    c = Client()
    c.force_login(make_staff("approver", department="XN-WS").user)
    assert c.get(f"/online/office/{huge}/").status_code == 404
    assert c.get(f"/online/office/{app.pk}/?show={huge}").status_code == 200
