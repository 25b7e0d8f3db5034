"""Pure rules (signatures, GB/T 39554.1 codes, reconciliation) and the national codes carried by the
catalog's imports and by the documents."""

import json

import pytest

from yimen.core.errors import ValidationFailed
from yimen.exchange import codes, rules, services
from yimen.exchange.models import ItemCode

REAL = "11440000006939756B2440101007000"  # Guangdong public catalog, 临时价格干预范围事项提价申报


def test_signature_is_hex_hmac_sha256_of_the_body():
    # RFC 4231 test case 2 ("Jefe" / "what do ya want for nothing?")
    sig = rules.sign(b"what do ya want for nothing?", "Jefe")
    assert sig == "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert rules.verify(b"what do ya want for nothing?", "Jefe", sig)
    assert not rules.verify(b"what do ya want for nothing!", "Jefe", sig)
    assert not rules.verify(b"x", "", rules.sign(b"x", ""))  # no secret, no trust


def test_iso_times_carry_the_china_offset():
    from datetime import UTC, datetime

    assert rules.iso(datetime(2026, 3, 2, 2, 0, 0, 123, tzinfo=UTC)) == "2026-03-02T10:00:00+08:00"


@pytest.mark.parametrize(
    "code,ok",
    [
        (REAL, True),
        (REAL + "01", True),  # a 业务办理项
        (REAL[:-1], False),
        ("11440000006939756C2440101007000", False),  # USCC check digit
        ("11440000006939756B7440101007000", False),  # 行使层级 7
        ("11440000006939756B244010100700A", False),
    ],
)
def test_implementation_codes(code, ok):
    assert (rules.check_implementation_code(code) == "") is ok


def test_codes_must_agree_and_basic_is_derived():
    assert codes.check("", REAL) == ("440101007000", REAL, "")
    assert "不一致" in codes.check("440101007001", REAL)[2]
    assert "12 位" in rules.check_basic_code("12345")


def test_missing_and_licence_types():
    assert rules.missing(["a", "b", "c"], ["b", "x"]) == ["a", "c"]
    assert rules.licence_type_for("经营者居民身份证") == "居民身份证"
    assert rules.licence_type_for("个体工商户登记（备案）申请书") == ""
    assert rules.channel_code("window") == "window_device" and rules.channel_code("qr") == "qr"


def test_the_public_catalog_import_carries_national_codes(db, demo, tmp_path):
    from yimen.catalog.models import ServiceItem
    from yimen.catalog.services import import_public_catalog
    from yimen.core.audit import AuditEntry  # noqa: F401
    from yimen.staff.testing import make_staff

    source = "yimen/data/sources/gd-policy.jsonl"
    lines = open(source, encoding="utf-8").read().splitlines()
    picked = [json.loads(x) for x in lines[:3]]
    bad = dict(picked[2], TASK_CODE=picked[2]["TASK_CODE"][:-1] + "X")
    path = tmp_path / "gd.jsonl"
    path.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in [*picked[:2], bad]), encoding="utf-8"
    )
    counts = import_public_catalog("gd", path, actor=make_staff("admin"))
    assert counts["created"] == 3
    first = ServiceItem.objects.get(code=f"GD-{picked[0]['TASK_CODE']}")
    assert first.national_code.implementation_code == picked[0]["TASK_CODE"]
    assert first.national_code.basic_code == picked[0]["CATAID"]
    # an invalid code is not imported: the item is, with a warning
    assert not ItemCode.objects.filter(item__code=f"GD-{bad['TASK_CODE']}").exists()
    assert any("国家事项编码未导入" in w for w in counts["warning_examples"])
    assert services.codes_of(first)["item_code"] == picked[0]["TASK_CODE"]


def test_codes_are_validated_when_stored(db, demo):
    from yimen.catalog.models import ServiceItem

    item = ServiceItem.objects.get(code="XN-SJ-001")
    with pytest.raises(ValidationFailed) as e:
        codes.apply(item, {"implementation_code": REAL[:-1]})
    assert e.value.code == "national_code_invalid" and "31 位" in e.value.message
    codes.apply(item, {"basic_code": "440101007000", "implementation_code": REAL})
    assert services.codes_of(item) == {
        "item_code": REAL,
        "item_local_code": "XN-SJ-001",
        "basic_code": "440101007000",
        "implementation_code": REAL,
    }
    codes.apply(item, {"basic_code": "", "implementation_code": ""})
    assert services.codes_of(item)["item_code"] == "XN-SJ-001"  # ours where none is known


def test_the_catalog_workbook_carries_national_codes(db, demo):
    import io

    from openpyxl import load_workbook

    from yimen.catalog.excel.layout import ITEM_COLUMNS
    from yimen.catalog.models import ServiceItem
    from yimen.catalog.services import (
        CatalogImportRejected,
        export_catalog_excel,
        import_catalog_excel,
    )

    item = ServiceItem.objects.get(code="XN-SJ-001")
    codes.apply(item, {"implementation_code": REAL})
    wb = load_workbook(io.BytesIO(export_catalog_excel(ServiceItem.objects.filter(pk=item.pk))))
    ws = wb["事项"]
    headers = [c.value for c in ws[1]]
    basic_col = headers.index("基本编码") + 1
    impl_col = headers.index("实施编码") + 1
    assert (ws.cell(2, basic_col).value, ws.cell(2, impl_col).value) == ("440101007000", REAL)
    assert len(headers) == len(ITEM_COLUMNS)

    def save(book):
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    ws.cell(2, impl_col).value = REAL[:-1] + "9"  # the embedded 基本编码 no longer matches
    with pytest.raises(CatalogImportRejected) as info:
        import_catalog_excel(save(wb))
    assert [(e.row, e.column) for e in info.value.errors] == [(2, "实施编码")]
    other = "11440000006939756B3440101007000"  # 市级
    ws.cell(2, impl_col).value = other
    import_catalog_excel(save(wb))
    assert ItemCode.objects.get(item=item).implementation_code == other
    # a workbook exported before these columns existed still imports, codes untouched
    ws.delete_cols(basic_col, 2)
    import_catalog_excel(save(wb))
    assert ItemCode.objects.get(item=item).implementation_code == other
