"""Writes to the catalog. Every importer (demo YAML, Excel, real public catalogs) ends in
`upsert_item`, so the same rules apply whatever the source."""

from decimal import Decimal, InvalidOperation

from django.db import transaction

from yimen.exchange import codes as national_codes

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
        "visits_required": data.get("visits_required")
        if data.get("visits_required") is not None
        else 1,
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
    if "active" in data:
        fields["active"] = bool(data["active"])
    item = ServiceItem.objects.filter(code=data["code"]).first()
    materials = [
        {
            "position": i,
            "name": m["name"],
            "kind": m.get("kind") or "原件",
            "copies": int(m.get("copies") or 1),
            "required": bool(m.get("required", True)),
            "tolerance": bool(m.get("tolerance", False)) and bool(m.get("required", True)),
            "data_sharing": bool(
                m.get("data_sharing", any(h in m["name"] for h in DATA_SHARING_HINTS))
            ),
            "note": m.get("note") or "",
        }
        for i, m in enumerate(data.get("materials") or [], start=1)
    ]
    if item is None:
        item = ServiceItem.objects.create(code=data["code"], **fields)
        Material.objects.bulk_create(Material(item=item, **m) for m in materials)
        national_codes.apply(item, data)  # GB/T 39554.1 基本编码 / 实施编码, when given
        return item, True
    national_codes.apply(item, data)
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
        {
            k: getattr(m, k)
            for k in (
                "position",
                "name",
                "kind",
                "copies",
                "required",
                "tolerance",
                "data_sharing",
                "note",
            )
        }
        for m in item.materials.order_by("position", "id")
    ]
    if existing != materials:
        item.materials.all().delete()
        Material.objects.bulk_create(Material(item=item, **m) for m in materials)
        changed = True
    if changed:
        item.save()
    return item, changed


# --- departments -----------------------------------------------------------------------------


def ensure_department(code: str, name: str) -> tuple[Department, bool]:
    """The department with this code (created, or renamed to `name`). Returns (dept, changed)."""
    dept = Department.objects.filter(code=code).first()
    if dept is None:
        dept = Department.objects.filter(name=name).first()
        if dept is not None:
            return dept, False
        return Department.objects.create(code=code, name=name), True
    if dept.name != name and not Department.objects.filter(name=name).exclude(pk=dept.pk).exists():
        dept.name = name
        dept.save(update_fields=["name"])
        return dept, True
    return dept, False


# --- permission ------------------------------------------------------------------------------


def _check_catalog_admin(actor):
    """Catalog maintenance: Django superusers / users with the catalog change permission, or
    staff with the 管理员 role. `actor=None` is the command line (operator on the server)."""
    if actor is None:
        return
    from yimen.core.errors import Forbidden, Unauthorized

    user = getattr(actor, "user", actor)
    if not getattr(user, "is_authenticated", False):
        raise Unauthorized("请先登录。")
    if user.is_superuser or user.has_perm("catalog.change_serviceitem"):
        return
    staff = getattr(user, "staff", None)
    if staff is not None and staff.role == "admin" and staff.active:
        return
    raise Forbidden("只有管理员可以维护事项库。")


# --- real public catalogs --------------------------------------------------------------------


def import_public_catalog(source: str, path, actor=None) -> dict:
    """Import a real public catalog (`gd` / `sc`, see importers.py) in one transaction.
    Every record imports; idempotent. Returns counts: total, created, updated, unchanged,
    warnings (values present but not understood, kept empty), departments_created,
    and up to 20 warning texts as examples."""
    from yimen.core import audit
    from yimen.core.errors import ValidationFailed

    from .importers import READERS, SourceFormatError

    _check_catalog_admin(actor)
    if source not in READERS:
        raise ValidationFailed(f"未知的来源「{source}」，可选：{'、'.join(READERS)}")
    try:
        records = list(READERS[source](path))
    except SourceFormatError as exc:
        raise ValidationFailed(f"文件格式不正确：{exc}")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationFailed(f"无法读取文件 {path}：{exc}")
    counts = {
        "source": source,
        "total": len(records),
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "warnings": 0,
        "departments_created": 0,
        "warning_examples": [],
    }
    seen = set()
    with transaction.atomic():
        existing = set(ServiceItem.objects.values_list("code", flat=True))  # no huge IN (...) lists
        departments = {}
        for record in records:
            code = record.data["code"]
            if code in seen:
                raise ValidationFailed(f"文件中事项编码重复：{code}")
            seen.add(code)
            dept = departments.get(record.department_code)
            if dept is None:
                dept, dept_changed = ensure_department(
                    record.department_code, record.department_name
                )
                departments[record.department_code] = dept
                counts["departments_created"] += int(dept_changed)
            _item, changed = upsert_item(record.data, dept)
            if code not in existing:
                counts["created"] += 1
            elif changed:
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
            counts["warnings"] += len(record.warnings)
            for w in record.warnings:
                if len(counts["warning_examples"]) < 20:
                    counts["warning_examples"].append(f"{code}：{w}")
        if counts["created"] or counts["updated"]:
            audit.record(
                actor,
                "catalog.import",
                object_type="catalog.serviceitem",
                object_id=source,
                after={k: v for k, v in counts.items() if k != "warning_examples"},
                reason=f"导入 {path}",
            )
    return counts


# --- Excel -----------------------------------------------------------------------------------


def export_catalog_excel(items=None) -> bytes:
    """The catalog (or the given items queryset) as an xlsx workbook (see excel/)."""
    from .excel import build_workbook

    qs = items if items is not None else ServiceItem.objects.all()
    qs = qs.select_related("department", "national_code").prefetch_related("materials")
    qs = qs.order_by("code")
    return build_workbook(
        qs.iterator(chunk_size=1000)
    )  # prefetches per chunk: bounded IN (...) lists


class CatalogImportRejected(Exception):
    """The workbook has errors; nothing was imported. `.errors` are RowError rows."""

    def __init__(self, errors):
        super().__init__(f"文件有 {len(errors)} 处错误，未导入任何数据。")
        self.errors = errors


def import_catalog_excel(data: bytes, actor=None, request=None) -> dict:
    """Validate every row, then import all of it in one transaction (or nothing). Items in the
    file are created/updated (their materials replaced by the file's); others are untouched."""
    from yimen.core import audit

    from .excel import parse_workbook

    _check_catalog_admin(actor)
    departments = dict(Department.objects.values_list("code", "name"))
    items, errors = parse_workbook(data, departments)
    if errors:
        raise CatalogImportRejected(errors)
    counts = {
        "total": len(items),
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "departments_created": 0,
    }
    with transaction.atomic():
        existing = set(ServiceItem.objects.values_list("code", flat=True))  # no huge IN (...) lists
        dept_cache = {}
        for item in items:
            dcode = item["department_code"]
            dept = dept_cache.get(dcode)
            if dept is None:
                dept = Department.objects.filter(code=dcode).first()
                if dept is None:
                    dept = Department.objects.create(code=dcode, name=item["department_name"])
                    counts["departments_created"] += 1
                dept_cache[dcode] = dept
            _obj, changed = upsert_item(item, dept)
            if item["code"] not in existing:
                counts["created"] += 1
            elif changed:
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
        if counts["created"] or counts["updated"]:
            audit.record(
                actor,
                "catalog.excel_import",
                object_type="catalog.serviceitem",
                object_id="excel",
                after=counts,
                request=request,
            )
    return counts


def set_items_active(items, active: bool, actor=None, request=None) -> int:
    """Activate / deactivate items (an inactive item leaves the public guide). Returns how many changed."""
    from yimen.core import audit, changes

    _check_catalog_admin(actor)
    with transaction.atomic():
        to_change = items.exclude(active=active)
        codes = list(to_change.values_list("code", flat=True))
        to_change.update(active=active)
        if codes:
            changes.bump("config")  # QuerySet.update sends no signal; the queue caches item lists
            audit.record(
                actor,
                "catalog.activate" if active else "catalog.deactivate",
                object_type="catalog.serviceitem",
                object_id=f"{len(codes)} items",
                after={"active": active, "codes": codes[:200], "count": len(codes)},
                request=request,
            )
    return len(codes)
