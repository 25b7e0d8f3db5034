"""Import: `parse_workbook` validates EVERY row of a workbook first and returns (items, errors);
it never writes (`catalog.services` applies the result). Values: 是/否 for flags; lists separated
by 、; time limit = number + unit (工作日/自然日/月), empty = none stated, 0 = 即办件; fee empty =
see 收费说明, 0 = 不收费."""

from __future__ import annotations

import io
from decimal import Decimal, InvalidOperation

from openpyxl import load_workbook

from yimen.exchange.codes import check as check_national_codes

from ..models import ITEM_TYPES, WINDOW_KINDS
from ..rules import (
    MATERIAL_KIND_VALUES,
    UNIT_BY_LABEL,
    parse_bool,
    split_list,
)
from .layout import (
    BOOL_KEYS,
    ITEM_COLUMNS,
    ITEMS_SHEET,
    LIST_KEYS,
    MATERIAL_COLUMNS,
    MATERIAL_MAX_LEN,
    MATERIALS_SHEET,
    MAX_LEN,
    OPTIONAL_ITEM_COLUMNS,
    RowError,
)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value == int(value):
        value = int(value)
    return str(value).strip()


def _int(value, errors, sheet, row, column, *, lo=0, hi=None, allow_empty=True):
    if value is None or (isinstance(value, str) and not value.strip()):
        if allow_empty:
            return None
        errors.append(RowError(sheet, row, column, "不能为空"))
        return None
    if isinstance(value, bool):
        errors.append(RowError(sheet, row, column, f"应为整数，实际为「{value}」"))
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        errors.append(RowError(sheet, row, column, f"应为整数，实际为「{_text(value)}」"))
        return None
    if number != number.to_integral_value():
        errors.append(RowError(sheet, row, column, f"应为整数，实际为「{_text(value)}」"))
        return None
    n = int(number)
    if n < lo or (hi is not None and n > hi):
        rng = f"{lo}–{hi}" if hi is not None else f"不小于 {lo}"
        errors.append(RowError(sheet, row, column, f"应为 {rng} 的整数，实际为 {n}"))
        return None
    return n


def _read_sheet(wb, sheet_name, columns, errors):
    """Rows of a sheet as (row_number, {key: raw value}); checks the header row."""
    if sheet_name not in wb.sheetnames:
        errors.append(RowError(sheet_name, 0, "", f"缺少工作表「{sheet_name}」"))
        return []
    ws = wb[sheet_name]
    rows = ws.iter_rows(values_only=True)
    try:
        header = [_text(h) for h in next(rows)]
    except StopIteration:
        errors.append(RowError(sheet_name, 1, "", "缺少表头行"))
        return []
    index = {}
    for col, name in enumerate(header):
        if name:
            index.setdefault(name, col)
    missing = [h for h, _k, _ in columns if h not in index and h not in OPTIONAL_ITEM_COLUMNS]
    for h in missing:
        errors.append(RowError(sheet_name, 1, h, "缺少该列（请使用导出的模板）"))
    if missing:
        return []
    result = []
    for row_number, values in enumerate(rows, start=2):
        if values is None or all(
            v is None or (isinstance(v, str) and not v.strip()) for v in values
        ):
            continue
        record = {}
        for header_name, key, _ in columns:
            if header_name not in index:  # an optional column the workbook lacks
                continue
            col = index[header_name]
            record[key] = values[col] if col < len(values) else None
        result.append((row_number, record))
    return result


def parse_workbook(data: bytes, departments: dict[str, str]) -> tuple[list[dict], list[RowError]]:
    """Validate a workbook. `departments`: existing {code: name}. Returns (items, errors); items
    carry `department_code` / `department_name` and their `materials`. Nothing is written."""
    errors: list[RowError] = []
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not xlsx
        return [], [
            RowError("", 0, "", "文件不是有效的 Excel 工作簿（.xlsx），请使用「导出」得到的模板。")
        ]
    item_rows = _read_sheet(wb, ITEMS_SHEET, ITEM_COLUMNS, errors)
    material_rows = _read_sheet(wb, MATERIALS_SHEET, MATERIAL_COLUMNS, errors)
    wb.close()
    by_name = {name: code for code, name in departments.items()}
    new_departments: dict[str, str] = {}  # code → name, created by this file
    items: dict[str, dict] = {}
    S = ITEMS_SHEET
    header_of = {k: h for h, k, _ in ITEM_COLUMNS}
    for row, raw in item_rows:
        item: dict = {"_row": row}
        for key in (
            "code",
            "name",
            "short_name",
            "parent_name",
            "department_code",
            "department_name",
            "fee_note",
            "notes",
            "source",
            "source_ref",
        ):
            item[key] = _text(raw[key])
            limit = MAX_LEN.get(key)
            if limit and len(item[key]) > limit:
                errors.append(
                    RowError(
                        S, row, header_of[key], f"不能超过 {limit} 个字（现为 {len(item[key])} 个）"
                    )
                )
        code = item["code"]
        if not code:
            errors.append(RowError(S, row, "事项编码", "不能为空"))
        elif code in items:
            errors.append(
                RowError(S, row, "事项编码", f"与第 {items[code]['_row']} 行重复：{code}")
            )
        if not item["name"]:
            errors.append(RowError(S, row, "事项名称", "不能为空"))
        # department: by code, else by name; a new code needs a name
        dcode, dname = item["department_code"], item["department_name"]
        if not dcode and not dname:
            errors.append(RowError(S, row, "部门编码", "部门编码和实施部门至少填一个"))
        elif dcode and dcode in departments:
            if dname and dname != departments[dcode]:
                errors.append(
                    RowError(
                        S,
                        row,
                        "实施部门",
                        f"部门编码 {dcode} 对应「{departments[dcode]}」，与「{dname}」不一致",
                    )
                )
            item["department_name"] = departments[dcode]
        elif dcode and dcode in new_departments:
            if dname and dname != new_departments[dcode]:
                errors.append(
                    RowError(
                        S,
                        row,
                        "实施部门",
                        f"部门编码 {dcode} 在本文件中对应「{new_departments[dcode]}」，与「{dname}」不一致",
                    )
                )
            item["department_name"] = new_departments[dcode]
        elif not dcode:
            if dname in by_name:
                item["department_code"] = by_name[dname]
            else:
                errors.append(RowError(S, row, "部门编码", f"新部门「{dname}」需要填写部门编码"))
        else:  # new code
            if not dname:
                errors.append(
                    RowError(S, row, "实施部门", f"部门编码 {dcode} 不存在；新部门需要填写名称")
                )
            elif dname in by_name and by_name[dname] != dcode:
                errors.append(
                    RowError(S, row, "部门编码", f"部门「{dname}」已存在，编码为 {by_name[dname]}")
                )
            else:
                new_departments[dcode] = dname
                by_name.setdefault(dname, dcode)
        item_type = _text(raw["item_type"]) or "公共服务"
        if item_type not in ITEM_TYPES:
            errors.append(
                RowError(
                    S,
                    row,
                    "事项类型",
                    f"「{item_type}」不是有效的事项类型（可选：{'、'.join(ITEM_TYPES)}）",
                )
            )
        item["type"] = item_type
        for key, unit_key in (
            ("legal_limit", "legal_limit_unit"),
            ("promised_limit", "promised_limit_unit"),
        ):
            item[key] = _int(raw[key], errors, S, row, header_of[key], lo=0, hi=3650)
            unit_text = _text(raw[unit_key]) or "工作日"
            if unit_text not in UNIT_BY_LABEL:
                errors.append(
                    RowError(
                        S,
                        row,
                        header_of[unit_key],
                        f"「{unit_text}」不是有效单位（工作日 / 自然日 / 月）",
                    )
                )
            item[unit_key] = UNIT_BY_LABEL.get(unit_text, "workday")
        visits = _int(raw["visits_required"], errors, S, row, "最多跑动次数", lo=0, hi=10)
        item["visits_required"] = 1 if visits is None else visits
        fee_raw = raw["fee"]
        item["fee"] = None
        if fee_raw is not None and _text(fee_raw) != "":
            try:
                fee = Decimal(_text(fee_raw))
                if fee < 0 or fee.as_tuple().exponent < -2 or fee >= Decimal("100000000"):
                    raise InvalidOperation
                item["fee"] = fee
            except InvalidOperation:
                errors.append(
                    RowError(
                        S,
                        row,
                        "收费金额（元）",
                        f"应为不小于 0、最多两位小数的金额，实际为「{_text(fee_raw)}」",
                    )
                )
        for key in LIST_KEYS:
            item[key] = split_list(raw[key])
        bad_kinds = [k for k in item["window_kinds"] if k not in WINDOW_KINDS]
        if bad_kinds:
            errors.append(
                RowError(
                    S,
                    row,
                    "受理窗口类型",
                    f"「{'、'.join(bad_kinds)}」不是窗口类型（可选：{'、'.join(WINDOW_KINDS)}）",
                )
            )
        for key in BOOL_KEYS:
            value = parse_bool(raw[key])
            if raw[key] is None and key == "active":
                value = True
            if value is None:
                errors.append(
                    RowError(
                        S, row, header_of[key], f"应填「是」或「否」，实际为「{_text(raw[key])}」"
                    )
                )
            item[key] = bool(value)
        if "basic_code" in raw or "implementation_code" in raw:  # GB/T 39554.1 codes
            basic, implementation, problem = check_national_codes(
                _text(raw.get("basic_code")), _text(raw.get("implementation_code"))
            )
            if problem:
                errors.append(RowError(S, row, "实施编码", problem))
            item["basic_code"], item["implementation_code"] = basic, implementation
        item["materials"] = []
        if code and code not in items:
            items[code] = item
    M = MATERIALS_SHEET
    mheader = {k: h for h, k, _ in MATERIAL_COLUMNS}
    seen_positions: dict[tuple[str, int], int] = {}
    for row, raw in material_rows:
        code = _text(raw["item_code"])
        m = {"_row": row, "name": _text(raw["name"]), "note": _text(raw["note"])}
        if not code:
            errors.append(RowError(M, row, "事项编码", "不能为空"))
        elif code not in items:
            errors.append(RowError(M, row, "事项编码", f"「事项」表中没有事项 {code}"))
        if not m["name"]:
            errors.append(RowError(M, row, "材料名称", "不能为空"))
        for key, limit in MATERIAL_MAX_LEN.items():
            if len(m[key]) > limit:
                errors.append(
                    RowError(
                        M, row, mheader[key], f"不能超过 {limit} 个字（现为 {len(m[key])} 个）"
                    )
                )
        position = _int(raw["position"], errors, M, row, "序号", lo=0, hi=999)
        m["position"] = position
        if position is not None and code:
            key = (code, position)
            if key in seen_positions:
                errors.append(
                    RowError(
                        M,
                        row,
                        "序号",
                        f"事项 {code} 的序号 {position} 与第 {seen_positions[key]} 行重复",
                    )
                )
            seen_positions[key] = row
        kind = _text(raw["kind"]) or "原件"
        if kind not in MATERIAL_KIND_VALUES:
            errors.append(
                RowError(
                    M, row, "形式", f"「{kind}」不是有效形式（{' / '.join(MATERIAL_KIND_VALUES)}）"
                )
            )
        m["kind"] = kind
        copies = _int(raw["copies"], errors, M, row, "份数", lo=1, hi=99)
        m["copies"] = 1 if copies is None else copies
        for key in ("required", "tolerance", "data_sharing"):
            value = parse_bool(raw[key])
            if raw[key] is None and key == "required":
                value = True
            if value is None:
                errors.append(
                    RowError(
                        M, row, mheader[key], f"应填「是」或「否」，实际为「{_text(raw[key])}」"
                    )
                )
            m[key] = bool(value)
        if m["tolerance"] and not m["required"]:
            errors.append(
                RowError(
                    M,
                    row,
                    "可容缺",
                    "只有必需材料可以容缺（「必需」为「否」时「可容缺」应为「否」）",
                )
            )
        if code in items:
            items[code]["materials"].append(m)
    result = []
    for item in items.values():
        mats = item["materials"]
        # materials keep the file's 序号 order; rows without 序号 follow in file order
        mats.sort(key=lambda m: (m["position"] is None, m["position"] or 0, m["_row"]))
        result.append(item)
    return result, errors
