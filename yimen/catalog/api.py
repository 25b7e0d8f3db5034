"""Catalog JSON API: GET /api/items?q=&department= and GET /api/items/{code}."""

from datetime import datetime
from decimal import Decimal

from ninja import Query, Router, Schema

from yimen.core import clock
from yimen.core.inputs import errors
from yimen.outlets.selectors import outlets_for_item

from . import selectors

router = Router()


class ItemOut(Schema):
    code: str
    name: str
    short_name: str
    department: str
    department_code: str
    item_type: str
    legal_limit: int | None
    legal_limit_unit: str
    promised_limit: int | None
    promised_limit_unit: str
    immediate: bool
    visits_required: int
    comprehensive: bool
    bank_outlet: bool
    green_channel_eligible: bool
    online: bool


class ItemPage(Schema):
    count: int
    items: list[ItemOut]


class ItemMaterialOut(Schema):
    position: int
    name: str
    kind: str
    copies: int
    required: bool
    tolerance: bool
    data_sharing: bool
    note: str


class WhereOut(Schema):
    outlet: str
    outlet_name: str
    outlet_kind: str
    window_kinds: list[str]
    open_now: bool
    closes_at: datetime | None
    next_opening: datetime | None


class ItemDetailOut(ItemOut):
    parent_name: str
    fee: Decimal | None
    fee_note: str
    payment_methods: list[str]
    target_groups: list[str]
    keywords: list[str]
    window_kinds: list[str]
    bangban_daiban: bool
    notes: str
    materials: list[ItemMaterialOut]
    where: list[WhereOut]


class ItemFilter(Schema):
    q: str = ""
    department: str = ""
    comprehensive: bool | None = None
    bank: bool | None = None
    limit: int = 50
    offset: int = 0


def item_dict(item) -> dict:
    return {
        "code": item.code,
        "name": item.name,
        "short_name": item.short_name,
        "department": item.department.name,
        "department_code": item.department.code,
        "item_type": item.item_type,
        "legal_limit": item.legal_limit,
        "legal_limit_unit": item.legal_limit_unit,
        "promised_limit": item.promised_limit,
        "promised_limit_unit": item.promised_limit_unit,
        "immediate": item.is_immediate,
        "visits_required": item.visits_required,
        "comprehensive": item.comprehensive,
        "bank_outlet": item.bank_outlet,
        "green_channel_eligible": item.green_channel_eligible,
        "online": item.online,
    }


@router.get(
    "/items", response={200: ItemPage, **errors()}, summary="搜索事项", url_name="catalog_items"
)
def list_items(request, filters: Query[ItemFilter]):
    """按名称、简称、关键词、编码搜索事项（多个词以空格分隔，须全部包含）；可按部门编码、综合窗口、银行网点过滤。
    `limit` 1–200，`offset` 从 0 开始。"""
    limit = min(max(filters.limit, 1), 200)
    offset = max(filters.offset, 0)
    qs = selectors.search_items(
        filters.q[:100],
        department=filters.department,
        comprehensive=filters.comprehensive,
        bank=filters.bank,
    )
    return {"count": qs.count(), "items": [item_dict(i) for i in qs[offset : offset + limit]]}


@router.get(
    "/items/{code}",
    response={200: ItemDetailOut, **errors(404)},
    summary="事项办事指南",
    url_name="catalog_item",
)
def get_item(request, code: str):
    """事项详情：材料清单、时限、收费，以及可办理的网点（开放中的在前）。未知编码返回 404。"""
    item = selectors.get_item(code)
    now = clock.now()
    data = item_dict(item)
    data.update(
        {
            "parent_name": item.parent_name,
            "fee": item.fee,
            "fee_note": item.fee_note,
            "payment_methods": item.payment_methods,
            "target_groups": item.target_groups,
            "keywords": item.keywords,
            "window_kinds": item.window_kinds,
            "bangban_daiban": item.bangban_daiban,
            "notes": item.notes,
            "materials": [
                {
                    "position": m.position,
                    "name": m.name,
                    "kind": m.kind,
                    "copies": m.copies,
                    "required": m.required,
                    "tolerance": m.tolerance,
                    "data_sharing": m.data_sharing,
                    "note": m.note,
                }
                for m in item.materials.all()
            ],
            "where": [
                {
                    "outlet": r["outlet"].code,
                    "outlet_name": r["outlet"].name,
                    "outlet_kind": r["outlet"].kind,
                    "window_kinds": r["window_kinds"] or list(item.window_kinds),
                    "open_now": r["open_now"],
                    "closes_at": r["closes_at"],
                    "next_opening": r["next_opening"],
                }
                for r in outlets_for_item(item, now)
            ],
        }
    )
    return data


from . import bundle_api as bundle_api  # noqa: E402  (一件事 routes on this router)
