"""网上申报 and the 电子证照 library (yimen/exchange, its local SIMULATOR): an applicant whose ID
card is in the library uses it instead of an upload (the page and the back office show
已调用电子证照, acceptance counts it as 数据共享调取 and records exchange.LicenceUse with its source);
the library down or unset leaves the upload required, with a Chinese note; an online result
reaches the library exactly once."""

import json

from django.core.files.uploadedfile import SimpleUploadedFile

from yimen.cases import rules as case_rules, services as case_services
from yimen.core.audit import AuditEntry
from yimen.exchange.models import LICENCE, Document, LicenceUse
from yimen.exchange.tests.conftest import sim, worker_once  # noqa: F401  (fixture)
from yimen.online import backoffice
from yimen.online.models import Application, Upload
from yimen.staff.testing import make_staff

from .conftest import OTHER_ID, OTHER_PHONE, PDF, PERSON_ID, approver_ws, sign_in
from .test_flow import _form, start_application, upload_all

SJ = "XN-SJ-001"  # 个体工商户设立登记: 经营者居民身份证 is 可数据共享 in the catalog
ID_LINE = "经营者居民身份证"


def _seed(sim, holder_id=PERSON_ID, valid_until="2036-06-01", status="valid"):
    sim.state.seed_licence(
        licence_no="6301040000009",
        licence_type="居民身份证",
        holder="李四",
        holder_id=holder_id,
        valid_until=valid_until,
        issuer="西宁市公安局城西分局",
        status=status,
    )


def _start_sj(client):
    r = client.post(f"/online/apply/{SJ}/", {})
    assert r.status_code == 302, r.content.decode()[:400]
    app = Application.objects.get(public_id=r["Location"].rstrip("/").rsplit("/", 1)[-1])
    url = f"/online/a/{app.public_id}/"
    assert client.post(url, _form()).status_code == 302
    line = next(i for i, e in enumerate(app.checklist) if e["name"] == ID_LINE)
    return app, url, line


def _upload_others(client, app, url, skip):
    for i, _entry in enumerate(app.checklist):
        if i != skip:
            f = SimpleUploadedFile(f"m{i}.pdf", PDF)
            assert client.post(url, {"action": "upload", "line": i, "file": f}).status_code == 302


def _sj_back_office():
    return make_staff("approver", department=Application.objects.get().item.department)


def test_online_application_uses_the_id_card_from_the_library_instead_of_an_upload(
    online_env, client, sim
):
    _seed(sim)
    sign_in(client)
    app, url, line = _start_sj(client)
    page = client.get(url).content.decode()
    assert "使用电子证照" in page and 'id="licence-hint"' in page
    r = client.post(url, {"action": "licence", "line": line})
    assert r.status_code == 302, r.content.decode()[:400]
    # the library was asked by the real ID number (not a hash), signed, on the licence system
    assert sim.state.queries == [{"holder_id": PERSON_ID, "licence_type": "居民身份证"}]
    page = client.get(url).content.decode()
    assert "已调用电子证照" in page and "6301040000009" in page and "模拟器" in page
    row = Upload.objects.get(application=app, line=line, superseded=False)
    assert row.source == "licence" and not row.stored_name  # no file
    assert row.licence["source"] == f"{sim.base}/licence" and row.licence["simulated"]
    assert PERSON_ID not in json.dumps(row.licence)  # only the masked holder id is kept
    assert AuditEntry.objects.filter(action="online.licence_used", object_id=str(app.pk)).exists()

    # only the other materials are uploaded: submit passes
    _upload_others(client, app, url, skip=line)
    r = client.post(url, {"action": "submit"})
    assert r.status_code == 302, r.content.decode()[:600]
    app.refresh_from_db()
    case = app.case
    assert case.materials.get(name=ID_LINE).data_sharing

    # the back office sees it in the checklist beside the uploads
    staff = _sj_back_office()
    client.force_login(staff.user)
    office = client.get(f"/online/office/{app.pk}/").content.decode()
    assert "已调用电子证照" in office and "6301040000009" in office and "模拟器" in office
    assert "查看" in office  # the uploads beside it

    # accepted: the line is received via 数据共享调取, the case records where it came from
    backoffice.accept(staff, app)
    case.refresh_from_db()
    assert case.status == case_rules.ACCEPTED
    id_line = case.materials.get(name=ID_LINE)
    assert (id_line.state, id_line.received_via) == (case_rules.M_RECEIVED, "data_sharing")
    assert all(m.received_via == "electronic" for m in case.materials.exclude(name=ID_LINE))
    use = LicenceUse.objects.get(case_id_ref=case.pk)
    assert use.case_material_id == id_line.pk and use.licence_no == "6301040000009"
    assert use.source == f"{sim.base}/licence" and use.simulated and use.holder == "李*"
    assert str(use.valid_until) == "2036-06-01" and use.used_by.startswith("网上申报")
    assert AuditEntry.objects.filter(action="case.licence_used", object_id=str(case.pk)).exists()


def test_library_down_or_nothing_valid_means_upload_with_a_chinese_note(online_env, client, sim):
    sign_in(client)
    app, url, line = _start_sj(client)
    sim.state.down = True
    r = client.post(url, {"action": "licence", "line": line})
    assert r.status_code == 409 and "电子证照库暂时无法访问，请上传文件" in r.content.decode()
    assert not Upload.objects.filter(application=app).exists()
    _upload_others(client, app, url, skip=line)
    r = client.post(url, {"action": "submit"})
    assert r.status_code == 400 and ID_LINE in r.content.decode()  # the upload is required
    # back up, but the library holds only an expired card: same rule as at the window
    sim.state.down = False
    _seed(sim, valid_until="2020-01-01")
    r = client.post(url, {"action": "licence", "line": line})
    assert r.status_code == 409 and "没有有效的居民身份证" in r.content.decode()
    # a line that is not 可数据共享 cannot be replaced by a licence
    r = client.post(url, {"action": "licence", "line": 0})
    assert r.status_code == 400 and "不能用电子证照代替" in r.content.decode()
    f = SimpleUploadedFile("id.pdf", PDF)
    assert client.post(url, {"action": "upload", "line": line, "file": f}).status_code == 302
    assert client.post(url, {"action": "submit"}).status_code == 302


def test_library_unset_no_button_and_a_clear_note(online_env, client, settings):
    settings.YIMEN = {**settings.YIMEN, "EXCHANGE_LICENCE_URL": ""}
    sign_in(client)
    app, url, line = _start_sj(client)
    assert "使用电子证照" not in client.get(url).content.decode()
    r = client.post(url, {"action": "licence", "line": line})
    assert r.status_code == 409 and "尚未接入电子证照库，请上传文件" in r.content.decode()


def test_someone_elses_licence_needs_the_consent_first(online_env, client, sim):
    _seed(sim, holder_id=OTHER_ID)
    sign_in(client)  # PERSON_ID applies for OTHER_ID
    app, url, line = _start_sj(client)
    client.post(url, _form(applicant_id_number=OTHER_ID, applicant_phone=OTHER_PHONE))
    r = client.post(url, {"action": "licence", "line": line})
    assert r.status_code == 403 and "授权委托书" in r.content.decode()
    assert sim.state.queries == []  # the library was not even asked


def test_an_online_result_is_pushed_to_the_library_exactly_once(online_env, client, sim):
    sign_in(client)
    app, url = start_application(client)
    upload_all(client, app, url)
    assert client.post(url, {"action": "submit"}).status_code == 302
    app.refresh_from_db()
    staff = approver_ws()
    backoffice.accept(staff, app)
    case = app.case
    people = [staff, make_staff("approver", department="XN-WS")]
    for person in people:
        case_services.review_step(person, case, opinion="同意")
        case.refresh_from_db()
    case_services.decide(
        make_staff("approver", department="XN-WS"), case, decision="approve", reason="符合"
    )
    backoffice.deliver_result(staff, app, base_url="http://testserver/")
    case.refresh_from_db()
    assert case.status == case_rules.CLOSED and case.result.delivery_method == "electronic"
    worker_once()
    worker_once("w2")  # a second worker run finds nothing more to push
    pushes = [r for r in sim.state.requests if r["system"] == LICENCE]
    assert len(pushes) == 1
    doc = json.loads(pushes[0]["body"])
    assert doc["licence_no"] == case.result.licence_number
    assert doc["receipt_no"] == case.receipt_number and doc["holder_id"] == PERSON_ID
    assert Document.objects.filter(system=LICENCE, kind="licence").count() == 1
    assert sim.state.deliveries(LICENCE)[f"YIMEN-ZZ-{case.result.licence_number}"] == 1
    # the applicant still downloads the PDF
    assert client.get(f"{url}result.pdf").status_code == 200
