"""The catalog workbook's layout: sheet names, the columns of 「事项」 and 「材料」 (header, key,
help), the keys read as lists, flags and bounded texts, and a row's error as reported back."""

from __future__ import annotations

from dataclasses import dataclass

from ..models import ITEM_TYPES, WINDOW_KINDS
from ..rules import MATERIAL_KIND_VALUES

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
    ("基本编码", "basic_code", "GB/T 39554.1：12 位数字；不知道可留空"),
    ("实施编码", "implementation_code", "GB/T 39554.1：31 位（业务办理项 33 位）；不知道可留空"),
]
# columns an older workbook may lack (then the item's national codes are left as they are)
OPTIONAL_ITEM_COLUMNS = {"基本编码", "实施编码"}
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
