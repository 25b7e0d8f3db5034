"""The catalog as an Excel workbook (openpyxl), because centres maintain these lists in
spreadsheets.

Workbook layout (Chinese headers, one header row, any column order):
- sheet 「事项」: one row per item (ITEM_COLUMNS);
- sheet 「材料」: one row per material, linked by 事项编码 (MATERIAL_COLUMNS);
- sheet 「填写说明」: what each column takes (ignored on import).

`parse_workbook` validates EVERY row first and returns (items, errors); it never writes.
Values: 是/否 for flags; lists separated by 、; time limit = number + unit (工作日/自然日/月),
empty = none stated, 0 = 即办件; fee empty = see 收费说明, 0 = 不收费.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..models import ITEM_TYPES, WINDOW_KINDS
from ..rules import (
    MATERIAL_KIND_VALUES,
    UNIT_BY_LABEL,
    UNIT_LABELS,
    join_list,
    parse_bool,
    split_list,
)

ITEMS_SHEET, MATERIALS_SHEET, HELP_SHEET = "事项", "材料", "填写说明"

# (header, key, help)
ITEM_COLUMNS = [
    ("事项编码", "code", "必填，唯一，如 XN-WS-001；已有编码则更新该事项"),
    ("事项名称", "name", "必填"),
    ("简称", "short_name", ""),
    ("主项名称", "parent_name", "拆分子项时所属的主项"),
    ("部门编码", "department_code", "部门编码或部门名称至少填一个；新部门需两者都填"),
    ("实施部门", "department_name", ""),
    ("事项类型", "item_type", "、".join(ITEM_TYPES)),
    ("法定办结时限", "legal_limit", "整数；空 = 未规定"),
    ("法定时限单位", "legal_limit_unit", "工作日 / 自然日 / 月（空 = 工作日）"),
    ("承诺办结时限", "promised_limit", "整数；0 = 即办件；空 = 未规定"),
    ("承诺时限单位", "promised_limit_unit", "工作日 / 自然日 / 月（空 = 工作日）"),
    ("最多跑动次数", "visits_required", "0–10 的整数；0 = 全程网办"),
    ("收费金额（元）", "fee", "0 = 不收费；空 = 见收费说明"),
    ("收费说明", "fee_note", ""),
    ("缴费方式", "payment_methods", "多个用、分隔"),
    ("服务对象", "target_groups", "多个用、分隔"),
    ("关键词", "keywords", "多个用、分隔"),
    ("受理窗口类型", "window_kinds", "、".join(WINDOW_KINDS)),
    ("综合一窗", "comprehensive", "是 / 否"),
    ("银行网点可办", "bank_outlet", "是 / 否"),
    ("可走绿色通道", "green_channel_eligible", "是 / 否"),
    ("帮办代办", "bangban_daiban", "是 / 否"),
    ("可网上办理", "online", "是 / 否"),
    ("在用", "active", "是 / 否"),
    ("备注", "notes", ""),
    ("来源", "source", ""),
    ("来源条目", "source_ref", ""),
]
MATERIAL_COLUMNS = [
    ("事项编码", "item_code", "必填，须在「事项」表中"),
    ("序号", "position", "整数，决定材料顺序"),
    ("材料名称", "name", "必填"),
    ("形式", "kind", " / ".join(MATERIAL_KIND_VALUES)),
    ("份数", "copies", "1–99 的整数"),
    ("必需", "required", "是 / 否"),
    ("可容缺", "tolerance", "是 / 否；只有必需材料可容缺"),
    ("可数据共享调取", "data_sharing", "是 / 否"),
    ("说明", "note", ""),
]
LIST_KEYS = {"payment_methods", "target_groups", "keywords", "window_kinds"}
BOOL_KEYS = {
    "comprehensive",
    "bank_outlet",
    "green_channel_eligible",
    "bangban_daiban",
    "online",
    "active",
}
MAX_LEN = {
    "code": 64,
    "name": 300,
    "short_name": 100,
    "parent_name": 300,
    "department_code": 40,
    "department_name": 100,
    "fee_note": 300,
    "source": 40,
    "source_ref": 300,
}
MATERIAL_MAX_LEN = {"name": 300, "note": 300}


@dataclass(frozen=True)
class RowError:
    sheet: str
    row: int
    column: str
    message: str

    def __str__(self):
        where = f"「{self.sheet}」表"
        if self.row:
            where += f"第 {self.row} 行"
        if self.column:
            where += f"「{self.column}」列"
        return f"{where}：{self.message}"

    def as_dict(self):
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


# --- export --------------------------------------------------------------------------------


def _yes(v: bool) -> str:
    return "是" if v else "否"


def item_row(item) -> list:
    return [
        item.code,
        item.name,
        item.short_name,
        item.parent_name,
        item.department.code,
        item.department.name,
        item.item_type,
        item.legal_limit,
        UNIT_LABELS.get(item.legal_limit_unit, item.legal_limit_unit),
        item.promised_limit,
        UNIT_LABELS.get(item.promised_limit_unit, item.promised_limit_unit),
        item.visits_required,
        None if item.fee is None else float(item.fee),
        item.fee_note,
        join_list(item.payment_methods),
        join_list(item.target_groups),
        join_list(item.keywords),
        join_list(item.window_kinds),
        _yes(item.comprehensive),
        _yes(item.bank_outlet),
        _yes(item.green_channel_eligible),
        _yes(item.bangban_daiban),
        _yes(item.online),
        _yes(item.active),
        item.notes,
        item.source,
        item.source_ref,
    ]


def material_row(item, m) -> list:
    return [
        item.code,
        m.position,
        m.name,
        m.kind,
        m.copies,
        _yes(m.required),
        _yes(m.tolerance),
        _yes(m.data_sharing),
        m.note,
    ]


def _header(ws, columns):
    ws.append([c[0] for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="EEF0F4")
    ws.freeze_panes = "B2"


def build_workbook(items) -> bytes:
    """`items`: an iterable of ServiceItem (with department and materials prefetched)."""
    wb = Workbook()
    ws_items = wb.active
    ws_items.title = ITEMS_SHEET
    ws_materials = wb.create_sheet(MATERIALS_SHEET)
    ws_help = wb.create_sheet(HELP_SHEET)
    _header(ws_items, ITEM_COLUMNS)
    _header(ws_materials, MATERIAL_COLUMNS)
    for item in items:
        ws_items.append(item_row(item))
        for m in item.materials.all():
            ws_materials.append(material_row(item, m))
    widths = {
        "事项编码": 22,
        "事项名称": 40,
        "实施部门": 24,
        "材料名称": 48,
        "备注": 40,
        "来源条目": 30,
    }
    for ws, columns in ((ws_items, ITEM_COLUMNS), (ws_materials, MATERIAL_COLUMNS)):
        for i, (header, _k, _h) in enumerate(columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = widths.get(header, 12)
    ws_help.append(["表", "列", "填写要求"])
    for cell in ws_help[1]:
        cell.font = Font(bold=True)
    for sheet, columns in ((ITEMS_SHEET, ITEM_COLUMNS), (MATERIALS_SHEET, MATERIAL_COLUMNS)):
        for header, _k, help_text in columns:
            ws_help.append([sheet, header, help_text])
    ws_help.append([])
    ws_help.append(
        [
            "",
            "导入规则",
            "先检查全部行，任何一行有错则整个文件不导入；「事项」表中的事项整体更新（其材料以「材料」表为准），"
            "未出现在文件中的事项保持不变。",
        ]
    )
    ws_help.column_dimensions["A"].width = 10
    ws_help.column_dimensions["B"].width = 18
    ws_help.column_dimensions["C"].width = 90
    for row in ws_help.iter_rows(min_row=2):
        row[2].alignment = Alignment(wrap_text=True)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- import --------------------------------------------------------------------------------


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
    missing = [h for h, _k, _ in columns if h not in index]
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
