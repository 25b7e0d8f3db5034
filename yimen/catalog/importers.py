"""Readers for the two real public catalogs (see yimen/data/sources/ and their LICENSE files).

Each reader turns a file into `Record`s: the item fields `services.upsert_item` takes, the
department it belongs to, and warnings for values that were present but not understood (kept
empty). The codes are stable, so importing the same file twice changes nothing:

- Guangdong (gd-policy.jsonl, JSON lines): code `GD-<TASK_CODE>` (the 实施编码), department
  `GD-<ORGCODE>`.
- Sichuan 广安区 (sc-guangan-bszl.js, a JavaScript file holding one array): code `SC-<itemCode>`
  (from the item's link), department `SC-<hash of its name>`; names like 区人社局 become
  广安区人社局 so they cannot clash with another district's 区人社局.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from yimen.core.validators import parse_id

from .rules import (
    SC_TASK_TYPE_BY_CODE,
    item_type_from,
    material_kind_from_name,
    parse_limit,
    split_list,
)

SOURCES = {
    "gd": "广东省政务服务事项（gd-policy）",
    "sc": "四川省广安市广安区办事指南（sc-guangan）",
}


class SourceFormatError(ValueError):
    """The file is not in the expected format (message in Chinese)."""


@dataclass
class Record:
    data: dict
    department_code: str
    department_name: str
    warnings: list[str] = field(default_factory=list)


def _none_if_wu(value):
    if value is None:
        return ""
    s = str(value).strip()
    return "" if s in ("无", "null", "None") else s


def _limit(record: dict, key: str, label: str, warnings: list[str]):
    parsed = parse_limit(record.get(key))
    if not parsed.ok:
        warnings.append(f"{label}「{record.get(key)}」无法识别，已留空")
    return parsed


def gd_record(raw: dict, line_no: int = 0) -> Record:
    warnings: list[str] = []
    try:
        task_code = str(raw["TASK_CODE"]).strip()
        name = str(raw.get("TASK_NAME") or raw.get("matter_name") or "").strip()
        dept_name = str(raw["DEPT_NAME"]).strip()
    except KeyError as exc:
        raise SourceFormatError(f"第 {line_no} 行缺少字段 {exc.args[0]}")
    if not task_code or not name or not dept_name:
        raise SourceFormatError(f"第 {line_no} 行缺少事项编码、名称或实施部门")
    legal = _limit(raw, "handle_time", "法定办结时限", warnings)
    promised = _limit(raw, "handle_time_limit", "承诺办结时限", warnings)
    item_type = item_type_from(raw.get("TASK_TYPE_TEXT")) or item_type_from(raw.get("matter_type"))
    if item_type is None:
        warnings.append(f"事项类型「{raw.get('TASK_TYPE_TEXT')}」无法识别，按公共服务处理")
        item_type = "公共服务"
    visits_raw = str(raw.get("visit_number") or "").strip()
    if parse_id(visits_raw, minimum=0, maximum=10) is not None:
        visits = int(visits_raw)
    else:
        if visits_raw not in ("", "无"):
            warnings.append(f"到场次数「{visits_raw}」无法识别，按 1 次处理")
        visits = 1
    materials_raw = raw.get("material_intro")
    if isinstance(materials_raw, list):
        material_names = [str(m).strip() for m in materials_raw if str(m).strip()]
    else:
        material_names = [] if _none_if_wu(materials_raw) == "" else [str(materials_raw).strip()]
    keywords = [t for t in (raw.get("theme_category") or []) if t and t != "其他"]
    daily = _none_if_wu(raw.get("matter_daily"))
    if daily:
        keywords += [k for k in split_list(daily) if k not in keywords]
    notes = []
    location = _none_if_wu(raw.get("handle_location"))
    if location:
        notes.append(location if location.startswith("办理地点") else f"办理地点：{location}")
    for key, label in (
        ("consult_phone", "咨询电话"),
        ("complain_phone", "投诉电话"),
        ("co_department", "联办部门"),
    ):
        value = _none_if_wu(raw.get(key))
        if value:
            notes.append(f"{label}：{value}")
    parent = _none_if_wu(raw.get("parentCatalogName"))
    # the platform's TASK_CODE is the national 实施编码 and CATAID its 基本编码 (GB/T 39554.1)
    from yimen.exchange.codes import check as check_codes

    basic, implementation, problem = check_codes(str(raw.get("CATAID") or ""), task_code)
    if problem:
        warnings.append(f"国家事项编码未导入：{problem}")
        basic = implementation = ""
    data = {
        "code": f"GD-{task_code}",
        "name": name[:300],
        "short_name": _none_if_wu(raw.get("matter_short"))[:100],
        "parent_name": "" if parent == name else parent[:300],
        "type": item_type,
        "legal_limit": legal.value,
        "legal_limit_unit": legal.unit,
        "promised_limit": promised.value,
        "promised_limit_unit": promised.unit,
        "visits_required": visits,
        "fee": None,
        "fee_note": "",
        "target_groups": [str(t) for t in (raw.get("service_object_name") or []) if t],
        "keywords": keywords,
        "window_kinds": [],
        "online": str(raw.get("ONLINECHECK")) == "1" or raw.get("online_book") == "是",
        "notes": "\n".join(notes),
        "basic_code": basic,
        "implementation_code": implementation,
        "source": "gd-policy",
        "source_ref": str(raw.get("URL") or "")[:300],
        "materials": [
            {"name": n[:300], "kind": material_kind_from_name(n)} for n in material_names
        ],
    }
    return Record(
        data,
        f"GD-{str(raw.get('ORGCODE') or '').strip() or _hash(dept_name)}",
        dept_name[:100],
        warnings,
    )


def read_gd(path: Path):
    with open(path, encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SourceFormatError(f"第 {line_no} 行不是合法的 JSON：{exc.msg}")
            if not isinstance(raw, dict):
                raise SourceFormatError(f"第 {line_no} 行不是 JSON 对象")
            yield gd_record(raw, line_no)


def _hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8].upper()


def sc_department_name(name: str) -> str:
    name = name.strip()
    return "广安区" + name[1:] if name.startswith("区") else name


def sc_record(department: str, main_item: str, raw: dict) -> Record:
    warnings: list[str] = []
    name = str(raw.get("name") or "").strip()
    link = str(raw.get("link") or "").strip()
    query = parse_qs(urlparse(link).query)
    item_code = (query.get("itemCode") or [""])[0].strip()
    if not name:
        raise SourceFormatError(f"{department} 下有一项缺少名称")
    if not item_code:
        item_code = _hash(f"{department}/{name}")
        warnings.append("链接中没有 itemCode，编码按部门和名称生成")
    task_type = (query.get("taskType") or [""])[0].strip()
    item_type = SC_TASK_TYPE_BY_CODE.get(task_type)
    if item_type is None:
        warnings.append(f"事项类型代码「{task_type}」无法识别，按公共服务处理")
        item_type = "公共服务"
    dept_name = sc_department_name(department)
    main = main_item.strip()
    data = {
        "code": f"SC-{item_code}"[:64],
        "name": name[:300],
        "short_name": "",
        "parent_name": "" if main in ("", "未分类", name) else main[:300],
        "type": item_type,
        "legal_limit": None,
        "promised_limit": None,
        "visits_required": 1,
        "fee": None,
        "target_groups": [],
        "keywords": [],
        "window_kinds": [],
        "online": False,
        "notes": "",
        "source": "sc-guangan",
        "source_ref": link[:300],
        "materials": [],
    }
    return Record(data, f"SC-{_hash(dept_name)}", dept_name[:100], warnings)


def read_sc(path: Path):
    text = Path(path).read_text(encoding="utf-8")
    start, end = text.find("["), text.rfind("]")
    if start < 0 or end < start:
        raise SourceFormatError("文件中找不到事项数组（应为 const bszlData = [...]）")
    try:
        data = json.loads(text[start : end + 1])
    except json.JSONDecodeError as exc:
        raise SourceFormatError(f"事项数组不是合法的 JSON：第 {exc.lineno} 行 {exc.msg}")
    for dept in data:
        for group in dept.get("items") or []:
            for raw in group.get("sub_items") or []:
                yield sc_record(
                    str(dept.get("department") or "").strip() or "未注明部门",
                    str(group.get("main_item") or ""),
                    raw,
                )


READERS = {"gd": read_gd, "sc": read_sc}
