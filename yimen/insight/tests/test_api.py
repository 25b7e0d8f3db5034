"""The insight API: simulate, staffing, live hall; errors are JSON 4xx in Chinese."""

import pytest

from yimen.staff.testing import make_staff
from yimen.staff.tokens import issue_token

pytestmark = pytest.mark.django_db

SCENARIO = {
    "seed": 1,
    "duration_minutes": 240,
    "items": {"T": {"department": "D"}},
    "windows": [{"group": "ZH", "kind": "综合窗口", "count": 2}],
    "arrivals": [{"item": "T", "rate_per_hour": 8}],
    "service_minutes": {"default": 10},
}


def bearer(staff):
    token = issue_token(staff=staff)
    return {"HTTP_AUTHORIZATION": f"Bearer {token if isinstance(token, str) else token[1]}"}


def test_simulate_api(client, demo):
    director = make_staff("director", outlet="XN-CX")
    response = client.post(
        "/api/insight/simulate", SCENARIO, content_type="application/json", **bearer(director)
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["served"] > 0 and body["dispatch"] == "yimen.queueing.rules.choose_next"
    bad = client.post(
        "/api/insight/simulate",
        {**SCENARIO, "policy": "x"},
        content_type="application/json",
        **bearer(director),
    )
    assert bad.status_code == 400 and "不支持的策略" in bad.json()["message"]
    huge = client.post(
        "/api/insight/simulate",
        {**SCENARIO, "duration_minutes": 500000, "replications": 50},
        content_type="application/json",
        **bearer(director),
    )
    assert huge.status_code == 400 and "上限" in huge.json()["message"]
    clerk = make_staff("clerk", outlet="XN-CX")
    assert (
        client.post(
            "/api/insight/simulate", SCENARIO, content_type="application/json", **bearer(clerk)
        ).status_code
        == 403
    )
    assert (
        client.post("/api/insight/simulate", SCENARIO, content_type="application/json").status_code
        == 401
    )


def test_staffing_api(client, demo):
    chief = make_staff("chief", outlet="XN-CX")
    profile = {
        "hours": ["09:00-10:00"],
        "groups": [
            {
                "group": "ZH",
                "arrivals_per_hour": 30,
                "service_minutes": {"dist": "exponential", "mean": 8},
                "planned": 3,
            }
        ],
    }
    response = client.post(
        "/api/insight/staffing", profile, content_type="application/json", **bearer(chief)
    )
    assert response.status_code == 200
    rows = response.json()["groups"][0]["rows"]
    assert [r["needed"] for r in rows] == [5, 5] and rows[0]["status"] == "short"


def test_hall_api(client, demo):
    director = make_staff("director", outlet="XN-CX")
    response = client.get("/api/insight/hall/XN-CX", **bearer(director))
    assert response.status_code == 200
    body = response.json()
    assert body["outlet"] == "XN-CX" and any(q["code"] == "CX-ZH" for q in body["queues"])
    assert client.get("/api/insight/hall/XN-NSH-01", **bearer(director)).status_code == 403
    assert client.get("/api/insight/hall/NOPE", **bearer(director)).status_code == 404
