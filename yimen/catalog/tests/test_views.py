"""The public item guide (/catalog/) and the catalog API."""

from yimen.catalog.selectors import search_items
from yimen.outlets.models import Outlet


def test_search_by_name_short_name_keyword_and_code(db, demo):
    assert "XN-CG-001" in [i.code for i in search_items("建筑垃圾准运证")]
    assert "XN-CG-001" in [i.code for i in search_items("渣土车")]  # keyword
    assert [i.code for i in search_items("xn-cg-001")][
        0
    ] == "XN-CG-001"  # code, case-insensitive, first
    assert not search_items("完全不存在的事项名称").exists()
    both = search_items("建筑垃圾 准运")  # every word must match
    assert "XN-CG-001" in [i.code for i in both]


def test_filters_department_comprehensive_bank(db, demo):
    assert search_items(comprehensive=True).count() == 39
    assert search_items(bank=True).count() == 19
    assert {i.department.code for i in search_items(department="XN-CG")} == {"XN-CG"}


def test_list_page_searches_and_filters(db, demo, client):
    response = client.get("/catalog/", {"q": "准运证"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "城市建筑垃圾处置核准" in body and "/catalog/XN-CG-001/" in body
    response = client.get("/catalog/", {"comprehensive": "1", "bank": "1"})
    assert "共 " in response.content.decode()
    assert response.context["total"] == search_items(comprehensive=True, bank=True).count()
    response = client.get("/catalog/", {"q": "不存在的东西"})
    assert "没有找到匹配的事项" in response.content.decode()
    assert client.get("/catalog/", {"page": "999"}).status_code == 200  # out of range → last page


def test_detail_page_shows_materials_limits_and_where(db, demo, client, clock):
    clock.freeze(clock.at(2022, 3, 15, 10, 0))  # a Tuesday morning: centres open
    response = client.get("/catalog/XN-CG-001/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "城市建筑垃圾处置核准申请表" in body
    assert "可容缺" in body and "免提交" in body  # tolerance and data sharing marked
    assert "即办件" in body and "20 个工作日" in body  # promised 0, legal 20
    assert "城西区市民服务中心" in body and "开放中" in body and "综合窗口" in body
    rows = response.context["outlets"]
    assert rows and rows[0]["open_now"]
    assert client.get("/catalog/XN-CG-001/print/").status_code == 200


def test_detail_page_when_closed_shows_next_opening(db, demo, client, clock):
    clock.freeze(clock.at(2022, 4, 4, 9, 0))  # 清明 holiday Monday
    body = client.get("/catalog/XN-CG-001/").content.decode()
    assert "已休息" in body and "下次开放 4月6日" in body


def test_bank_items_list_bank_branches(db, demo, client, clock):
    clock.freeze(clock.at(2022, 3, 15, 10, 0))
    item = search_items(bank=True).first()
    response = client.get(f"/catalog/{item.code}/")
    banks = [r for r in response.context["outlets"] if r["outlet"].kind == "bank"]
    assert banks and all("银行网点" in r["window_kinds"] or r["window_kinds"] for r in banks)


def test_unknown_item_is_a_friendly_404(db, demo, client):
    response = client.get("/catalog/XN-NOPE/")
    assert response.status_code == 404
    assert "找不到事项" in response.content.decode()


def test_api_items_search_and_detail(db, demo, client, clock):
    clock.freeze(clock.at(2022, 3, 15, 10, 0))
    data = client.get("/api/items", {"q": "准运证"}).json()
    assert data["count"] >= 1 and "XN-CG-001" in [i["code"] for i in data["items"]]
    data = client.get("/api/items", {"department": "XN-CG", "limit": 3}).json()
    assert len(data["items"]) == 3 and all(i["department_code"] == "XN-CG" for i in data["items"])
    detail = client.get("/api/items/XN-CG-001").json()
    assert detail["immediate"] is True and detail["legal_limit"] == 20
    assert detail["materials"][0]["name"] == "城市建筑垃圾处置核准申请表"
    assert any(m["tolerance"] for m in detail["materials"])
    cx = next(w for w in detail["where"] if w["outlet"] == "XN-CX")
    assert cx["open_now"] is True and "综合窗口" in cx["window_kinds"]
    missing = client.get("/api/items/XN-NOPE")
    assert missing.status_code == 404 and missing.json() == {
        "code": "not_found",
        "message": "找不到事项：XN-NOPE",
    }
    assert Outlet.objects.filter(code="XN-CX").exists()
