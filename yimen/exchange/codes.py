"""National item codes (GB/T 39554.1) of catalog items: 基本编码 and 实施编码, validated
(rules.check_basic_code / check_implementation_code). Called by catalog.services.upsert_item, the
one sink of the demo catalog, the public-catalog imports and the Excel import."""

from __future__ import annotations

from django.db import transaction

from yimen.core.errors import ValidationFailed

from . import rules
from .models import ItemCode


def check(basic: str, implementation: str) -> tuple[str, str, str]:
    """(basic, implementation, problem): the basic code is taken from the implementation code
    when only that is given; problem is '' when both are valid."""
    basic, implementation = (basic or "").strip(), (implementation or "").strip().upper()
    if implementation and not basic and len(implementation) in (31, 33):
        basic = implementation[19:31]
    problem = rules.check_basic_code(basic) if basic else ""
    if not problem and implementation:
        problem = rules.check_implementation_code(implementation, basic)
    return basic, implementation, problem


@transaction.atomic
def apply(item, data: dict) -> ItemCode | None:
    """Store the codes given in an item's data (keys basic_code / implementation_code); nothing
    when neither key is present. Raises ValidationFailed for an invalid code."""
    if "basic_code" not in data and "implementation_code" not in data:
        return None
    basic, implementation, problem = check(
        str(data.get("basic_code") or ""), str(data.get("implementation_code") or "")
    )
    if problem:
        raise ValidationFailed(f"事项 {item.code}：{problem}", code="national_code_invalid")
    if not basic and not implementation:
        ItemCode.objects.filter(item=item).delete()
        return None
    code, _ = ItemCode.objects.update_or_create(
        item=item, defaults={"basic_code": basic, "implementation_code": implementation}
    )
    return code
