"""一件事 and situational-guide API (on the catalog router):
GET /api/bundles, GET /api/bundles/{code}, GET /api/items/{code}/guide?s_<question>=<answer>."""

from __future__ import annotations

from typing import Any

from ninja import Schema

from yimen.core.inputs import errors

from . import bundles, selectors
from .api import router


class BundleMaterialOut(Schema):
    name: str
    kind: str
    copies: int
    required: bool
    note: str
    covers: list[str]


class BundleOut(Schema):
    code: str
    name: str
    description: str
    national_ref: str
    items: list[str]
    item_names: list[str]
    form_fields: list[dict[str, Any]]
    materials: list[BundleMaterialOut]
    items_materials_total: int
    merged_ratio: float


class OptionOut(Schema):
    value: str
    label: str


class QuestionOut(Schema):
    key: str
    text: str
    options: list[OptionOut]


class GuideMaterialOut(Schema):
    name: str
    kind: str
    copies: int
    required: bool
    tolerance: bool
    data_sharing: bool
    note: str
    promise: bool


class GuideOut(Schema):
    code: str
    name: str
    answers: dict[str, str]
    situation: list[str]
    questions: list[QuestionOut]
    materials: list[GuideMaterialOut]
    eligibility: str
    min_age: int | None
    legal_basis: str
    process: list[str]
    fee: str
    payment: str
    consult_phone: str
    complaint_phone: str
    result_name: str
    result_sample: str
    bundles: list[str]


@router.get(
    "/bundles",
    response={200: list[BundleOut], **errors()},
    summary="一件事清单",
    url_name="catalog_bundles",
)
def list_bundles(request):
    """全部在用的“一件事”：包含的事项编码、合并后的一套材料（每项材料只列一次，covers 为其对应的事项）。"""
    return [bundles.bundle_dict(b) for b in bundles.list_bundles()]


@router.get(
    "/bundles/{code}",
    response={200: BundleOut, **errors(404)},
    summary="一件事详情",
    url_name="catalog_bundle",
)
def get_bundle(request, code: str):
    """一个“一件事”：事项、联合申请表字段、合并材料清单。未知编码返回 404。"""
    return bundles.bundle_dict(bundles.get_bundle(code))


@router.get(
    "/items/{code}/guide",
    response={200: GuideOut, **errors(404)},
    summary="情形化办事指南",
    url_name="catalog_item_guide",
)
def item_guide(request, code: str):
    """完整办事指南：受理条件、设定依据、流程、收费与缴费方式、电话、结果样本；按情形回答
    （查询参数 `s_<问题代码>=<选项>`）裁剪后的材料清单。回答不在选项内返回 400。"""
    item = selectors.get_item(code)
    answers = bundles.clean_answers(item, bundles.answers_from(request.GET))
    return {
        "code": item.code,
        "name": item.name,
        "answers": answers,
        "situation": bundles.situation_lines(item, answers),
        "questions": [
            {
                "key": q.key,
                "text": q.text,
                "options": [{"value": o.value, "label": o.label} for o in q.options],
            }
            for q in bundles.questions_of(item)
        ],
        "materials": bundles.tailored_materials(item, answers),
        **bundles.guide_of(item),
        "bundles": [b.code for b in bundles.bundles_of_item(item)],
    }
