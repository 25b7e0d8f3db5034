"""The what-if page in a real browser: change the windows and the policy, run, see charts."""

import pytest

from yimen.staff.testing import make_staff

from .browser import login


@pytest.mark.browser
def test_director_runs_a_what_if_in_the_browser(page, live_server, demo, screenshot):
    director = make_staff("director", outlet="XN-CX")
    login(page, live_server, director.user)
    page.goto(f"{live_server.url}/insight/whatif/")
    assert page.locator("h1").inner_text().startswith("What-if")
    page.fill("#windows_0", "6")
    page.fill("#arrivals_pct", "150")
    page.fill("#replications", "2")
    page.check("input[name=compare]")
    page.click("#run")
    if page.locator("#whatif-error").count():
        raise AssertionError(page.locator("#whatif-error").inner_text())
    page.wait_for_selector("#whatif-results")
    headers = page.locator("#whatif-results thead th").all_inner_texts()
    assert headers[1:] == ["一窗通办", "分部门专窗"]
    means = [
        float(t.split("（")[0])
        for t in page.locator("#whatif-results .metric-mean").all_inner_texts()
    ]
    assert means[0] < means[1]
    # ECharts drew the three charts (canvas elements inside the chart containers)
    for chart in ("#chart-slots", "#chart-hist", "#chart-queue"):
        page.wait_for_selector(f"{chart} canvas")
    assert page.evaluate("window.yimenCharts.length") == 3
    assert page.input_value("#windows_0") == "6"  # the form keeps what was changed
    screenshot("insight-whatif")

    # impatient visitors: a row says how many gave up
    page.fill("#patience_minutes", "10")
    page.click("#run")
    page.wait_for_selector("#whatif-results .metric-abandoned")
    shares = page.locator("#whatif-results .metric-abandoned").all_inner_texts()
    assert len(shares) == 2 and all(t.endswith("%") for t in shares)
    assert page.input_value("#patience_minutes") == "10"
    screenshot("insight-whatif-abandonment")

    # bad input: a clear Chinese message, no crash
    page.fill("#windows_0", "0")
    page.click("#run")
    assert "至少需要开放 1 个窗口" in page.locator("#whatif-error").inner_text()
