"""电子证照: an intake of 个体工商户设立登记 uses the ID card held by the (simulated) library and the
case records where it came from; the library down or unset never blocks intake; the licence a case
issues is pushed to the library."""

import json

from yimen.cases import rules as case_rules, services as cases
from yimen.cases.tests.conftest import PERSON_ID, clerk_at, person
from yimen.core.audit import AuditEntry
from yimen.exchange.adapters import get_adapter
from yimen.exchange.models import LICENCE, LicenceUse

from .conftest import worker_once

ID_LINE = "经营者居民身份证"


def _intake(clock):
    from yimen.catalog.models import ServiceItem

    clock.freeze(clock.at(2026, 3, 2, 10, 0))
    clerk, w = clerk_at("CX-ZY-SJ")
    item = ServiceItem.objects.get(code="XN-SJ-001")  # 个体工商户设立登记
    case = cases.open_case(clerk, item=item, outlet=w.outlet, window=w, applicant=person())
    return clerk, case


def _line(case):
    return case.materials.get(name=ID_LINE)


def test_intake_uses_a_licence_from_the_library_and_records_where_it_came_from(
    client, db, demo, clock, sim
):
    sim.state.seed_licence(
        licence_no="6301040000001",
        licence_type="居民身份证",
        holder="张三",
        holder_id=PERSON_ID,
        valid_until="2036-06-01",
        issuer="西宁市公安局城西分局",
    )
    clerk, case = _intake(clock)
    assert _line(case).data_sharing  # marked 可数据共享 in the catalog
    client.force_login(clerk.user)
    detail = client.get(f"/cases/{case.pk}/").content.decode()
    assert f"/exchange/cases/{case.pk}/licences/" in detail  # the intake page offers the lookup
    page = client.post(f"/exchange/cases/{case.pk}/licences/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "6301040000001" in text and "已调用电子证照" in text and "模拟器" in text
    line = _line(case)
    assert (line.state, line.received_via) == (case_rules.M_RECEIVED, "data_sharing")
    use = LicenceUse.objects.get(case_id_ref=case.pk)
    assert use.licence_no == "6301040000001" and use.source == f"{sim.base}/licence"
    assert use.simulated and use.holder == "张*" and str(use.valid_until) == "2036-06-01"
    assert AuditEntry.objects.filter(action="case.licence_used", object_id=str(case.pk)).exists()
    # the other materials on paper: accepted; 即办件 → the licence is issued at once and pushed
    cases.check_materials(
        clerk,
        case,
        {m.pk: ("received", "paper") for m in case.materials.exclude(name=ID_LINE)},
    )
    case = cases.accept(clerk, case)
    worker_once()
    (push,) = [r for r in sim.state.requests if r["system"] == LICENCE]
    doc = json.loads(push["body"])
    assert doc["type"] == "licence" and doc["receipt_no"] == case.receipt_number
    assert doc["holder_id"] == PERSON_ID and doc["item_local_code"] == "XN-SJ-001"
    # … and the library now holds it
    held = get_adapter(LICENCE).lookup(PERSON_ID, doc["licence_type"])
    assert [x.licence_no for x in held] == [doc["licence_no"]]


def test_library_down_intake_goes_on_with_paper(client, db, demo, clock, sim):
    sim.state.down = True
    clerk, case = _intake(clock)
    client.force_login(clerk.user)
    page = client.post(f"/exchange/cases/{case.pk}/licences/")
    assert page.status_code == 200 and "暂时无法访问" in page.content.decode()
    assert _line(case).state == case_rules.M_PENDING
    cases.check_materials(clerk, case, {m.pk: ("received", "paper") for m in case.materials.all()})
    assert cases.accept(clerk, case).status != case_rules.DRAFT


def test_library_unreachable_or_unset_never_blocks(client, db, demo, clock, settings):
    settings.YIMEN = {
        **settings.YIMEN,
        "EXCHANGE_LICENCE_URL": "http://127.0.0.1:9/licence",
        "EXCHANGE_LOOKUP_TIMEOUT": 1,
    }
    clerk, case = _intake(clock)
    client.force_login(clerk.user)
    assert "暂时无法访问" in client.post(f"/exchange/cases/{case.pk}/licences/").content.decode()
    settings.YIMEN = {**settings.YIMEN, "EXCHANGE_LICENCE_URL": ""}
    page = client.post(f"/exchange/cases/{case.pk}/licences/")
    assert page.status_code == 200 and "未配置电子证照库" in page.content.decode()
    assert not LicenceUse.objects.exists()


def test_an_expired_or_absent_licence_is_not_counted(client, db, demo, clock, sim):
    sim.state.seed_licence(
        licence_no="OLD-1",
        licence_type="居民身份证",
        holder="张三",
        holder_id=PERSON_ID,
        valid_until="2020-01-01",
    )
    clerk, case = _intake(clock)
    client.force_login(clerk.user)
    text = client.post(f"/exchange/cases/{case.pk}/licences/").content.decode()
    assert "OLD-1" in text and "没有有效证照" in text
    assert _line(case).state == case_rules.M_PENDING and not LicenceUse.objects.exists()


def test_only_staff_of_the_outlet_may_look_up(client, db, demo, clock, sim):
    from yimen.staff.testing import make_staff

    _clerk, case = _intake(clock)
    client.force_login(make_staff("clerk", outlet="XN-CB").user)
    assert client.post(f"/exchange/cases/{case.pk}/licences/").status_code == 403
    assert not sim.state.requests
