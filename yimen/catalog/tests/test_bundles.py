"""一件事 bundles, situational guides and complete guides in the catalog (issue #17)."""

import pytest

from yimen.catalog import bundle_rules, bundles
from yimen.catalog.bundle_services import upsert_bundle
from yimen.catalog.models import Bundle, ServiceItem
from yimen.core.errors import ValidationFailed


def test_api_bundles_contract_and_70_percent_rule(db, demo, client):
    response = client.get("/api/bundles")
    assert response.status_code == 200
    data = response.json()
    assert len(data) >= 3
    for b in data:
        assert {"code", "name", "items", "materials"} <= set(b)
        assert all("name" in m for m in b["materials"])
        own = 0
        for code in b["items"]:
            detail = client.get(f"/api/items/{code}").json()
            own += len(detail["materials"])  # each item keeps its own list
        assert len(b["materials"]) <= 0.7 * own, b["name"]
    names = {b["name"] for b in data}
    assert {"新生儿出生一件事", "开办餐饮店一件事", "退役军人服务一件事"} <= names


def test_bundle_detail_and_unknown(db, demo, client):
    b = client.get("/api/bundles/YJS-XSECS").json()
    assert b["items"] == ["XN-YB-002", "XN-RS-003", "XN-YB-004"]
    assert b["form_fields"][0]["key"] == "child_name"
    missing = client.get("/api/bundles/NOPE")
    assert missing.status_code == 404 and "找不到一件事" in missing.json()["message"]


def test_bundle_must_cover_every_material_and_pass_the_rule(db, demo):
    raw = {
        "code": "YJS-BAD",
        "name": "不合规一件事",
        "items": ["XN-RS-005", "XN-RS-009"],
        "materials": [{"name": "身份证", "covers": ["XN-RS-005: 申请人居民身份证"]}],
    }
    with pytest.raises(ValidationFailed, match="未覆盖"):
        upsert_bundle(raw)
    raw["materials"][0]["covers"].append("XN-RS-009: 申请人居民身份证")
    upsert_bundle(raw)  # 1 of 2: passes
    raw["materials"].append({"name": "多余", "covers": []})
    with pytest.raises(ValidationFailed, match="70%"):
        upsert_bundle(raw)


@pytest.mark.parametrize(
    "words, code",
    [
        ("孩子刚出生要办哪些事", "YJS-XSECS"),
        ("娃娃刚生了，要办什么", "YJS-XSECS"),
        ("我想开个饭馆", "YJS-KBCY"),
        ("刚退伍回来要办哪些手续", "YJS-TYJR"),
    ],
)
def test_find_bundles_from_plain_words(db, demo, words, code):
    assert bundles.find_bundles(words)[0]["code"] == code


def test_no_bundle_for_a_single_matter(db, demo):
    assert bundles.find_bundles("社保卡丢了") == []


def test_situations_tailor_the_list(db, demo, client):
    item = ServiceItem.objects.get(code="XN-YB-002")
    full = [m["name"] for m in bundles.tailored_materials(item, {})]
    assert "出生医学证明（尚未落户时）" in full
    registered = [m["name"] for m in bundles.tailored_materials(item, {"registered": "yes"})]
    assert registered == ["新生儿居民户口簿", "监护人居民身份证"]
    r = client.get("/api/items/XN-MZ-002/guide", {"s_who": "self", "s_hukou": "other"})
    names = [m["name"] for m in r.json()["materials"]]
    assert "经办人居民身份证及授权委托书（委托他人办理时提供）" not in names
    assert any(n.startswith("居住证") for n in names)
    assert r.json()["min_age"] == 70 and "70周岁" in r.json()["eligibility"]
    bad = client.get("/api/items/XN-MZ-002/guide", {"s_who": "robot"})
    assert bad.status_code == 400 and "只能是" in bad.json()["message"]
    unknown = client.get("/api/items/XN-MZ-002/guide", {"s_colour": "red"})
    assert unknown.status_code == 400


def test_complete_guide_defaults_and_eligibility(db, demo):
    g = bundles.guide_of(ServiceItem.objects.get(code="XN-RS-005"))
    assert g["complaint_phone"] == "12345" and g["consult_phone"] and g["process"]
    mz = ServiceItem.objects.get(code="XN-MZ-002")
    assert "70周岁" in bundles.eligibility_check(mz, 65)
    assert bundles.eligibility_check(mz, 74) == ""


def test_pure_rules():
    assert bundle_rules.passes_merge_rule(7, [4, 3, 3])
    assert not bundle_rules.passes_merge_rule(8, [4, 3, 3])
    assert not bundle_rules.passes_merge_rule(1, [3])  # one item is no bundle
    q = bundle_rules.question_from(
        "who", "谁办？", [{"value": "self", "label": "本人", "remove": ["委托书"]}]
    )
    rows = bundle_rules.tailor([{"name": "身份证"}, {"name": "委托书"}], [q], {"who": "self"})
    assert [r["name"] for r in rows] == ["身份证"]
    assert bundle_rules.situation_summary([q], {"who": "self"}) == ["谁办：本人"]


def test_demo_bundles_loaded(db, demo):
    assert Bundle.objects.filter(active=True).count() >= 3
