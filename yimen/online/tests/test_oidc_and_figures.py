"""统一身份认证 by OpenID Connect against the local IdP simulator (a real HTTP server speaking the
protocol); 预审 deadlines 正常/预警/逾期; 网办率, 全程网办率 and 零跑动 in the reports and Excel."""

import io
from urllib.parse import urlparse

import pytest
import requests
from django.test import Client

from yimen.core import clock as project_clock
from yimen.core.jobs import JobRun
from yimen.online import backoffice, rules
from yimen.online.idp_sim import IdpSimulator
from yimen.online.models import Application

from .conftest import PERSON_ID, PHONE, sign_in
from .test_flow import submitted


@pytest.fixture
def idp(settings):
    sim = IdpSimulator(person={"id_number": PERSON_ID, "phone": PHONE, "name": "李四"}).start()
    settings.YIMEN = {**settings.YIMEN, "ONLINE_OIDC": sim.settings()}
    yield sim
    sim.stop()


def _oidc_round(client, sim):
    r = client.get("/online/oidc/start/?next=/online/")
    assert r.status_code == 302 and r["Location"].startswith(sim.issuer + "/authorize")
    back = requests.get(r["Location"], allow_redirects=False, timeout=5)
    assert back.status_code == 302
    target = urlparse(back.headers["Location"])
    return client.get(f"{target.path}?{target.query}")


def test_oidc_sign_in_sees_the_same_applications_as_sms(online_env, client, idp):
    app, _url = submitted(client)  # made after an SMS sign-in with the same ID + phone
    fresh = Client()
    r = _oidc_round(fresh, idp)
    assert r.status_code == 302 and r["Location"] == "/online/"
    page = fresh.get("/online/").content.decode()
    assert app.public_id in page and "统一身份认证" in page


def test_oidc_refuses_bad_state_and_denial(online_env, idp):
    c = Client()
    r = c.get("/online/oidc/start/")
    back = requests.get(r["Location"], allow_redirects=False, timeout=5)
    target = urlparse(back.headers["Location"])
    forged = target.query.replace("state=", "state=x")
    assert c.get(f"{target.path}?{forged}").status_code == 403
    assert c.get("/online/").content.decode().count("我的申报") == 0
    idp.deny = True
    r = _oidc_round(Client(), idp)
    assert r.status_code == 403 and "统一身份认证未通过" in r.content.decode()


def test_oidc_rejects_a_token_from_another_issuer(online_env, idp, settings):
    other = IdpSimulator(person={"id_number": PERSON_ID, "phone": PHONE}).start()
    try:
        # the relying party trusts `idp`'s keys, but the token endpoint is the other simulator's
        settings.YIMEN = {
            **settings.YIMEN,
            "ONLINE_OIDC": {**idp.settings(), "token_url": other.settings()["token_url"]},
        }
        other.client_secret = idp.client_secret
        c = Client()
        r = c.get("/online/oidc/start/")
        back = requests.get(
            r["Location"].replace(idp.issuer, other.issuer), allow_redirects=False, timeout=5
        )
        target = urlparse(back.headers["Location"])
        r = c.get(f"{target.path}?{target.query}")
        assert r.status_code == 403 and "统一身份认证失败" in r.content.decode()
    finally:
        other.stop()


def test_precheck_deadline_warning_and_overdue(online_env, client, clock):
    app, _url = submitted(client)  # Tue 2022-03-15, due in 1 working day: Wed 03-16
    assert str(app.precheck_due) == "2022-03-16"
    clock.freeze(project_clock.at(2022, 3, 16, 9, 0))
    backoffice.precheck_chore(JobRun("t"))
    assert Application.objects.get(pk=app.pk).precheck_status == rules.WARNING
    clock.freeze(project_clock.at(2022, 3, 17, 9, 0))
    out = backoffice.precheck_chore(JobRun("t"))
    assert Application.objects.get(pk=app.pk).precheck_status == rules.OVERDUE
    assert out["failed"] == 0 and out["changed"]
    from yimen.staff.testing import make_staff

    c = Client()
    c.force_login(make_staff("approver", department="XN-WS").user)
    page = c.get("/online/office/").content.decode()
    assert "逾期 1" in page and app.case.receipt_number in page


def test_online_figures_rules():
    F = rules.CaseFacts
    facts = [
        F("a", online=True, visits=0, closed=True),
        F("a", online=True, visits=1, closed=True),  # online but picked up at a window
        F("a", online=False, visits=1, closed=True),
        F("b", online=False, visits=0, closed=True),  # closed with no trip recorded
        F("b", online=False, visits=1, closed=False),
    ]
    total = rules.online_figures(facts)
    assert total["online_rate"] == 0.4
    assert total["fully_online_rate"] == 0.25 and total["zero_trip_rate"] == 0.5
    by = rules.figures_by_group(facts)
    assert by["a"]["online_rate"] == round(2 / 3, 4) and by["b"]["online"] == 0


def test_report_and_excel_carry_the_online_rates(online_env, client):
    from openpyxl import load_workbook

    from yimen.insight import reports
    from yimen.staff.testing import make_staff

    submitted(client)
    admin = make_staff("admin")
    data = reports.report(admin, {"period": "day", "date": "2022-03-15", "by": "outlet"})
    web = next(r for r in data["rows"] if r["name"] == "西宁市城西区网上办事大厅")
    assert web["online_rate"] == 1.0 and web["cases"] == 1
    assert data["total"]["online_rate"] == 1.0
    by_item = reports.report(admin, {"period": "day", "date": "2022-03-15", "by": "item"})
    assert any(r["online_rate"] == 1.0 for r in by_item["rows"])
    by_dept = reports.report(admin, {"period": "day", "date": "2022-03-15", "by": "department"})
    assert any(r["online_rate"] == 1.0 for r in by_dept["rows"])
    ws = load_workbook(io.BytesIO(reports.to_excel(data)))["汇总"]
    header = [c.value for c in ws[6]]
    assert header[-3:] == ["网办率", "全程网办率", "零跑动占比"]
    values = {row[0].value: row[-3].value for row in ws.iter_rows(min_row=7)}
    assert values["西宁市城西区网上办事大厅"] == 1.0
    c = Client()
    c.force_login(admin.user)
    page = c.get("/insight/reports/?period=day&date=2022-03-15&by=outlet").content.decode()
    assert "网办率" in page and "西宁市城西区网上办事大厅" in page


def test_sms_sign_in_reuses_the_portal_code_limits(online_env, client):
    sign_in(client)
    r = Client().post("/online/", {"action": "send", "id_number": PERSON_ID, "phone": PHONE})
    assert r.status_code == 429 and "1 分钟后再试" in r.content.decode()
