"""Who may read an uploaded file (the applicant and the handling department only), upload limits
and content sniffing, storage outside the web root, agents' consent."""

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from yimen.online import rules, storage
from yimen.online.models import Application, Upload
from yimen.staff.testing import make_staff

from .conftest import OTHER_ID, OTHER_PHONE, PDF, PERSON_ID, PHONE, PNG, sign_in
from .test_flow import _form, start_application, submitted


def _file_url(app):
    return f"/online/file/{app.uploads.filter(superseded=False).first().pk}/"


def test_file_readable_by_applicant_and_handling_department_only(online_env, client):
    app, _url = submitted(client)
    url = _file_url(app)
    # the applicant
    r = client.get(url)
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r["X-Content-Type-Options"] == "nosniff" and "no-store" in r["Cache-Control"]
    assert b"".join(r.streaming_content).startswith(b"%PDF")
    # anonymous
    assert Client().get(url).status_code == 404
    # another applicant (signed in with their own ID number and phone)
    other = sign_in(Client(), OTHER_ID, OTHER_PHONE)
    assert other.get(url).status_code == 404
    assert other.get(f"/online/a/{app.public_id}/").status_code == 404
    # someone who knows the applicant's ID number but signs in with another phone
    impostor = sign_in(Client(), PERSON_ID, OTHER_PHONE)
    assert impostor.get(url).status_code == 404
    assert impostor.get(f"/online/a/{app.public_id}/").status_code == 404
    # the handling department (卫健局 approver) and the online outlet's back office: yes
    for staff in (
        make_staff("approver", department="XN-WS"),
        make_staff("clerk", outlet="XN-WEB"),
    ):
        c = Client()
        c.force_login(staff.user)
        assert c.get(url).status_code == 200, staff.role
        assert c.get(f"/online/office/{app.pk}/").status_code == 200
    # another department, a clerk of the centre, a district leader: no
    for staff in (
        make_staff("approver", department="XN-CG"),
        make_staff("clerk", outlet="XN-CX"),
        make_staff("leader", region_code="630104"),
    ):
        c = Client()
        c.force_login(staff.user)
        assert c.get(url).status_code == 404, staff.role
        assert c.get(f"/online/office/{app.pk}/").status_code in (403, 404), staff.role


def test_drafts_are_not_visible_to_staff(online_env, client):
    sign_in(client)
    app, url = start_application(client)
    f = SimpleUploadedFile("a.pdf", PDF)
    assert client.post(url, {"action": "upload", "line": 0, "file": f}).status_code == 302
    c = Client()
    c.force_login(make_staff("approver", department="XN-WS").user)
    assert c.get(_file_url(app)).status_code == 404
    assert c.get(f"/online/office/{app.pk}/").status_code == 404


def test_upload_limits_and_sniffing(online_env, client, settings):
    sign_in(client)
    app, url = start_application(client)

    def post(name, data, line=0):
        f = SimpleUploadedFile(name, data, content_type="application/pdf")
        return client.post(url, {"action": "upload", "line": line, "file": f})

    # content decides, not the name or the client's content type
    r = post("evil.pdf", b"<html><script>alert(1)</script></html>")
    assert r.status_code == 400 and "只能上传 PDF、JPG 或 PNG" in r.content.decode()
    r = post("macro.pdf", b"PK\x03\x04" + b"\x00" * 64)  # a zip/docx named .pdf
    assert r.status_code == 400
    r = post("empty.pdf", b"")
    assert r.status_code == 400 and "空的" in r.content.decode()
    # size: one file and the application's total
    settings.YIMEN = {**settings.YIMEN, "ONLINE": {"MAX_BYTES": 1024, "MAX_TOTAL_BYTES": 2500}}
    r = post("big.pdf", PDF + b"0" * 2000)
    assert r.status_code == 400 and "单个文件不能超过" in r.content.decode()
    assert post("ok.png", PNG + b"0" * 900, line=0).status_code == 302
    assert post("ok2.pdf", PDF + b"0" * 900, line=1).status_code == 302
    r = post("third.pdf", PDF + b"0" * 900, line=2)
    assert r.status_code == 400 and "合计不能超过" in r.content.decode()
    # a bad line number is a clear 400
    assert post("x.pdf", PDF, line=99).status_code == 400
    # nothing refused was stored; the stored ones carry the sniffed type, random names
    rows = list(Upload.objects.filter(application=app))
    assert [r.content_type for r in rows] == ["image/png", "application/pdf"]
    root = Path(settings.YIMEN_ONLINE_FILES_ROOT)
    stored = sorted(p.name for p in root.rglob("*") if p.is_file())
    assert len(stored) == 2 and not any("ok" in name for name in stored)
    assert all(storage.path_of(r.stored_name).exists() for r in rows)


def test_storage_refuses_a_root_inside_the_web_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.YIMEN_ONLINE_FILES_ROOT = tmp_path / "media" / "online"
    with pytest.raises(ImproperlyConfigured):
        storage.root()
    settings.YIMEN_ONLINE_FILES_ROOT = tmp_path / "private"
    with pytest.raises(ValueError):
        storage.path_of("../escape.pdf")


def test_sniff_rules():
    assert rules.sniff(PDF) == "application/pdf"
    assert rules.sniff(PNG) == "image/png"
    assert rules.sniff(b"\xff\xd8\xff\xdb") == "image/jpeg"
    assert rules.sniff(b"GIF89a") is None
    check = rules.check_upload(PDF[:16], rules.MAX_BYTES + 1, 0)
    assert not check.ok and "10 MB" in check.message


def test_agent_needs_recorded_consent(online_env, client):
    from yimen.core.fields import protected_lookup_hash
    from yimen.notify.models import OutboxMessage

    sign_in(client, OTHER_ID, OTHER_PHONE)  # the agent applies for 李四 (PERSON_ID)
    app, url = start_application(client)
    client.post(url, _form(agent_name="王五", agent_id_number=OTHER_ID))
    for i in range(len(app.checklist)):
        f = SimpleUploadedFile(f"m{i}.pdf", PDF)
        client.post(url, {"action": "upload", "line": i, "file": f})
    r = client.post(url, {"action": "submit"})
    assert r.status_code == 400 and "委托" in r.content.decode()
    r = client.post(url, {"action": "consent", "method": "letter", "principal_phone": PHONE})
    assert r.status_code == 400 and "授权委托书" in r.content.decode()
    letter = SimpleUploadedFile("letter.pdf", PDF)
    r = client.post(
        url,
        {"action": "consent", "method": "letter", "principal_phone": PHONE, "letter": letter},
    )
    assert r.status_code == 302
    assert client.post(url, {"action": "submit"}).status_code == 302
    app = Application.objects.get(pk=app.pk)
    assert app.status == "precheck" and app.consent.document.name == "授权委托书"
    assert app.case.agent_name == "王五" and app.case.applicant_name == "李四"
    assert OutboxMessage.objects.filter(
        template="online.consent", recipient_hash=protected_lookup_hash(PHONE)
    ).exists()


def test_replaced_files_and_drafts_are_bounded(online_env, client, settings):
    sign_in(client)
    app, url = start_application(client)
    settings.YIMEN = {**settings.YIMEN, "ONLINE": {"MAX_BYTES": 1024, "MAX_TOTAL_BYTES": 1024}}
    body = PDF + b"0" * (700 - len(PDF))
    for _ in range(2):  # live 700 each time; stored 700, 1400 (≤ 2 × 1024)
        f = SimpleUploadedFile("a.pdf", body)
        assert client.post(url, {"action": "upload", "line": 0, "file": f}).status_code == 302
    f = SimpleUploadedFile("a.pdf", body)
    r = client.post(url, {"action": "upload", "line": 0, "file": f})
    assert r.status_code == 400 and "重复上传的次数过多" in r.content.decode()
    for _ in range(rules.MAX_DRAFTS - 1):
        assert client.post("/online/apply/XN-WS-001/", {}).status_code == 302
    r = client.post("/online/apply/XN-WS-001/", {})
    assert r.status_code == 409 and "未提交的草稿" in r.content.decode()


def test_staff_reads_are_audited_and_missing_files_are_a_clear_404(online_env, client):
    from yimen.core.models import AuditEntry

    app, _url = submitted(client)
    row = app.uploads.filter(superseded=False).first()
    staff = make_staff("approver", department="XN-WS")
    c = Client()
    c.force_login(staff.user)
    assert c.get(f"/online/file/{row.pk}/").status_code == 200
    assert AuditEntry.objects.filter(action="online.file_read").count() == 1
    client.get(f"/online/file/{row.pk}/")  # the applicant's own reads are not "reveals"
    assert AuditEntry.objects.filter(action="online.file_read").count() == 1
    storage.path_of(row.stored_name).unlink()
    r = c.get(f"/online/file/{row.pk}/")
    assert r.status_code == 404 and "从备份恢复" in r.content.decode()


def test_bad_line_numbers_are_400(online_env, client):
    sign_in(client)
    app, url = start_application(client)
    for line in ("abc", "-1", "", "99"):
        f = SimpleUploadedFile("a.pdf", PDF)
        r = client.post(url, {"action": "upload", "line": line, "file": f})
        assert r.status_code == 400 and "没有这项材料" in r.content.decode(), line
