"""The what-if page: access, form handling, results and charts (HTTP and a real browser)."""

import pytest

from yimen.staff.testing import make_staff


@pytest.fixture
def director(demo):
    return make_staff("director", outlet="XN-CX")


def test_whatif_requires_login_and_a_manager_role(client, demo):
    response = client.get("/insight/whatif/")
    assert response.status_code == 302 and "/staff/login/" in response["Location"]
    clerk = make_staff("clerk", outlet="XN-CX")
    client.force_login(clerk.user)
    response = client.get("/insight/whatif/?run=1")
    assert response.status_code == 403
    assert "无权" in response.content.decode()


def test_whatif_runs_the_twin_and_compares_policies(client, director):
    client.force_login(director.user)
    page = client.get("/insight/whatif/")
    assert page.status_code == 200 and "运行仿真" in page.content.decode()
    response = client.get(
        "/insight/whatif/",
        {
            "base": "xn-cx-2f-one-window",
            "policy": "one-window",
            "windows_0": 5,
            "arrivals_pct": 150,
            "service_pct": 100,
            "replications": 2,
            "seed": 3,
            "compare": "1",
            "run": "1",
        },
    )
    assert response.status_code == 200
    results = response.context["results"]
    assert [r["policy"] for r in results] == ["one-window", "dedicated"]
    assert results[0]["arrivals"] == results[1]["arrivals"]
    assert results[0]["mean_wait_minutes"] < results[1]["mean_wait_minutes"]
    assert "whatif-charts" in response.content.decode()


def test_whatif_more_windows_shorter_waits(client, director):
    client.force_login(director.user)
    params = {"base": "xn-cx-2f-one-window", "arrivals_pct": 200, "replications": 2, "run": "1"}
    few = client.get("/insight/whatif/", {**params, "windows_0": 4}).context["results"][0]
    many = client.get("/insight/whatif/", {**params, "windows_0": 7}).context["results"][0]
    assert many["mean_wait_minutes"] < few["mean_wait_minutes"]
    assert many["utilisation"] < few["utilisation"]


def test_whatif_impatient_visitors_leave_and_fewer_are_served(client, director):
    client.force_login(director.user)
    params = {
        "base": "xn-cx-2f-one-window",
        "arrivals_pct": 200,
        "windows_0": 4,
        "replications": 2,
        "run": "1",
    }
    patient = client.get("/insight/whatif/", params)
    assert (
        "abandonment" not in patient.context["results"][0]
        and "等不及离开" not in patient.content.decode()
    )
    impatient = client.get("/insight/whatif/", {**params, "patience_minutes": 10})
    result = impatient.context["results"][0]
    assert result["abandonment"]["abandoned"] > 0 and 0 < result["abandonment"]["rate"] < 1
    assert result["served"] < patient.context["results"][0]["served"]
    assert result["mean_wait_minutes"] < patient.context["results"][0]["mean_wait_minutes"]
    assert "等不及离开" in impatient.content.decode()


@pytest.mark.parametrize(
    "params, message",
    [
        ({"patience_minutes": "-5"}, "平均耐心时长"),
        ({"windows_0": "abc"}, "应为整数"),
        ({"windows_0": "0"}, "至少需要开放 1 个窗口"),
        ({"arrivals_pct": "5000"}, "之间"),
        (
            {"base": "xn-cx-week", "arrivals_pct": "400", "replications": "10", "compare": "1"},
            "超过页面上限",
        ),
        ({"policy": "hack"}, "不支持的策略"),
    ],
)
def test_whatif_bad_input_is_a_clear_400(client, director, params, message):
    client.force_login(director.user)
    response = client.get("/insight/whatif/", {"base": "xn-cx-2f-one-window", "run": "1", **params})
    assert response.status_code == 400, response.content.decode()[:500]
    assert message in response.content.decode()


def test_whatif_compare_explains_an_impossible_alternative(client, director):
    """4 windows cannot be split among 5 departments: the one-window result is shown with a note."""
    client.force_login(director.user)
    response = client.get(
        "/insight/whatif/",
        {
            "base": "xn-cx-2f-one-window",
            "windows_0": 4,
            "replications": 1,
            "compare": "1",
            "run": "1",
        },
    )
    assert response.status_code == 200
    assert len(response.context["results"]) == 1
    assert (
        "对照方案无法仿真" in response.content.decode()
        and "每个部门至少 1 个窗口" in response.content.decode()
    )
