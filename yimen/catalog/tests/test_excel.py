"""Excel export/import of the catalog: round trip, all-or-nothing validation with row-level
Chinese errors, the command and the admin pages."""

import io
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from yimen.catalog.excel import ITEM_COLUMNS, MATERIAL_COLUMNS
from yimen.catalog.models import Department, Material, ServiceItem
from yimen.catalog.services import CatalogImportRejected, export_catalog_excel, import_catalog_excel
from yimen.core.errors import Forbidden


def _workbook(data: bytes):
    return load_workbook(io.BytesIO(data))


def _save(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _col(columns, header) -> int:
    return [c[0] for c in columns].index(header) + 1


def _row_of(ws, code) -> int:
    for row in range(2, ws.max_row + 1):
        if ws.cell(row, 1).value == code:
            return row
    raise AssertionError(code)


def test_export_has_chinese_headers_and_every_item_and_material(db, demo):
    data = export_catalog_excel(ServiceItem.objects.filter(code__startswith="XN-"))
    wb = _workbook(data)
    assert wb.sheetnames == ["事项", "材料", "填写说明"]
    items, materials = wb["事项"], wb["材料"]
    assert [c.value for c in items[1]] == [c[0] for c in ITEM_COLUMNS]
    assert [c.value for c in materials[1]] == [c[0] for c in MATERIAL_COLUMNS]
    assert items.max_row - 1 == 80
    assert materials.max_row - 1 == Material.objects.filter(item__code__startswith="XN-").count()
    row = _row_of(items, "XN-CG-001")
    assert items.cell(row, _col(ITEM_COLUMNS, "实施部门")).value == "城西区城市管理局"
    assert items.cell(row, _col(ITEM_COLUMNS, "承诺办结时限")).value == 0
    assert items.cell(row, _col(ITEM_COLUMNS, "综合一窗")).value == "是"


def test_round_trip_changes_nothing(db, demo):
    before = {i.code: (i.updated_at, i.name) for i in ServiceItem.objects.all()}
    materials_before = list(
        Material.objects.order_by("id").values_list("id", "name", "kind", "tolerance")
    )
    counts = import_catalog_excel(export_catalog_excel())
    assert counts["total"] == len(before)
    assert (counts["created"], counts["updated"], counts["unchanged"]) == (0, 0, len(before))
    assert {i.code: (i.updated_at, i.name) for i in ServiceItem.objects.all()} == before
    assert (
        list(Material.objects.order_by("id").values_list("id", "name", "kind", "tolerance"))
        == materials_before
    )


def test_import_updates_creates_and_replaces_materials(db, demo):
    wb = _workbook(
        export_catalog_excel(ServiceItem.objects.filter(code__in=["XN-CG-001", "XN-CG-002"]))
    )
    items, materials = wb["事项"], wb["材料"]
    row = _row_of(items, "XN-CG-002")
    items.cell(row, _col(ITEM_COLUMNS, "承诺办结时限")).value = 2
    items.cell(row, _col(ITEM_COLUMNS, "关键词")).value = "户外广告、广告牌、招牌"
    new = [c.value for c in items[row]]
    new[0], new[1] = "XN-CG-900", "新增的测试事项"
    new[_col(ITEM_COLUMNS, "部门编码") - 1] = "XN-TEST"
    new[_col(ITEM_COLUMNS, "实施部门") - 1] = "测试新部门"
    items.append(new)
    materials.append(["XN-CG-900", 1, "申请书", "原件", 2, "是", "否", "否", ""])
    # drop the materials of XN-CG-002 except the first
    for r in range(materials.max_row, 1, -1):
        if materials.cell(r, 1).value == "XN-CG-002" and materials.cell(r, 2).value != 1:
            materials.delete_rows(r)
    counts = import_catalog_excel(_save(wb))
    assert (
        counts["created"],
        counts["updated"],
        counts["unchanged"],
        counts["departments_created"],
    ) == (1, 1, 1, 1)
    item = ServiceItem.objects.get(code="XN-CG-002")
    assert item.promised_limit == 2 and item.keywords == ["户外广告", "广告牌", "招牌"]
    assert item.materials.count() == 1
    created = ServiceItem.objects.get(code="XN-CG-900")
    assert created.department == Department.objects.get(code="XN-TEST", name="测试新部门")
    assert [(m.name, m.copies) for m in created.materials.all()] == [("申请书", 2)]
    from yimen.catalog.selectors import search_items

    assert item in search_items("招牌")  # search text follows the import


def test_every_bad_row_is_reported_and_nothing_is_imported(db, demo):
    wb = _workbook(export_catalog_excel(ServiceItem.objects.filter(code__startswith="XN-CG-")))
    items, materials = wb["事项"], wb["材料"]
    r1 = _row_of(items, "XN-CG-001")
    r2 = _row_of(items, "XN-CG-002")
    good_row = _row_of(items, "XN-CG-003")
    items.cell(good_row, _col(ITEM_COLUMNS, "事项名称")).value = "这一行本身没错，但不能被导入"
    items.cell(r1, _col(ITEM_COLUMNS, "事项类型")).value = "审批"
    items.cell(r1, _col(ITEM_COLUMNS, "法定办结时限")).value = "二十"
    items.cell(r1, _col(ITEM_COLUMNS, "法定时限单位")).value = "周"
    items.cell(r2, _col(ITEM_COLUMNS, "最多跑动次数")).value = 12
    items.cell(r2, _col(ITEM_COLUMNS, "综合一窗")).value = "也许"
    items.cell(r2, _col(ITEM_COLUMNS, "收费金额（元）")).value = "-5"
    items.cell(r2, _col(ITEM_COLUMNS, "受理窗口类型")).value = "综合窗口、快递柜"
    dup = [c.value for c in items[r1]]
    items.append(dup)
    dup_row = items.max_row
    blank_name = [c.value for c in items[r2]]
    blank_name[0], blank_name[1] = "XN-CG-901", ""
    blank_name[_col(ITEM_COLUMNS, "部门编码") - 1] = "XN-NEW"
    blank_name[_col(ITEM_COLUMNS, "实施部门") - 1] = ""
    items.append(blank_name)
    blank_row = items.max_row
    materials.append(["XN-NOPE-1", 1, "申请书", "原件", 1, "是", "否", "否", ""])
    m_unknown = materials.max_row
    materials.append(["XN-CG-001", 99, "照片", "彩印", 0, "否", "是", "否", ""])
    m_bad = materials.max_row
    with pytest.raises(CatalogImportRejected) as info:
        import_catalog_excel(_save(wb))
    errors = {(e.sheet, e.row, e.column) for e in info.value.errors}
    expected = {
        ("事项", r1, "事项类型"),
        ("事项", r1, "法定办结时限"),
        ("事项", r1, "法定时限单位"),
        ("事项", r2, "最多跑动次数"),
        ("事项", r2, "综合一窗"),
        ("事项", r2, "收费金额（元）"),
        ("事项", r2, "受理窗口类型"),
        ("事项", dup_row, "事项编码"),
        ("事项", blank_row, "事项名称"),
        ("事项", blank_row, "实施部门"),
        ("材料", m_unknown, "事项编码"),
        ("材料", m_bad, "形式"),
        ("材料", m_bad, "份数"),
        ("材料", m_bad, "可容缺"),
    }
    assert expected <= errors, expected - errors
    messages = [str(e) for e in info.value.errors]
    assert f"「事项」表第 {r1} 行「事项类型」列：「审批」不是有效的事项类型" in "\n".join(messages)
    assert any("只有必需材料可以容缺" in m for m in messages)
    assert any(f"与第 {r1} 行重复" in m for m in messages)
    assert "未导入任何数据" in str(info.value)
    assert ServiceItem.objects.get(code="XN-CG-003").name != "这一行本身没错，但不能被导入"
    assert not ServiceItem.objects.filter(code="XN-CG-901").exists()


def test_not_an_excel_file_and_missing_columns(db, demo):
    with pytest.raises(CatalogImportRejected) as info:
        import_catalog_excel(b"not a spreadsheet")
    assert "不是有效的 Excel" in str(info.value.errors[0])
    wb = _workbook(export_catalog_excel(ServiceItem.objects.filter(code="XN-CG-001")))
    wb["事项"].delete_cols(_col(ITEM_COLUMNS, "事项类型"))
    del wb["材料"]
    with pytest.raises(CatalogImportRejected) as info:
        import_catalog_excel(_save(wb))
    text = "\n".join(str(e) for e in info.value.errors)
    assert "「事项」表第 1 行「事项类型」列：缺少该列" in text
    assert "缺少工作表「材料」" in text


def test_only_catalog_admins_may_import(db, demo):
    from yimen.staff.testing import make_staff

    clerk = make_staff("clerk")
    with pytest.raises(Forbidden):
        import_catalog_excel(
            export_catalog_excel(ServiceItem.objects.filter(code="XN-CG-001")), actor=clerk
        )
    admin = make_staff("admin")
    counts = import_catalog_excel(
        export_catalog_excel(ServiceItem.objects.filter(code="XN-CG-001")), actor=admin
    )
    assert counts["unchanged"] == 1


def test_catalog_command_export_and_import(db, demo, tmp_path):
    path = tmp_path / "catalog.xlsx"
    out = StringIO()
    call_command("catalog", "export", str(path), "--prefix", "XN-", stdout=out)
    assert "已导出 80 个事项" in out.getvalue()
    out = StringIO()
    call_command("catalog", "import", str(path), stdout=out)
    assert "共 80 项：新建 0，更新 0，未变 80" in out.getvalue()
    wb = load_workbook(path)
    wb["事项"].cell(2, _col(ITEM_COLUMNS, "最多跑动次数")).value = "两次"
    wb.save(path)
    err = StringIO()
    with pytest.raises(CommandError, match="未导入任何数据"):
        call_command("catalog", "import", str(path), stderr=err)
    assert "「事项」表第 2 行「最多跑动次数」列" in err.getvalue()


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser(
        "catalog-admin", "a@example.com", "pw-Catalog-123"
    )
    client.force_login(user)
    return client


def test_admin_export_import_pages(db, demo, admin_client):
    response = admin_client.get("/admin/catalog/serviceitem/?q=准运证")
    assert response.status_code == 200
    assert "导出全部到 Excel" in response.content.decode()
    response = admin_client.get("/admin/catalog/serviceitem/excel/export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    data = response.content
    # the admin action exports the selected items
    ids = list(
        ServiceItem.objects.filter(code__in=["XN-CG-001", "XN-CG-002"]).values_list("pk", flat=True)
    )
    response = admin_client.post(
        "/admin/catalog/serviceitem/", {"action": "export_selected", "_selected_action": ids}
    )
    assert _workbook(response.content)["事项"].max_row == 3
    # import: a good file redirects with a success message
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("catalog.xlsx", data)
    response = admin_client.post(
        "/admin/catalog/serviceitem/excel/import/", {"file": upload}, follow=True
    )
    assert "导入完成" in response.content.decode()
    # a bad file: 400 with the error table
    wb = _workbook(data)
    wb["事项"].cell(2, _col(ITEM_COLUMNS, "事项类型")).value = "审批"
    upload = SimpleUploadedFile("catalog.xlsx", _save(wb))
    response = admin_client.post("/admin/catalog/serviceitem/excel/import/", {"file": upload})
    assert response.status_code == 400
    body = response.content.decode()
    assert "import-errors" in body and "「审批」不是有效的事项类型" in body
    # filters and search of the change list
    for query in (
        "comprehensive__exact=1",
        "bank_outlet__exact=1",
        "immediate=yes",
        "green_channel_eligible__exact=1",
        "item_type__exact=行政许可",
    ):
        assert admin_client.get(f"/admin/catalog/serviceitem/?{query}").status_code == 200
    assert admin_client.get(f"/admin/catalog/serviceitem/{ids[0]}/change/").status_code == 200
    response = admin_client.get(
        "/admin/catalog/serviceitem/", {"q": "渣土"}
    )  # a keyword, not in the name
    assert "XN-CG-001" in response.content.decode()


def test_admin_deactivates_selected_items(db, demo, admin_client):
    from yimen.catalog.selectors import search_items

    ids = list(ServiceItem.objects.filter(code__in=["XN-CG-001"]).values_list("pk", flat=True))
    admin_client.post(
        "/admin/catalog/serviceitem/", {"action": "deactivate_selected", "_selected_action": ids}
    )
    assert not ServiceItem.objects.get(code="XN-CG-001").active
    assert "XN-CG-001" not in [i.code for i in search_items("准运证")]
    assert admin_client.get("/catalog/XN-CG-001/").status_code == 404
    admin_client.post(
        "/admin/catalog/serviceitem/", {"action": "activate_selected", "_selected_action": ids}
    )
    assert ServiceItem.objects.get(code="XN-CG-001").active
