"""电子证照 at intake (免证办) and for results.

At intake the clerk asks the library, for each material of the case marked 可数据共享 whose name
names a licence type, by the applicant's ID number (or USCC for a company's licences). A valid
licence is counted as provided (the checklist line is received via 数据共享调取, through
cases.services.check_materials) and `LicenceUse` records where it came from. When the library is
down or unset, nothing blocks: the page says so and the clerk takes paper.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import transaction

from yimen.core import audit, clock
from yimen.core.masking import mask_id_number, mask_name
from yimen.staff.authz import authorize, staff_of

from . import conf, rules, services
from .adapters import Licence, Unavailable, get_adapter
from .models import LICENCE, LicenceUse

log = logging.getLogger("yimen.exchange")

COMPANY_TYPES = {"营业执照"}


@dataclass
class LineResult:
    line_id: int
    name: str
    licence_type: str
    licences: list[Licence] = field(default_factory=list)
    used: Licence | None = None
    note: str = ""


@dataclass
class Lookup:
    configured: bool
    error: str = ""
    lines: list[LineResult] = field(default_factory=list)

    @property
    def used(self) -> int:
        return sum(1 for x in self.lines if x.used is not None)


def shareable_lines(case) -> list[tuple[object, str]]:
    """(checklist line, licence type) for the lines marked 可数据共享 that name a licence type."""
    out = []
    for line in case.materials.all():
        licence_type = rules.licence_type_for(line.name)
        if line.data_sharing and licence_type:
            out.append((line, licence_type))
    return out


def _holder_id(case, licence_type: str) -> str:
    if licence_type in COMPANY_TYPES and case.credit_code:
        return case.credit_code
    return case.applicant_id_number or ""


def lookup_and_use(actor, case, *, request=None) -> Lookup:
    """Ask the library for each shareable line still to be provided; count a valid licence as
    provided. The HTTP calls happen outside any transaction; each use is one transaction."""
    from yimen.cases import rules as case_rules

    authorize(actor, "exchange.licence_lookup", outlet=case.outlet)
    adapter = get_adapter(LICENCE, timeout=conf.lookup_timeout())
    result = Lookup(configured=adapter is not None)
    lines = shareable_lines(case)
    if adapter is None:
        result.error = "未配置电子证照库，请收取纸质材料。"
        return result
    today = clock.today().isoformat()
    for line, licence_type in lines:
        item = LineResult(line.pk, line.name, licence_type)
        result.lines.append(item)
        if line.state == case_rules.M_RECEIVED:
            item.note = "已收取"
            continue
        holder_id = _holder_id(case, licence_type)
        if not holder_id:
            item.note = "缺少证件号码，无法查询"
            continue
        try:
            item.licences = adapter.lookup(holder_id, licence_type)
        except Unavailable as exc:
            log.warning("licence library unavailable for case %s: %s", case.pk, exc)
            result.error = "电子证照库暂时无法访问，请收取纸质材料（不影响收件受理）。"
            break
        valid = [x for x in item.licences if rules.licence_valid(x.status, x.valid_until, today)]
        if not valid:
            item.note = (
                "证照库中没有有效证照，请收取纸质材料" if item.licences else "证照库中未查到"
            )
            continue
        item.used = valid[0]
        _use(actor, case, line, valid[0], adapter.endpoint.url, request=request)
        item.note = "已调用电子证照，免交纸质材料"
    return result


@transaction.atomic
def _use(actor, case, line, licence: Licence, source: str, *, request=None) -> LicenceUse:
    from yimen.cases import services as cases

    cases.check_materials(actor, case, {line.pk: ("received", "data_sharing")}, request=request)
    use, _ = LicenceUse.objects.update_or_create(
        case_material_id=line.pk,
        defaults={
            "case_id_ref": case.pk,
            "licence_type": licence.licence_type,
            "licence_no": licence.licence_no[:80],
            "holder": mask_name(licence.holder)[:100],
            "valid_until": licence.valid_until or None,
            "issuer": licence.issuer[:100],
            "source": source[:200],
            "simulated": licence.simulated,
            "used_at": clock.now(),
            "used_by": getattr(staff_of(actor), "name", "")[:60],
        },
    )
    audit.record(
        actor,
        "case.licence_used",
        case,
        after={
            "material": line.name,
            "licence_type": licence.licence_type,
            "licence_no": licence.licence_no,
            "holder_id": mask_id_number(licence.holder_id),
            "source": source,
            "simulator": licence.simulated,
        },
        request=request,
    )
    return use


def uses_of(case) -> list[LicenceUse]:
    return list(LicenceUse.objects.filter(case_id_ref=case.pk).order_by("id"))


def push_licence(result) -> None:
    """A licence issued by a case goes to the library (through the outbox, after commit)."""
    case = result.case
    codes = services.codes_of(case.item)
    holder_id = case.credit_code if case.applicant_kind == "company" and case.credit_code else ""
    services.record(
        LICENCE,
        "licence",
        f"{conf.source()}-ZZ-{result.licence_number}",
        {
            "type": "licence",
            "licence_no": result.licence_number,
            "licence_type": result.title,
            "holder": result.holder,
            "holder_id": holder_id or case.applicant_id_number or "",
            "valid_from": clock.local(result.issued_at).date().isoformat(),
            "valid_until": result.valid_until.isoformat() if result.valid_until else None,
            "issuer": case.item.department.name,
            "receipt_no": case.receipt_number,
            "issued_at": rules.iso(result.issued_at),
            "outlet_code": case.outlet.code,
            **codes,
        },
        outlet_code=case.outlet.code,
        at=result.issued_at,
    )


# --- 网上申报 (yimen/online, through online/seams.py) ---------------------------------------------
@dataclass
class Found:
    """One line's answer for an online application: the valid licence or why there is none."""

    licence: Licence | None = None
    source: str = ""
    note: str = ""
    unavailable: bool = False


def find_for_material(material_name: str, holder_id: str) -> Found:
    """The library's valid licence standing in for a material (same adapter, timeout and validity
    rule as at the window). Never raises: no library, down or nothing valid → a Chinese note."""
    licence_type = rules.licence_type_for(material_name)
    if not licence_type:
        return Found(note="这项材料不能用电子证照代替，请上传文件。")
    adapter = get_adapter(LICENCE, timeout=conf.lookup_timeout())
    if adapter is None:
        return Found(note="尚未接入电子证照库，请上传文件。", unavailable=True)
    if not holder_id:
        return Found(note="请先填写并保存持证人的证件号码（或统一社会信用代码），再调用电子证照。")
    try:
        found = adapter.lookup(holder_id, licence_type)
    except Unavailable as exc:
        log.warning("licence library unavailable for an online application: %s", exc)
        return Found(note="电子证照库暂时无法访问，请上传文件（不影响提交）。", unavailable=True)
    today = clock.today().isoformat()
    valid = [x for x in found if rules.licence_valid(x.status, x.valid_until, today)]
    if not valid:
        note = "电子证照库中没有有效的" if found else "电子证照库中没有找到"
        return Found(note=f"{note}{licence_type}，请上传文件。")
    return Found(licence=valid[0], source=adapter.endpoint.url)


def holder_id_for(material_name: str, id_number: str, credit_code: str) -> str:
    """Whose licence: the USCC for a company's licence type, else the ID number (as at intake)."""
    if rules.licence_type_for(material_name) in COMPANY_TYPES and credit_code:
        return credit_code
    return id_number or ""


def still_valid(detail: dict) -> bool:
    """A licence found when the draft was made still counts at acceptance (not expired since)."""
    return rules.licence_valid(
        detail.get("status", "valid"), detail.get("valid_until"), clock.today().isoformat()
    )


def record_online_use(
    case, line, detail: dict, *, used_by: str = "网上申报（申请人）"
) -> LicenceUse:
    """The LicenceUse of a licence an online applicant used instead of an upload, recorded when
    the back office accepts the case (the case line exists then and is received 数据共享调取).
    Runs inside the acceptance's transaction."""
    use, _ = LicenceUse.objects.update_or_create(
        case_material_id=line.pk,
        defaults={
            "case_id_ref": case.pk,
            "licence_type": detail.get("licence_type", "")[:40],
            "licence_no": detail.get("licence_no", "")[:80],
            "holder": detail.get("holder", "")[:100],
            "valid_until": detail.get("valid_until") or None,
            "issuer": detail.get("issuer", "")[:100],
            "source": detail.get("source", "")[:200],
            "simulated": bool(detail.get("simulated")),
            "used_at": clock.now(),
            "used_by": used_by[:60],
        },
    )
    audit.record(
        "public",
        "case.licence_used",
        case,
        after={
            "material": line.name,
            "licence_type": detail.get("licence_type", ""),
            "licence_no": detail.get("licence_no", ""),
            "holder_id": detail.get("holder_id", ""),
            "source": detail.get("source", ""),
            "simulator": bool(detail.get("simulated")),
            "channel": "online",
        },
    )
    return use
