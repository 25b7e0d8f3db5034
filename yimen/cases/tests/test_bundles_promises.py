"""高效办成一件事 in cases (issue #17): bundle intake, situations, 告知承诺 (kept and false),
payments and the cash close."""

from decimal import Decimal

import pytest

from yimen.cases import rules, services
from yimen.cases.models import Case, CreditRecord
from yimen.catalog.bundles import get_bundle
from yimen.catalog.models import ServiceItem
from yimen.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from yimen.staff.authz import can_see, visible_to

from .conftest import approver, clerk_at, person

pytestmark = pytest.mark.django_db

NEWBORN_FORM = {"child_name": "马小宝", "birth_date": "2022-03-01", "guardian_relation": "父亲"}


def _open_newborn(clerk, w, **kw):
    return services.bundles.open_bundle(
        clerk,
        bundle=get_bundle("YJS-XSECS"),
        outlet=w.outlet,
        window=w,
        applicant=person(applicant_name="马大"),
        form=NEWBORN_FORM,
        **kw,
    )


def test_bundle_intake_one_receipt_linked_cases_merged_check_and_accept(demo, clock):
    clock.freeze(clock.at(2022, 3, 15, 10, 0))
    clerk, w = clerk_at("CX-ZY-YB")
    app = _open_newborn(clerk, w)
    assert app.number.startswith("YJS-XN-CX-20220315-")
    cases = services.bundles.cases_of(app)
    assert [c.item.code for c in cases] == ["XN-YB-002", "XN-RS-003", "XN-YB-004"]
    rows = services.bundles.merged_checklist(app)
    assert len(rows) == 4  # the merged list, not 3 + 3 + 1 lines
    marks = {r["key"]: (rules.M_RECEIVED, "paper") for r in rows if r["required"]}
    services.bundles.check_bundle(clerk, app, marks)
    done = services.bundles.accept_bundle(clerk, app)
    assert all(c.status in rules.ACCEPTED_STATES for c in done)
    p = services.bundles.progress(app)
    assert p["total"] == 3 and len(p["cases"]) == 3


def test_bundle_missing_gives_one_time_notices_and_form_is_required(demo, clock):
    clock.freeze(clock.at(2022, 3, 15, 10, 0))
    clerk, w = clerk_at("CX-ZY-YB")
    with pytest.raises(ValidationFailed, match="新生儿姓名"):
        services.bundles.open_bundle(
            clerk,
            bundle=get_bundle("YJS-XSECS"),
            outlet=w.outlet,
            applicant=person(),
            form={},
        )
    app = _open_newborn(clerk, w)
    rows = services.bundles.merged_checklist(app)
    marks = {
        r["key"]: (rules.M_MISSING, "") if "监护人" in r["name"] else (rules.M_RECEIVED, "paper")
        for r in rows
        if r["required"]
    }
    services.bundles.check_bundle(clerk, app, marks)
    with pytest.raises(Conflict):
        services.bundles.accept_bundle(clerk, app)
    notices = services.bundles.notify_bundle_missing(clerk, app)
    assert [n.case.item.code for n in notices] == ["XN-YB-002"]  # RS-003: optional there


def test_bundle_scope_other_outlet_and_approver(demo, clock):
    from yimen.cases.models import BundleApplication
    from yimen.staff.testing import make_staff

    clock.freeze(clock.at(2022, 3, 15, 10, 0))
    clerk, w = clerk_at("CX-ZY-YB")
    app = _open_newborn(clerk, w)
    other = make_staff("clerk", outlet="XN-NSH-01")
    assert not can_see(other, app)
    with pytest.raises(DomainError):
        services.bundles.check_bundle(other, app, {})
    yb = approver("XN-YB")
    assert not visible_to(yb, BundleApplication.objects.all()).exists()
    rs_cases = visible_to(approver("XN-RS"), Case.objects.filter(bundle_link__application=app))
    assert rs_cases.count() == 0  # not accepted yet: approvers see accepted cases only


def test_situational_intake_tailors_the_checklist(demo, clock):
    clock.freeze(clock.at(2022, 3, 15, 10, 0))
    clerk, w = clerk_at("CX-ZY-YB")
    item = ServiceItem.objects.get(code="XN-YB-002")
    case = services.situations.open_tailored_case(
        clerk, item=item, answers={"registered": "yes"}, outlet=w.outlet, applicant=person()
    )
    assert [m.name for m in case.materials.all()] == ["新生儿居民户口簿", "监护人居民身份证"]
    assert case.situation.lines == ["新生儿是否已经落户（上了户口）：已落户"]
    with pytest.raises(ValidationFailed):
        services.situations.open_tailored_case(
            clerk, item=item, answers={"registered": "maybe"}, outlet=w.outlet, applicant=person()
        )


def _salon_case(clock, clerk=None):
    if clerk is None:
        clock.freeze(clock.at(2022, 3, 25, 9, 30))
        clerk, _w = clerk_at("CX-ZH")
    item = ServiceItem.objects.get(code="XN-WS-001")
    case = services.open_case(clerk, item=item, outlet=clerk.outlet, applicant=person())
    return clerk, case


def test_promise_replaces_material_and_false_promise_revokes_and_bars(demo, clock):
    clerk, case = _salon_case(clock)
    report_line = case.materials.get(name="公共场所卫生检测或评价报告")
    other = case.materials.exclude(pk=report_line.pk).first()
    with pytest.raises(ValidationFailed, match="不适用告知承诺"):
        services.promises.sign_promise(clerk, case, other.pk)
    promise = services.promises.sign_promise(clerk, case, report_line.pk)
    assert (
        promise.verify_due.isoformat() == "2022-04-25"
        or promise.verify_due > promise.signed_at.date()
    )
    marks = {
        m.pk: (rules.M_RECEIVED, "paper")
        for m in case.materials.all()
        if m.required and m.pk != report_line.pk
    }
    services.check_materials(clerk, case, marks)
    services.accept(clerk, case)
    case.refresh_from_db()
    assert case.status == rules.ACCEPTED
    # another department's approver can neither see nor verify the task
    other_dept = approver("XN-SJ")
    assert not services.promises.promises_for(other_dept).exists()
    with pytest.raises(DomainError):
        services.promises.verify_promise(other_dept, promise, kept=False, finding="x")
    ws = approver("XN-WS")
    assert list(services.promises.promises_for(ws)) == [promise]
    clock.freeze(clock.at(2022, 4, 6, 10, 0))
    services.promises.verify_promise(ws, promise, kept=False, finding="现场无卫生检测设施")
    case.refresh_from_db()
    assert case.status == rules.TERMINATED and "告知承诺不实" in case.termination_reason
    record = CreditRecord.objects.get(promise=promise)
    # the same person may not promise again until the record is lifted
    clerk2, case2 = _salon_case(clock, clerk)
    line2 = case2.materials.get(name="公共场所卫生检测或评价报告")
    with pytest.raises(Conflict, match="失信记录"):
        services.promises.sign_promise(clerk2, case2, line2.pk)
    services.promises.lift_credit(ws, record, reason="已补交检测报告并整改")
    services.promises.sign_promise(clerk2, case2, line2.pk)
    r = services.promises.report(ws)
    assert r["promises"] == 2 and r["false"] == 1 and r["false_rate"] == 1.0
    assert r["on_time"] == 1


def test_promise_cannot_be_marked_by_hand(demo, clock):
    clerk, case = _salon_case(clock)
    line = case.materials.first()
    with pytest.raises(ValidationFailed):
        services.check_materials(clerk, case, {line.pk: (rules.M_RECEIVED, "promise")})


def test_payment_in_cash_at_bank_branch_and_cash_close(demo, clock):
    clock.freeze(clock.at(2022, 3, 19, 10, 30))
    clerk, w = clerk_at("XN-NSH-01-ZC")
    item = ServiceItem.objects.get(code="XN-YB-002")
    case = services.situations.open_tailored_case(
        clerk,
        item=item,
        answers={"registered": "yes"},
        outlet=w.outlet,
        window=w,
        applicant=person(),
    )
    assert case.outlet.code == "XN-NSH-01"
    with pytest.raises(ValidationFailed, match="缴费方式"):
        services.payments.take_payment(clerk, case, amount="380", method="card", window=w)
    with pytest.raises(ValidationFailed, match="金额"):
        services.payments.take_payment(clerk, case, amount="-1", method="cash", window=w)
    pay = services.payments.take_payment(clerk, case, amount="380", method="现金", window=w)
    assert pay.amount == Decimal("380.00") and pay.method == "cash"
    with pytest.raises(ValidationFailed, match="差异说明"):
        services.payments.close_cash(clerk, w, counted="370")
    close = services.payments.close_cash(clerk, w, counted="380")
    assert close.expected == Decimal("380.00") and close.difference == 0
    with pytest.raises(Conflict):
        services.payments.close_cash(clerk, w, counted="380")


def test_free_item_takes_no_payment(demo, clock):
    clerk, case = _salon_case(clock)
    with pytest.raises(ValidationFailed, match="不收费"):
        services.payments.take_payment(clerk, case, amount="10", method="cash")


def test_simulated_gateway_for_card():
    ref = services.payments.SimulatedGateway().charge(
        amount=Decimal("10"), method="card", reference="x"
    )
    assert ref.startswith("SIM-CARD-")
    with pytest.raises(NotFound.__mro__[1]):
        services.payments.SimulatedGateway().charge(
            amount=Decimal("1000000"), method="card", reference="x"
        )


def test_window_bundle_pages(demo, clock, client):
    from yimen.staff.testing import make_staff

    clock.freeze(clock.at(2022, 3, 16, 10, 0))
    clerk, w = clerk_at("CX-ZY-SJ")
    client.force_login(clerk.user)
    page = client.get("/cases/bundle/", {"bundle": "YJS-KBCY"})
    assert page.status_code == 200 and "店铺名称" in page.content.decode()
    data = {
        "bundle": "YJS-KBCY",
        "applicant_kind": "person",
        "applicant_name": "马老板",
        "applicant_id_number": person()["applicant_id_number"],
        "f_shop_name": "马家面馆",
        "f_shop_address": "城西区某路1号",
        "f_business_scope": "热食类食品制售",
    }
    bad = client.post("/cases/bundle/", {**data, "f_shop_name": ""})
    assert bad.status_code == 400 and "店铺名称" in bad.content.decode()
    done = client.post("/cases/bundle/", data)
    assert done.status_code == 302
    detail = client.get(done["Location"]).content.decode()
    assert "YJS-XN-CX-20220316-001" in detail and "食品经营许可" in detail
    assert 'id="bundle-rate"' in detail
    other = make_staff("clerk", outlet="XN-NSH-01")
    client.force_login(other.user)
    assert client.get(done["Location"]).status_code == 404


def test_window_promise_sign_and_pdf(demo, clock, client):
    clerk, case = _salon_case(clock)
    client.force_login(clerk.user)
    detail = client.get(f"/cases/{case.pk}/").content.decode()
    assert "以告知承诺代替" in detail
    line = case.materials.get(name="公共场所卫生检测或评价报告")
    r = client.post(f"/cases/{case.pk}/promise/{line.pk}/")
    assert r.status_code == 302
    promise = case.promises.get()
    assert "已签告知承诺书" in client.get(f"/cases/{case.pk}/").content.decode()
    pdf = client.get(f"/cases/{case.pk}/promises/{promise.pk}.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf).startswith(b"%PDF")


def test_window_payment_receipt_and_cash_close_pages(demo, clock, client):
    clock.freeze(clock.at(2022, 3, 19, 10, 30))
    clerk, w = clerk_at("XN-NSH-01-ZC")
    item = ServiceItem.objects.get(code="XN-YB-002")
    case = services.open_case(clerk, item=item, outlet=w.outlet, window=w, applicant=person())
    client.force_login(clerk.user)
    assert "收费并出具凭证" in client.get(f"/cases/{case.pk}/").content.decode()
    client.post(f"/cases/{case.pk}/pay/", {"amount": "380", "method": "cash"})
    p = case.payments.get()
    receipt = client.get(f"/cases/{case.pk}/payments/{p.pk}.pdf")
    assert receipt.status_code == 200 and b"".join(receipt).startswith(b"%PDF")
    assert "380.00" in client.get("/cases/cash-close/").content.decode()
    client.post("/cases/cash-close/", {"counted": "380"})
    from yimen.cases.models import CashClose

    assert CashClose.objects.get().difference == 0


def test_approver_promise_page_false_promise(demo, clock, client):
    clerk, case = _salon_case(clock)
    line = case.materials.get(name="公共场所卫生检测或评价报告")
    promise = services.promises.sign_promise(clerk, case, line.pk)
    other = approver("XN-SJ")
    client.force_login(other.user)
    assert promise.number not in client.get("/cases/promises/").content.decode()
    bad = client.post(
        "/cases/promises/", {"promise": promise.pk, "result": "false", "finding": "x"}
    )
    assert bad.status_code == 404
    ws = approver("XN-WS")
    client.force_login(ws.user)
    assert promise.number in client.get("/cases/promises/").content.decode()
    empty = client.post("/cases/promises/", {"promise": promise.pk, "result": "false"})
    assert empty.status_code == 400 and "核查情况" in empty.content.decode()
    client.post("/cases/promises/", {"promise": promise.pk, "result": "false", "finding": "不实"})
    promise.refresh_from_db()
    assert promise.state == "false" and CreditRecord.objects.filter(promise=promise).exists()
    page = client.get("/cases/promises/").content.decode()
    assert "承诺不实 1" in page


def test_s07_window_sees_eligibility_age(demo, clock, client):
    from datetime import date

    from yimen.core.validators import make_resident_id

    clock.freeze(clock.at(2022, 3, 22, 15, 0))
    clerk, w = clerk_at("CX-ZY-SW")
    young = make_resident_id("630104", date(1957, 1, 5), 321, "男")  # 65
    item = ServiceItem.objects.get(code="XN-MZ-002")
    case = services.open_case(
        clerk, item=item, outlet=w.outlet, applicant=person(applicant_id_number=young)
    )
    client.force_login(clerk.user)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "须年满70周岁" in page and "还需5年" in page
