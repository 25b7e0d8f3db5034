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
    # filters: items that bank branches handle
    page.goto(live_server.url + "/catalog/")
    page.get_by_label("银行网点可办").check()
    page.get_by_role("button", name="搜索").click()
    page.wait_for_url("**bank=1**")
    assert "共 19 个事项" in page.text_content("#result-count")


@pytest.mark.browser
def test_admin_excel_import_page(page, live_server, demo, screenshot, django_user_model, tmp_path):
    """An administrator uploads a workbook with a mistake, sees the row-level errors, fixes it."""
    import io

    from django.conf import settings
    from django.test import Client
    from openpyxl import load_workbook

    from yimen.catalog.models import ServiceItem
    from yimen.catalog.services import export_catalog_excel

    user = django_user_model.objects.create_superuser(
        "excel-admin", "e@example.com", "pw-Excel-12345"
    )
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    wb = load_workbook(
        io.BytesIO(export_catalog_excel(ServiceItem.objects.filter(code__startswith="XN-CG-")))
    )
    wb["事项"].cell(3, 7).value = "审批"  # 事项类型
    bad, good = tmp_path / "bad.xlsx", tmp_path / "good.xlsx"
    wb.save(bad)
    wb["事项"].cell(3, 7).value = "行政许可"
    wb["事项"].cell(3, 10).value = 2  # 承诺办结时限
    wb.save(good)
    page.goto(live_server.url + "/admin/catalog/serviceitem/")
    page.get_by_role("link", name="从 Excel 导入").click()
    page.wait_for_url("**/excel/import/")
    page.set_input_files("#id_file", str(bad))
    page.get_by_role("button", name="检查并导入").click()
    errors = page.locator("#import-errors tbody tr")
    assert errors.count() == 1
    assert "「审批」不是有效的事项类型" in errors.first.text_content()
    assert "3" in errors.first.locator("td").nth(1).text_content()
    screenshot("catalog-admin-import-errors")
    page.set_input_files("#id_file", str(good))
    page.get_by_role("button", name="检查并导入").click()
    page.wait_for_url("**/admin/catalog/serviceitem/")
    assert "导入完成" in page.text_content("body")
    code = wb["事项"].cell(3, 1).value
    assert ServiceItem.objects.get(code=code).promised_limit == 2
