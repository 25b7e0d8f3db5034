"""情形化办事指南 at intake: the case's checklist is the item's list tailored to the applicant's
answers, and the answers are kept with the case (the one-time notice and the "no second surprise"
rule then work on the tailored list, which is what the case's materials are)."""

from __future__ import annotations

from django.db import transaction

from yimen.catalog import bundles as catalog_bundles
from yimen.core import audit

from ..models import CaseMaterial, CaseSituation
from .intake import open_case


@transaction.atomic
def open_tailored_case(actor, *, item, answers: dict | None = None, request=None, **kwargs):
    """open_case, then the checklist rebuilt from the tailored list when answers were given."""
    clean = catalog_bundles.clean_answers(item, answers)
    case = open_case(actor, item=item, request=request, **kwargs)
    if not clean:
        return case
    rows = catalog_bundles.tailored_materials(item, clean)
    by_id = {m.pk: m for m in item.materials.all()}
    case.materials.all().delete()
    CaseMaterial.objects.bulk_create(
        [
            CaseMaterial(
                case=case,
                material=by_id.get(r["id"]) if r.get("id") else None,
                position=i,
                name=r["name"],
                kind=r.get("kind", "原件"),
                copies=r.get("copies", 1),
                required=r.get("required", True),
                tolerance_eligible=r.get("tolerance", False) and r.get("required", True),
                data_sharing=r.get("data_sharing", False),
                note=(r.get("note") or "")[:200],
            )
            for i, r in enumerate(rows, start=1)
        ]
    )
    lines = catalog_bundles.situation_lines(item, clean)
    CaseSituation.objects.create(case=case, answers=clean, lines=lines)
    audit.record(actor, "case.situation", case, after={"answers": clean}, request=request)
    return case


def situation_of(case) -> CaseSituation | None:
    return CaseSituation.objects.filter(case=case).first()
