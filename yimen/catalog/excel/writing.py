"""Export: the catalog (or any items) as a workbook with the 「事项」, 「材料」 and 「填写说明」 sheets
that `reading.parse_workbook` takes back."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..rules import UNIT_LABELS, join_list
from .layout import (
    HELP_SHEET,
    ITEM_COLUMNS,
    ITEMS_SHEET,
    MATERIAL_COLUMNS,
    MATERIALS_SHEET,
)


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
        *_national_codes(item),
    ]


def _national_codes(item) -> tuple[str, str]:
    code = getattr(item, "national_code", None)  # exchange.ItemCode (GB/T 39554.1), if any
    return (code.basic_code, code.implementation_code) if code else ("", "")


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
