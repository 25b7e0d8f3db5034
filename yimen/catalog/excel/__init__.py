"""The catalog as an Excel workbook (openpyxl), by concern; the public names are re-exported here
for `from yimen.catalog.excel import …`."""

from .reading import (
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
    build_workbook as build_workbook,
    item_row as item_row,
    material_row as material_row,
    parse_workbook as parse_workbook,
)
