"""Reads of 高效办成一件事 in the catalog: bundles with their merged lists, the situational
questions of an item and its tailored material list, 告知承诺 terms and the complete guide."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch

from yimen.core.errors import NotFound

from . import bundle_rules
from .models import Bundle, BundleItem, BundleMaterial, ItemGuide, PromiseTerms, ServiceItem

PUBLIC_PHONE = "12345"  # 政务服务便民热线
CENTRE_PHONE = "0971-6100000（城西区市民服务中心）"


def bundles_qs():
    return Bundle.objects.filter(active=True).prefetch_related(
        Prefetch(
            "bundle_items",
            queryset=BundleItem.objects.select_related("item__department").order_by("position"),
        ),
        Prefetch(
            "materials",
            queryset=BundleMaterial.objects.prefetch_related("sources__item").order_by("position"),
        ),
    )


def list_bundles() -> list[Bundle]:
    return list(bundles_qs().order_by("code"))


def get_bundle(code: str) -> Bundle:
    bundle = bundles_qs().filter(code=code).first()
    if bundle is None:
        raise NotFound(f"找不到一件事：{code}", code="unknown_bundle")
    return bundle


def bundle_items(bundle: Bundle) -> list[ServiceItem]:
    return [bi.item for bi in bundle.bundle_items.all()]


def merged_materials(bundle: Bundle) -> list[dict[str, Any]]:
    return [
        {
            "id": m.pk,
            "name": m.name,
            "kind": m.kind,
            "copies": m.copies,
            "required": m.required,
            "note": m.note,
            "covers": sorted(
                {f"{s.item.code}" for s in m.sources.all()},
            ),
        }
        for m in bundle.materials.all()
    ]


def bundle_dict(bundle: Bundle) -> dict[str, Any]:
    """The `GET /api/bundles` record: code, name, items (codes), materials (merged list)."""
    items = bundle_items(bundle)
    per_item = [len(i.materials.all()) for i in items]
    materials = merged_materials(bundle)
    return {
        "code": bundle.code,
        "name": bundle.name,
        "description": bundle.description,
        "national_ref": bundle.national_ref,
        "items": [i.code for i in items],
        "item_names": [i.display_name for i in items],
        "form_fields": list(bundle.form_fields or []),
        "materials": materials,
        "items_materials_total": sum(per_item),
        "merged_ratio": round(bundle_rules.merged_ratio(len(materials), per_item), 3),
    }


def bundle_records() -> list[bundle_rules.BundleRecord]:
    return [
        bundle_rules.BundleRecord(
            b.code,
            b.name,
            tuple(str(k) for k in b.keywords or []),
            tuple(bi.item.display_name for bi in b.bundle_items.all()),
        )
        for b in bundles_qs()
    ]


def find_bundles(text: str, limit: int = 3) -> list[dict[str, Any]]:
    """Bundles matching plain words, best first, each as bundle_dict + score + why."""
    ranked = bundle_rules.match_bundles(text, bundle_records(), limit=limit)
    if not ranked:
        return []
    by_code = {b.code: b for b in bundles_qs().filter(code__in=[r[0] for r in ranked])}
    return [
        {**bundle_dict(by_code[code]), "score": score, "why": why}
        for code, score, why in ranked
        if code in by_code
    ]


def bundles_of_item(item: ServiceItem) -> list[Bundle]:
    return list(Bundle.objects.filter(active=True, items=item).order_by("code"))


# --- situations -----------------------------------------------------------------------------------
def questions_of(item: ServiceItem) -> list[bundle_rules.Question]:
    return [
        bundle_rules.question_from(q.key, q.text, q.options)
        for q in item.questions.all().order_by("position", "id")
    ]


def material_dict(m) -> dict[str, Any]:
    return {
        "id": m.pk,
        "name": m.name,
        "kind": m.kind,
        "copies": m.copies,
        "required": m.required,
        "tolerance": m.tolerance,
        "data_sharing": m.data_sharing,
        "note": m.note,
    }


def tailored_materials(item: ServiceItem, answers: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The item's materials for these answers (ValidationFailed on an unknown answer); with no
    answers, the catalog list. Each carries `promise` when a 告知承诺 may replace it."""
    promisable = set(promise_materials(item))
    base = [material_dict(m) for m in item.materials.all()]
    rows = bundle_rules.tailor(base, questions_of(item), answers or {})
    for r in rows:
        r.setdefault("id", None)
        r.setdefault("kind", "原件")
        r.setdefault("copies", 1)
        r.setdefault("required", True)
        r.setdefault("tolerance", False)
        r.setdefault("data_sharing", False)
        r.setdefault("note", r.get("because", ""))
        r["promise"] = r["name"] in promisable
    return rows


def clean_answers(item: ServiceItem, answers: dict[str, Any] | None) -> dict[str, str]:
    return bundle_rules.clean_answers(questions_of(item), answers or {})


def situation_lines(item: ServiceItem, answers: dict[str, str]) -> list[str]:
    return bundle_rules.situation_summary(questions_of(item), answers)


def answers_from(query) -> dict[str, str]:
    """Answers from a GET/POST QueryDict: fields named `s_<key>`."""
    return {k[2:]: v for k, v in query.items() if k.startswith("s_") and v}


# --- 告知承诺 and the complete guide ---------------------------------------------------------------
def promise_terms(item: ServiceItem) -> PromiseTerms | None:
    return PromiseTerms.objects.filter(item=item).first()


def promise_materials(item: ServiceItem) -> list[str]:
    terms = promise_terms(item)
    return list(terms.materials) if terms else []


def guide_of(item: ServiceItem) -> dict[str, Any]:
    """受理条件, 设定依据, 办理流程, fees and how to pay, phones, result sample — with the
    centre's defaults where the item has no record."""
    g = ItemGuide.objects.filter(item=item).first()
    methods = "、".join(item.payment_methods or [])
    return {
        "eligibility": g.eligibility if g else "",
        "min_age": g.min_age if g else None,
        "legal_basis": g.legal_basis if g else "",
        "process": list(g.process) if g and g.process else _default_process(item),
        "fee": item.fee_display,
        "payment": (g.payment_note if g and g.payment_note else "")
        or (f"缴费方式：{methods}" if methods else "不收费，无需缴费"),
        "consult_phone": (g.consult_phone if g else "") or CENTRE_PHONE,
        "complaint_phone": (g.complaint_phone if g else "") or PUBLIC_PHONE,
        "result_name": g.result_name if g else "",
        "result_sample": g.result_sample if g else "",
    }


def _default_process(item: ServiceItem) -> list[str]:
    if item.is_immediate:
        return ["到可办理的窗口取号", "窗口核验材料", "当场办结"]
    return [
        "到可办理的窗口取号",
        "窗口核验材料并受理（出具受理通知书）",
        f"部门审批（承诺{item.promised_limit_display}）",
        "领取结果或邮寄送达",
    ]


def eligibility_check(item: ServiceItem, age: int | None) -> str:
    """A plain warning when the applicant is too young for the item (S07: 65 < 70)."""
    g = ItemGuide.objects.filter(item=item).first()
    if g is None or g.min_age is None or age is None or age >= g.min_age:
        return ""
    return (
        f"「{item.display_name}」须年满{g.min_age}周岁，您现在{age}周岁，"
        f"还需{g.min_age - age}年。{g.eligibility}"
    )
