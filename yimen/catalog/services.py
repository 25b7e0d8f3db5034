"""Writes to the catalog. Every importer (demo YAML, Excel, real public catalogs) ends in
`upsert_item`, so the same rules apply whatever the source."""
from decimal import Decimal, InvalidOperation

from django.db import transaction

from .models import Department, Material, ServiceItem

DATA_SHARING_HINTS = ("共享调取", "数据共享", "电子证照")


def get_or_create_department(name: str, code: str | None = None) -> Department:
    dept = Department.objects.filter(name=name).first()
    if dept:
        return dept
    if not code:
        base = f"D{Department.objects.count() + 1:03d}"
        code = base
        n = 1
        while Department.objects.filter(code=code).exists():
            n += 1
            code = f"{base}-{n}"
    return Department.objects.create(code=code, name=name)


def parse_fee(value) -> tuple[Decimal | None, str]:
    if value is None or value == "":
        return None, ""
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value)), ""
    text = str(value).strip()
    if text in ("无", "不收费", "免费", "0"):
        return Decimal("0"), "" if text == "0" else text
    try:
        return Decimal(text), ""
    except InvalidOperation:
        return None, text


@transaction.atomic
def upsert_item(data: dict, department: Department) -> tuple[ServiceItem, bool]:
    """Create or update one item and replace its materials. Returns (item, changed)."""
    fields = {
        "name": data["name"],
        "short_name": data.get("short_name") or "",
        "parent_name": data.get("parent_name") or "",
        "department": department,
        "item_type": data.get("type") or data.get("item_type") or "公共服务",
        "legal_limit": data.get("legal_limit"),
        "legal_limit_unit": data.get("legal_limit_unit") or "workday",
        "promised_limit": data.get("promised_limit"),
        "promised_limit_unit": data.get("promised_limit_unit") or "workday",
        "visits_required": data.get("visits_required", 1) if data.get("visits_required") is not None else 1,
        "fee": data.get("fee"),
        "fee_note": data.get("fee_note") or "",
        "payment_methods": list(data.get("payment_methods") or []),
        "target_groups": list(data.get("target_groups") or []),
        "keywords": list(data.get("keywords") or []),
        "window_kinds": list(data.get("window_kinds") or []),
        "comprehensive": bool(data.get("comprehensive")),
        "bank_outlet": bool(data.get("bank_outlet")),
        "green_channel_eligible": bool(data.get("green_channel_eligible")),
        "bangban_daiban": bool(data.get("bangban_daiban")),
        "online": bool(data.get("online")),
        "notes": data.get("notes") or "",
        "source": data.get("source") or "",
        "source_ref": data.get("source_ref") or "",
    }
    item = ServiceItem.objects.filter(code=data["code"]).first()
    materials = [
        {
            "position": i,
            "name": m["name"],
            "kind": m.get("kind") or "原件",
            "copies": int(m.get("copies") or 1),
            "required": bool(m.get("required", True)),
            "tolerance": bool(m.get("tolerance", False)) and bool(m.get("required", True)),
            "data_sharing": bool(m.get("data_sharing", any(h in m["name"] for h in DATA_SHARING_HINTS))),
            "note": m.get("note") or "",
        }
        for i, m in enumerate(data.get("materials") or [], start=1)
    ]
    if item is None:
        item = ServiceItem.objects.create(code=data["code"], **fields)
        Material.objects.bulk_create(Material(item=item, **m) for m in materials)
        return item, True
    changed = False
    for key, value in fields.items():
        current = getattr(item, key)
        if key == "department":
            current_cmp, value_cmp = item.department_id, value.pk
        elif key == "fee":
            current_cmp = None if current is None else Decimal(current)
            value_cmp = None if value is None else Decimal(value)
        else:
            current_cmp, value_cmp = current, value
        if current_cmp != value_cmp:
            setattr(item, key, value)
            changed = True
    existing = [
        {k: getattr(m, k) for k in ("position", "name", "kind", "copies", "required", "tolerance", "data_sharing", "note")}
        for m in item.materials.order_by("position", "id")
    ]
    if existing != materials:
        item.materials.all().delete()
        Material.objects.bulk_create(Material(item=item, **m) for m in materials)
        changed = True
    if changed:
        item.save()
    return item, changed
