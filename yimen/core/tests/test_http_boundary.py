"""The HTTP boundary (issue 14 §3): bad text, malformed bodies, far-off dates, unknown routes,
405, 413, CSRF and 500 never give a 500 or an English/HTML answer under /api/ — in production
mode (pytest-django's DEBUG=False) and in DEBUG. Run on SQLite and PostgreSQL (NUL bytes are what
PostgreSQL refuses)."""

import json

import pytest
from django.test import Client

from yimen.staff.testing import make_staff
from yimen.staff.tokens import issue_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def anon():
    return Client(raise_request_exception=False)


@pytest.fixture
def auth(demo):
    staff = make_staff("admin", outlet="XN-CX")
    _t, raw = issue_token(staff=staff)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}, staff


def _chinese(text):
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def assert_json_error(response, status, code=None):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) >= {"code", "message"} and _chinese(body["message"]), body
    if code:
        assert body["code"] == code, body
    return body


BAD_TEXT_REQUESTS = [
    ("get", "/api/items", {"q": "a\x00b"}),
    ("get", "/api/items/a%00b", None),
    ("get", "/api/outlets/a%00b", None),
    ("get", "/api/outlets/XN-CX/windows%00", None),
    ("get", "/api/triage", {"q": "办证", "outlet": "XN\x00"}),
    (
        "json",
        "/api/feedback/grievances",
        '{"outlet":"XN-CX","category":"x","description":"a\\u0000","phone":"1"}',
    ),
    (
        "json",
        "/api/feedback/grievances",
        '{"outlet":"XN-CX\\ud800","category":"x","description":"a","phone":"1"}',
    ),
    ("json", "/api/case-progress", '{"receipt_number":"a\\u0000","secret":"1234"}'),
    ("json", "/api/feedback/ratings", '{"token":"\\udfff","score":1}'),
    ("json", "/api/feedback/grievances/status/x%00", "{}"),
]


@pytest.mark.parametrize("kind,url,data", BAD_TEXT_REQUESTS)
def test_nul_and_lone_surrogates_are_refused_with_400_invalid_text(demo, anon, kind, url, data):
    if kind == "get":
        response = anon.get(url, data or {})
    else:
        response = anon.post(url, data, content_type="application/json")
    assert_json_error(response, 400, "invalid_text")


def test_bad_text_in_form_fields_headers_and_pages(demo, anon, auth):
    headers, _staff = auth
    # a header (Idempotency-Key is stored) and a staff-only endpoint
    r = anon.post(
        "/api/outlets/XN-CX/tickets",
        {"item_code": "XN-CG-001"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k\x00",
        **headers,
    )
    assert_json_error(r, 400, "invalid_text")
    # an HTML form field and a page query string / path: a Chinese 400 page
    for response in (
        anon.post("/portal/progress/", {"receipt_number": "a\x00", "secret": "1"}),
        anon.get("/catalog/", {"q": "a\x00"}),
        anon.get("/catalog/a%00/"),
    ):
        assert response.status_code == 400 and response["Content-Type"].startswith("text/html")
        page = response.content.decode()
        assert "请求有误" in page and "invalid_text" in page and 'lang="zh-Hans"' in page


def test_json_key_with_bad_text_is_refused(demo, anon):
    body = json.dumps({"outlet": "XN-CX", "bad\x00key": 1})
    assert_json_error(
        anon.post("/api/feedback/grievances", body, content_type="application/json"),
        400,
        "invalid_text",
    )


def test_malformed_multipart_is_400_not_500(demo, anon, auth):
    headers, _ = auth
    for url in ("/api/feedback/grievances", "/api/tickets/1/start", "/api/case-progress"):
        r = anon.generic(
            "POST", url, b"--x\r\nbroken", content_type="multipart/form-data", **headers
        )
        assert_json_error(r, 400, "invalid_multipart")
    page = anon.generic("POST", "/portal/progress/", b"xx", content_type="multipart/form-data")
    assert page.status_code == 400 and "multipart" in page.content.decode()


@pytest.mark.parametrize(
    "url,params",
    [
        ("/api/outlets/XN-CX/appointment-slots", {"item_code": "XN-CG-001", "day": "9999-12-31"}),
        ("/api/outlets/XN-CX/appointment-slots", {"item_code": "XN-CG-001", "day": "0001-01-01"}),
        ("/api/staff/rota/XN-CX/staffing", {"day": "9999-12-31"}),
        ("/api/feedback/summary", {"end": "9999-12-31"}),
        ("/api/feedback/summary", {"start": "0001-01-01"}),
    ],
)
def test_far_off_dates_are_422_with_the_window_in_chinese(anon, auth, url, params):
    headers, _ = auth
    body = assert_json_error(anon.get(url, params, **headers), 422, "invalid")
    assert "2000-01-01" in body["message"] and "之间" in body["message"]


def test_dates_inside_the_window_still_work(anon, auth):
    from yimen.core import clock

    headers, _ = auth
    today = clock.today().isoformat()
    assert anon.get("/api/staff/rota/XN-CX/staffing", {"day": today}, **headers).status_code == 200
    assert (
        anon.get(
            "/api/feedback/summary", {"start": "2020-01-01", "end": today}, **headers
        ).status_code
        == 200
    )


def test_far_off_dates_in_forms_and_page_queries_are_400(anon, auth):
    _headers, staff = auth
    r = anon.get("/outlets/XN-CX/", {"week": "9999-12-27"})
    assert r.status_code == 400 and "之间" in r.content.decode()
    anon.force_login(staff.user)
    r = anon.get("/insight/reports/", {"date": "0001-01-01"})
    assert r.status_code in (400, 404) and r.status_code != 500


def test_validation_errors_speak_chinese_and_do_not_echo_input(demo, anon):
    r = anon.post(
        "/api/case-progress",
        '{"receipt_number": 5, "secret": "110101199001011234"}',
        content_type="application/json",
    )
    body = assert_json_error(r, 422, "invalid")
    assert "Field required" not in body["message"] and "应为字符串" in body["message"]
    assert "110101199001011234" not in r.content.decode()  # no "input" echoed back
    assert_json_error(
        anon.post("/api/case-progress", "{", content_type="application/json"), 400, "invalid_json"
    )


@pytest.mark.parametrize("debug", [False, True])
def test_api_errors_are_json_in_production_and_debug(demo, anon, settings, debug):
    settings.DEBUG = debug
    assert_json_error(anon.get("/api/no-such-route"), 404, "not_found")
    assert_json_error(anon.get("/api/"), 404, "not_found")
    r = anon.delete("/api/items")
    assert_json_error(r, 405, "method_not_allowed")
    assert "GET" in r["Allow"]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    big = json.dumps({"receipt_number": "x" * 500, "secret": "1234"})
    assert_json_error(
        anon.post("/api/case-progress", big, content_type="application/json"), 413, "too_large"
    )


def test_web_errors_are_chinese_pages(demo, anon):
    r = anon.get("/no-such-page/")
    assert r.status_code == 404 and "页面不存在" in r.content.decode()


def test_csrf_failure_is_json_403_for_the_api_and_a_chinese_page_for_the_web(auth):
    _headers, staff = auth
    strict = Client(enforce_csrf_checks=True, raise_request_exception=False)
    strict.force_login(staff.user)
    assert_json_error(
        strict.post("/api/staff/window/resume", "{}", content_type="application/json"),
        403,
        "csrf_failed",
    )
    page = strict.post("/staff/logout/")
    assert (
        page.status_code == 403
        and "CSRF" in page.content.decode()
        and "无权访问" in page.content.decode()
    )


@pytest.mark.parametrize("debug", [False, True])
def test_a_bug_is_a_json_500_under_api_and_a_chinese_page_elsewhere(
    demo, anon, settings, monkeypatch, debug
):
    from yimen.catalog import selectors as catalog_selectors
    from yimen.core import views as core_views

    settings.DEBUG = debug

    def boom(*a, **k):
        raise RuntimeError("bug")

    monkeypatch.setattr(catalog_selectors, "search_items", boom)
    assert_json_error(anon.get("/api/items"), 500, "server_error")
    monkeypatch.setattr(core_views, "work_calendar", boom)
    if not debug:  # in DEBUG, pages keep Django's technical 500 for the developer
        page = anon.get("/")
        assert page.status_code == 500 and "系统出错了" in page.content.decode()


def test_openapi_schema_names_are_unique_and_errors_declared():
    from yimen.api import api

    schema = api.get_openapi_schema()
    names = set(schema["components"]["schemas"])
    assert {
        "ItemMaterialOut",
        "CaseMaterialOut",
        "TriageMaterialOut",
        "TriageOutletOut",
        "OutletOut",
        "WindowPauseIn",
        "ClockPauseIn",
        "Error",
    } <= names
    assert not {"MaterialOut", "PauseIn", "ErrorOut"} & names
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            codes = {str(c) for c in op["responses"]}
            assert {"400", "422"} <= codes, (method, path, codes)
            ref = {str(c): r for c, r in op["responses"].items()}["422"]["content"][
                "application/json"
            ]["schema"]["$ref"]
            assert ref.endswith("/Error"), (method, path)
