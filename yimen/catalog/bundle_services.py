"""Writes of 高效办成一件事 in the catalog: bundles, situational questions, 告知承诺 terms and the
complete-guide fields, loaded from a YAML file (the demo ships xining-demo/bundles.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import transaction

from yimen.core import changes
from yimen.core.errors import ValidationFailed

from . import bundle_rules
from .models import (
    Bundle,
    BundleItem,
    BundleMaterial,
    ItemGuide,
    ItemQuestion,
    Material,
    PromiseTerms,
    ServiceItem,
)

BUNDLES_FILE = settings.DATA_DIR / "xining-demo" / "bundles.yaml"


def _items(codes: list[str]) -> dict[str, ServiceItem]:
    found = {i.code: i for i in ServiceItem.objects.filter(code__in=codes)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise ValidationFailed(f"找不到事项：{'、'.join(missing)}", code="unknown_item")
    return found


def _material(item: ServiceItem, name: str) -> Material:
    m = item.materials.filter(name=name).first()
    if m is None:
        raise ValidationFailed(f"事项{item.code}没有材料「{name}」。", code="unknown_material")
    return m


def upsert_bundle(raw: dict[str, Any]) -> Bundle:
    """One bundle from its record; refuses one that leaves an item material uncovered or breaks
    the 70 % rule."""
    codes = list(raw["items"])
    items = _items(codes)
    bundle, _ = Bundle.objects.update_or_create(
        code=raw["code"],
        defaults={
            "name": raw["name"],
            "description": raw.get("description", ""),
            "national_ref": raw.get("national_ref", ""),
            "keywords": list(raw.get("keywords") or []),
            "form_fields": list(raw.get("form_fields") or []),
            "active": raw.get("active", True),
        },
    )
    bundle.bundle_items.all().delete()
    BundleItem.objects.bulk_create(
        [BundleItem(bundle=bundle, item=items[c], position=i) for i, c in enumerate(codes, 1)]
    )
    bundle.materials.all().delete()
    covered = []
    for pos, line in enumerate(raw["materials"], start=1):
        bm = BundleMaterial.objects.create(
            bundle=bundle,
            position=pos,
            name=line["name"],
            kind=line.get("kind", "原件"),
            copies=line.get("copies", 1),
            required=line.get("required", True),
            note=line.get("note", ""),
        )
        sources = []
        for ref in line.get("covers") or []:
            code, _, name = str(ref).partition(":")
            if code.strip() not in items:
                raise ValidationFailed(f"{bundle.name}：{code} 不在本一件事的事项中。")
            sources.append(_material(items[code.strip()], name.strip()))
            covered.append(f"{code.strip()}: {name.strip()}")
        bm.sources.set(sources)
    all_materials = [f"{c}: {m.name}" for c in codes for m in items[c].materials.all()]
    left = bundle_rules.uncovered(all_materials, covered)
    if left:
        raise ValidationFailed(f"{bundle.name}：合并清单未覆盖 {'、'.join(left)}。")
    per_item = [items[c].materials.count() for c in codes]
    if not bundle_rules.passes_merge_rule(len(raw["materials"]), per_item):
        raise ValidationFailed(
            f"{bundle.name}：合并后材料 {len(raw['materials'])} 项，超过各事项合计"
            f" {sum(per_item)} 项的70%。",
            code="merge_rule",
        )
    return bundle


def upsert_questions(item: ServiceItem, questions: list[dict[str, Any]]) -> None:
    names = set(item.materials.values_list("name", flat=True))
    item.questions.all().delete()
    for pos, q in enumerate(questions, start=1):
        for opt in q["options"]:
            for name in opt.get("remove") or []:
                if name not in names:
                    raise ValidationFailed(f"{item.code}：情形问题删除的材料「{name}」不存在。")
        ItemQuestion.objects.create(
            item=item, position=pos, key=q["key"], text=q["text"], options=q["options"]
        )


def upsert_promise(item: ServiceItem, raw: dict[str, Any]) -> None:
    names = set(item.materials.values_list("name", flat=True))
    for name in raw["materials"]:
        if name not in names:
            raise ValidationFailed(f"{item.code}：可承诺的材料「{name}」不存在。")
    PromiseTerms.objects.update_or_create(
        item=item,
        defaults={
            "materials": list(raw["materials"]),
            "text": raw["text"],
            "verify_method": raw.get("verify_method", "书面"),
            "verify_workdays": raw.get("verify_workdays", 10),
            "basis": raw.get("basis", ""),
        },
    )


def upsert_guide(item: ServiceItem, raw: dict[str, Any], defaults: dict[str, Any]) -> None:
    fields = {
        "eligibility": raw.get("eligibility", ""),
        "min_age": raw.get("min_age"),
        "legal_basis": raw.get("legal_basis", ""),
        "process": list(raw.get("process") or []),
        "payment_note": raw.get("payment_note", ""),
        "consult_phone": raw.get("consult_phone") or defaults.get("consult_phone", ""),
        "complaint_phone": raw.get("complaint_phone") or defaults.get("complaint_phone", ""),
        "result_name": raw.get("result_name", ""),
        "result_sample": raw.get("result_sample", ""),
    }
    ItemGuide.objects.update_or_create(item=item, defaults=fields)


@transaction.atomic
def load_file(path: Path = BUNDLES_FILE) -> str:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    bundles = [upsert_bundle(b) for b in data.get("bundles") or []]
    codes = (
        set(data.get("situations") or {})
        | set(data.get("promises") or {})
        | set(data.get("guides") or {})
    )
    items = _items(sorted(codes))
    for code, questions in (data.get("situations") or {}).items():
        upsert_questions(items[code], questions)
    for code, raw in (data.get("promises") or {}).items():
        upsert_promise(items[code], raw)
    defaults = data.get("defaults") or {}
    for code, raw in (data.get("guides") or {}).items():
        upsert_guide(items[code], raw, defaults)
    changes.bump("config")
    return (
        f"一件事：{len(bundles)} 个；情形化指南 {len(data.get('situations') or {})} 项；"
        f"告知承诺 {len(data.get('promises') or {})} 项；完整指南 {len(data.get('guides') or {})} 项"
    )
