"""The catalog as an Excel workbook (openpyxl), because centres maintain these lists in
spreadsheets.

Workbook layout (Chinese headers, one header row, any column order; `layout.py`):
- sheet 「事项」: one row per item (ITEM_COLUMNS);
- sheet 「材料」: one row per material, linked by 事项编码 (MATERIAL_COLUMNS);
- sheet 「填写说明」: what each column takes (ignored on import).

Export is `writing.build_workbook`; import is `reading.parse_workbook` (validates every row, never
writes). The public names are re-exported here for `from yimen.catalog.excel import …`.
"""

from .layout import (
    BOOL_KEYS as BOOL_KEYS,
    HELP_SHEET as HELP_SHEET,
    ITEM_COLUMNS as ITEM_COLUMNS,
    ITEMS_SHEET as ITEMS_SHEET,
    LIST_KEYS as LIST_KEYS,
    MATERIAL_COLUMNS as MATERIAL_COLUMNS,
    MATERIAL_MAX_LEN as MATERIAL_MAX_LEN,
    MATERIALS_SHEET as MATERIALS_SHEET,
    MAX_LEN as MAX_LEN,
    RowError as RowError,
)
from .reading import parse_workbook as parse_workbook
from .writing import (
    build_workbook as build_workbook,
    item_row as item_row,
    material_row as material_row,
)
