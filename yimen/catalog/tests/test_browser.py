"""Real browser (Chromium via Playwright): search the catalog, open an item guide, see its
materials and where to do it."""
import pytest


@pytest.mark.browser
def test_search_and_open_an_item_guide(page, live_server, demo, screenshot, clock):
    clock.freeze(clock.at(2022, 3, 15, 10, 0))  # a Tuesday morning: the centres are open
    page.goto(live_server.url + "/catalog/")
    page.get_by_label("搜索事项").fill("准运证")
    page.get_by_role("button", name="搜索").click()
    page.wait_for_url("**/catalog/?q=*")
    results = page.locator("table.items tbody tr")
    assert results.count() >= 1
    screenshot("catalog-search")
    page.get_by_role("link", name="城市建筑垃圾处置核准（建筑垃圾准运证核发）").click()
    page.wait_for_url("**/catalog/XN-CG-001/")
    materials = page.locator("#materials table tbody tr")
    assert materials.count() == 7
    assert "城市建筑垃圾处置核准申请表" in materials.first.text_content()
    assert page.locator("#materials").get_by_text("可容缺").count() >= 1
    where = page.locator("#where table tbody tr")
    assert where.count() >= 1
    first = where.first.text_content()
    assert "开放中" in first and "综合窗口" in first
    assert "即办件" in page.text_content("main")
    screenshot("catalog-item-guide")
    page.get_by_role("link", name="打印材料清单").click()
    page.wait_for_url("**/catalog/XN-CG-001/print/")
    assert page.locator("table.materials tbody tr").count() == 7
    screenshot("catalog-item-print")


@pytest.mark.browser
def test_filters_and_paging(page, live_server, demo):
    page.goto(live_server.url + "/catalog/")
    page.get_by_label("银行网点可办").check()
    page.get_by_role("button", name="搜索").click()
    page.wait_for_url("**bank=1**")
    assert "共 19 个事项" in page.text_content("#result-count")
