"""网上申报 end to end through the pages (Django test client): sign in by SMS code, draft, form,
uploads, submit → 网上预审; one online 补正; re-upload; 受理 with the window's time limits; the
back office decides; the electronic licence is delivered and downloaded; zero trips."""

import re

from django.core.files.uploadedfile import SimpleUploadedFile

from yimen.cases import rules as case_rules, services as case_services
from yimen.core.fields import protected_lookup_hash
from yimen.notify.models import OutboxMessage
from yimen.online import backoffice
from yimen.online.models import Application, Upload

from .conftest import ITEM, JPG, PDF, PERSON_ID, PHONE, PNG, approver_ws, sign_in


def _form(**extra):
    return {
        "action": "save",
        "applicant_kind": "person",
        "applicant_name": "李四",
        "applicant_id_number": PERSON_ID,
        "applicant_phone": PHONE,
        "address": "西宁市城西区胜利路 1 号",
        "area": "120",
        "business": "理发",
        "delivery_method": "electronic",
        **extra,
    }


def start_application(client):
    r = client.post(f"/online/apply/{ITEM}/", {})
    assert r.status_code == 302
    public_id = r["Location"].rstrip("/").rsplit("/", 1)[-1]
    app = Application.objects.get(public_id=public_id)
    url = f"/online/a/{public_id}/"
    assert client.post(url, _form()).status_code == 302
    return app, url


def upload_all(client, app, url):
    files = [PDF, JPG, PNG]
    for i, _entry in enumerate(app.checklist):
        data = files[i % 3]
        ext = ["pdf", "jpg", "png"][i % 3]
        f = SimpleUploadedFile(f"m{i}.{ext}", data, content_type="application/octet-stream")
        r = client.post(url, {"action": "upload", "line": i, "file": f})
        assert r.status_code == 302, r.content.decode()[:400]


def submitted(client):
    sign_in(client)
    app, url = start_application(client)
    upload_all(client, app, url)
    r = client.post(url, {"action": "submit"})
    assert r.status_code == 302, r.content.decode()[:600]
    app.refresh_from_db()
    return app, url


def test_apply_correct_accept_and_electronic_result_with_zero_trips(online_env, client):
    app, url = submitted(client)
    assert app.status == "precheck" and app.case.status == case_rules.PRECHECK
    assert app.case.channel == "online" and app.case.opened_by is None
    assert app.precheck_due is not None and app.case.receipt_number.startswith("XN-WEB-")
    assert OutboxMessage.objects.filter(
        template="online.submitted", recipient_hash=protected_lookup_hash(PHONE)
    ).exists()

    staff = approver_ws()
    # one 补正 naming exactly what to fix
    backoffice.correct(staff, app, fixes={3: "平面图不清晰，请上传标注比例尺的平面图"})
    app.refresh_from_db()
    assert app.status == "correction"
    sms = OutboxMessage.objects.get(template="online.correction")
    assert "公共场所地址方位示意图" in sms.params["materials"]
    page = client.get(url).content.decode()
    assert "平面图不清晰" in page and "online-resubmit" in page
    # re-submitting without re-uploading the named file is refused; others cannot be re-uploaded
    r = client.post(url, {"action": "resubmit"})
    assert r.status_code == 400 and "请按补正告知重新上传" in r.content.decode()
    f = SimpleUploadedFile("x.pdf", PDF)
    r = client.post(url, {"action": "upload", "line": 0, "file": f})
    assert r.status_code == 400 and "补正期间只需重新上传" in r.content.decode()
    f = SimpleUploadedFile("plan.pdf", PDF + b"% new")
    assert client.post(url, {"action": "upload", "line": 3, "file": f}).status_code == 302
    assert client.post(url, {"action": "resubmit"}).status_code == 302
    app.refresh_from_db()
    assert app.status == "precheck" and app.case.status == case_rules.PRECHECK
    assert Upload.objects.filter(application=app, line=3, superseded=True).count() == 1

    # no second surprise: a second notice may not name a material not named the first time
    from yimen.core.errors import Conflict

    try:
        backoffice.correct(staff, app, fixes={5: "新的要求"})
        raise AssertionError("a second surprise was allowed")
    except Conflict as exc:
        assert exc.code == "second_surprise"

    backoffice.accept(staff, app)
    app.refresh_from_db()
    case = app.case
    assert app.status == "accepted" and case.status == case_rules.ACCEPTED
    assert case.due_date is not None and case.promised_limit == 3  # the window's time limits
    assert all(m.received_via == "electronic" for m in case.materials.all())
    assert OutboxMessage.objects.filter(template="online.accepted").exists()

    # the department decides (承办 → 审核 → 批准 by three people), then electronic delivery
    from yimen.staff.testing import make_staff

    people = [
        staff,
        make_staff("approver", department="XN-WS"),
        make_staff("approver", department="XN-WS"),
    ]
    for person in people[:2]:  # 承办, 审核; the third person's decision is the 批准
        case_services.review_step(person, case, opinion="同意")
        case.refresh_from_db()
    case_services.decide(people[-1], case, decision="approve", reason="符合条件")
    backoffice.deliver_result(staff, app, base_url="http://testserver/")
    case.refresh_from_db()
    assert case.status == case_rules.CLOSED and case.result.delivery_method == "electronic"
    assert case.visits.count() == 0  # 零跑动

    r = client.get(f"{url}result.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    page = client.get(url).content.decode()
    assert 'id="online-visits">0<' in page
    verify = client.get(f"/cases/verify/{case.result.verify_token}/")
    assert verify.status_code == 200 and case.result.licence_number in verify.content.decode()


def test_refuse_with_reasons(online_env, client):
    app, url = submitted(client)
    backoffice.refuse(approver_ws(), app, reason="申请场所不属于本区管辖范围")
    app.refresh_from_db()
    assert app.status == "refused" and app.case.status == case_rules.REJECTED
    assert "不属于本区管辖" in client.get(url).content.decode()
    assert OutboxMessage.objects.filter(template="online.refused").exists()


def test_submit_needs_every_required_upload_and_delivery(online_env, client):
    sign_in(client)
    app, url = start_application(client)
    r = client.post(url, {"action": "submit"})
    assert r.status_code == 400 and "还有必需材料没有上传" in r.content.decode()
    assert re.search("公共场所卫生许可申请表", r.content.decode())
    assert Application.objects.get(pk=app.pk).status == "draft"


def test_post_delivery_and_licence_library_unset(online_env, client):
    import pytest

    from yimen.core.errors import ValidationFailed

    sign_in(client)
    app, url = start_application(client)
    # 营业执照 may come from the licence library: none configured here, a clear answer
    line = next(i for i, e in enumerate(app.checklist) if "营业执照" in e["name"])
    r = client.post(url, {"action": "licence", "line": line})
    assert r.status_code == 409 and "尚未接入电子证照库，请上传文件" in r.content.decode()
    # mail needs an address
    client.post(url, _form(delivery_method="mail"))
    upload_all(client, app, url)
    r = client.post(url, {"action": "submit"})
    assert r.status_code == 400 and "收件地址" in r.content.decode()
    client.post(
        url, _form(delivery_method="mail", delivery_address="西宁市城西区胜利路 1 号 2 单元")
    )
    assert client.post(url, {"action": "submit"}).status_code == 302
    app.refresh_from_db()
    staff = approver_ws()
    backoffice.accept(staff, app)
    case = app.case
    from yimen.staff.testing import make_staff

    people = [staff, make_staff("approver", department="XN-WS")]
    for person in people:
        case_services.review_step(person, case, opinion="同意")
        case.refresh_from_db()
    case_services.decide(
        make_staff("approver", department="XN-WS"), case, decision="approve", reason="符合"
    )
    with pytest.raises(ValidationFailed, match="邮件单号"):
        backoffice.deliver_result(staff, app, tracking_number="")
    backoffice.deliver_result(staff, app, tracking_number="EMS1234567890CN")
    case.refresh_from_db()
    assert case.status == case_rules.CLOSED and case.result.tracking_number == "EMS1234567890CN"
    assert case.visits.count() == 0
    assert "EMS1234567890CN" in client.get(url).content.decode()
    # 我的 shows the online case to the same person (ID + phone known from the case)
    from yimen.portal import mine

    assert any(c.pk == case.pk for c in mine.records(case.applicant_id_hash)["cases"])


def test_office_refuse_needs_reasons(online_env, client):
    from django.test import Client

    app, _url = submitted(client)
    c = Client()
    c.force_login(approver_ws().user)
    r = c.post(f"/online/office/{app.pk}/", {"action": "refuse", "reason": ""})
    assert r.status_code == 400 and "必须写明理由" in r.content.decode()
    r = c.post(f"/online/office/{app.pk}/", {"action": "correct"})
    assert r.status_code == 400 and "至少选择一项" in r.content.decode()
    r = c.post(f"/online/office/{app.pk}/", {"action": "correct", "fix_2": "on", "why_2": ""})
    assert r.status_code == 400 and "具体内容" in r.content.decode()
    r = c.post(f"/online/office/{app.pk}/", {"action": "refuse", "reason": "不属于本区管辖范围"})
    assert r.status_code == 302
    app.refresh_from_db()
    assert app.status == "refused"


def test_pickup_place_from_the_list_and_handover_at_the_window_counts_a_trip(online_env, client):
    from yimen.online.selectors import pickup_places

    sign_in(client)
    app, url = start_application(client)
    r = client.post(url, _form(delivery_method="window", pickup_place="我家门口"))
    assert r.status_code == 400 and "请从列表中选择" in r.content.decode()
    places = pickup_places()
    assert "城西区市民服务中心" in " ".join(places) and any("24小时智能柜" in p for p in places)
    bank = next(p for p in places if "银行" in p or "信用社" in p or "农商" in p)
    assert client.post(url, _form(delivery_method="window", pickup_place=bank)).status_code == 302
    upload_all(client, app, url)
    assert client.post(url, {"action": "submit"}).status_code == 302
    app.refresh_from_db()
    assert app.pickup_place == bank
    staff = approver_ws()
    backoffice.accept(staff, app)
    from yimen.core.errors import Conflict
    from yimen.staff.testing import make_staff

    case = app.case
    for person in (staff, make_staff("approver", department="XN-WS")):
        case_services.review_step(person, case, opinion="同意")
        case.refresh_from_db()
    case_services.decide(
        make_staff("approver", department="XN-WS"), case, decision="approve", reason="符合"
    )
    import pytest

    backoffice.deliver_result(staff, app)
    with pytest.raises(Conflict):  # once issued, a second issue is refused
        case_services.issue_result(staff, case)
    case.refresh_from_db()
    assert case.status == case_rules.RESULT_READY  # the result is issued, waiting at the window
    clerk = make_staff("clerk", outlet="XN-WEB")
    case_services.deliver(clerk, case, method="window", recipient="李四")
    assert case.visits.count() == 1  # the pick-up is a trip
