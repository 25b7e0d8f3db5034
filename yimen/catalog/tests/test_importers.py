"""Importers of the real public catalogs, on the committed samples (tests/data/)."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from yimen.catalog.importers import gd_record, read_gd, read_sc
from yimen.catalog.models import Department, ServiceItem
from yimen.catalog.services import import_public_catalog
from yimen.core.errors import ValidationFailed
from yimen.core.models import AuditEntry

DATA = Path(__file__).parent / "data"
GD = DATA / "gd-sample.jsonl"
SC = DATA / "sc-sample.js"


def _gd_lines():
    return [
        json.loads(line) for line in GD.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def test_gd_sample_imports_every_record_and_twice_changes_nothing(db):
    first = import_public_catalog("gd", GD)
    assert first["total"] == 41
    assert (first["created"], first["updated"], first["unchanged"]) == (41, 0, 0)
    assert first["warnings"] == 0
    assert ServiceItem.objects.filter(code__startswith="GD-").count() == 41
    audits = AuditEntry.objects.filter(action="catalog.import").count()
    second = import_public_catalog("gd", GD)
    assert (second["created"], second["updated"], second["unchanged"]) == (0, 0, 41)
    assert second["departments_created"] == 0
    assert (
        AuditEntry.objects.filter(action="catalog.import").count() == audits
    )  # nothing changed, nothing logged


def test_gd_values_are_parsed(db):
    import_public_catalog("gd", GD)
    raw = {r["TASK_CODE"]: r for r in _gd_lines()}
    calendar_days = [c for c, r in raw.items() if r["handle_time"].endswith("(自然日)")]
    assert calendar_days
    item = ServiceItem.objects.get(code=f"GD-{calendar_days[0]}")
    assert item.legal_limit_unit == "calendar_day"
    assert item.legal_limit == int(raw[calendar_days[0]]["handle_time"].split("(")[0])
    none_code = next(c for c, r in raw.items() if r["handle_time"] == "无")
    assert ServiceItem.objects.get(code=f"GD-{none_code}").legal_limit is None
    one_day = next(c for c, r in raw.items() if r["handle_time_limit"] == "1(工作日)")
    item = ServiceItem.objects.get(code=f"GD-{one_day}")
    assert (item.promised_limit, item.promised_limit_unit, item.is_immediate) == (
        1,
        "workday",
        False,
    )
    # materials: a list becomes Material rows in order; the string 无 becomes none
    listed = next(
        c
        for c, r in raw.items()
        if isinstance(r["material_intro"], list) and len(r["material_intro"]) >= 8
    )
    item = ServiceItem.objects.get(code=f"GD-{listed}")
    assert [m.name for m in item.materials.all()] == [
        m.strip() for m in raw[listed]["material_intro"]
    ]
    no_materials = next(c for c, r in raw.items() if r["material_intro"] == "无")
    assert not ServiceItem.objects.get(code=f"GD-{no_materials}").materials.exists()
    # bracketed theme kept whole as one keyword
    social = next(
        c for c, r in raw.items() if "社会保障（社会保险、社会救助）" in r["theme_category"]
    )
    assert "社会保障（社会保险、社会救助）" in ServiceItem.objects.get(code=f"GD-{social}").keywords
    # department: stable code from ORGCODE, name without stray spaces
    spaced = next(r for r in raw.values() if r["DEPT_NAME"] != r["DEPT_NAME"].strip())
    dept = Department.objects.get(code=f"GD-{spaced['ORGCODE']}")
    assert dept.name == spaced["DEPT_NAME"].strip()
    # visits
    two = next(c for c, r in raw.items() if r["visit_number"] in ("2", "3"))
    assert ServiceItem.objects.get(code=f"GD-{two}").visits_required == int(
        raw[two]["visit_number"]
    )
    # every item type present in the sample maps to a model type
    assert set(
        ServiceItem.objects.filter(code__startswith="GD-").values_list("item_type", flat=True)
    ) == {r["TASK_TYPE_TEXT"] for r in raw.values()}


def test_unknown_values_are_kept_empty_and_counted_as_warnings(db, tmp_path):
    odd = _gd_lines()[0]
    odd.update(
        {
            "TASK_CODE": "ODD-1",
            "handle_time": "三十(工作日)",
            "handle_time_limit": "3(季度)",
            "visit_number": "多次",
            "TASK_TYPE_TEXT": "审批",
            "matter_type": "审批",
        }
    )
    record = gd_record(odd)
    assert record.data["legal_limit"] is None and record.data["promised_limit"] is None
    # 4 values not understood + "ODD-1" is no national 实施编码 (GB/T 39554.1): not imported
    assert len(record.warnings) == 5
    assert any("国家事项编码未导入" in w for w in record.warnings)
    path = tmp_path / "odd.jsonl"
    path.write_text(json.dumps(odd, ensure_ascii=False) + "\n", encoding="utf-8")
    counts = import_public_catalog("gd", path)
    assert counts["created"] == 1 and counts["warnings"] == 5
    assert any("三十(工作日)" in w for w in counts["warning_examples"])
    item = ServiceItem.objects.get(code="GD-ODD-1")
    assert item.legal_limit is None and item.item_type == "公共服务" and item.visits_required == 1
    again = import_public_catalog("gd", path)
    assert (again["unchanged"], again["warnings"]) == (1, 5)


def test_sc_sample_imports_and_normalises_departments(db):
    counts = import_public_catalog("sc", SC)
    records = list(read_sc(SC))
    assert counts["total"] == len(records) == 36
    assert counts["created"] == 36 and counts["warnings"] == 0
    # 区人社局 items carry several deptCode variants but are one department, named for the district
    hr = Department.objects.get(name="广安区人社局")
    assert hr.code.startswith("SC-")
    assert ServiceItem.objects.filter(department=hr).count() == sum(
        1 for r in records if r.department_name == "广安区人社局"
    )
    assert Department.objects.filter(name="广安区税务局").exists()  # already had the district name
    # taskType → item type; main_item → parent name; code from itemCode
    assert set(
        ServiceItem.objects.filter(code__startswith="SC-").values_list("item_type", flat=True)
    ) >= {"行政许可", "公共服务", "行政确认", "其他行政权力"}
    item = ServiceItem.objects.filter(code__startswith="SC-").exclude(parent_name="").first()
    assert item is not None and item.parent_name != "未分类"
    assert all(r.data["code"].startswith("SC-") and len(r.data["code"]) <= 64 for r in records)
    assert len({r.data["code"] for r in records}) == 36  # the name listed twice has two item codes
    again = import_public_catalog("sc", SC)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 36)


def test_import_updates_a_changed_record(db, tmp_path):
    lines = _gd_lines()[:3]
    path = tmp_path / "gd.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in lines), encoding="utf-8")
    import_public_catalog("gd", path)
    lines[1]["handle_time_limit"] = "12(工作日)"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in lines), encoding="utf-8")
    counts = import_public_catalog("gd", path)
    assert (counts["created"], counts["updated"], counts["unchanged"]) == (0, 1, 2)
    assert ServiceItem.objects.get(code=f"GD-{lines[1]['TASK_CODE']}").promised_limit == 12


def test_command_prints_counts_and_rejects_bad_files(db, tmp_path):
    out = StringIO()
    call_command("import-catalog", "gd", str(GD), stdout=out)
    assert "共 41 项，新建 41，更新 0，未变 0，警告 0" in out.getvalue()
    out = StringIO()
    call_command("import-catalog", "sc", str(SC), "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["created"] == 36
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"TASK_CODE": "1"\n', encoding="utf-8")
    with pytest.raises(CommandError, match="第 1 行不是合法的 JSON"):
        call_command("import-catalog", "gd", str(bad))
    with pytest.raises(CommandError, match="无法读取文件"):
        call_command("import-catalog", "sc", str(tmp_path / "missing.js"))
    not_js = tmp_path / "x.js"
    not_js.write_text("const x = 1;", encoding="utf-8")
    with pytest.raises(CommandError, match="找不到事项数组"):
        call_command("import-catalog", "sc", str(not_js))
    assert not ServiceItem.objects.filter(code="GD-1").exists()


def test_unknown_source_is_a_validation_error(db):
    with pytest.raises(ValidationFailed):
        import_public_catalog("zz", GD)


def test_readers_read_every_line_of_the_samples():
    assert len(list(read_gd(GD))) == 41
