import pytest


@pytest.mark.browser
def test_home_page_in_a_real_browser(page, live_server, demo, screenshot):
    page.goto(live_server.url + "/")
    assert "只进一扇门" in page.text_content("main")
    page.get_by_role("link", name="办事指南").first.click()
    page.wait_for_url("**/catalog/**")
    page.goto(live_server.url + "/")
    screenshot("home")
