"""Where 网上申报 meets the 电子证照 licence library (yimen/exchange): the one module of online that
imports the exchange, so the dependency stays in one place.

- `electronic_licence_for`: at the draft, a licence that stands in for an uploaded material — the
  exchange's adapter (the simulator in tests and the demo), its timeout and validity rule.
- `licence_still_valid` / `record_licence_use`: at acceptance, the licence still counts and the
  case records where it came from (`exchange.LicenceUse`, audit `case.licence_used`).

Issued results are pushed to the library by the exchange itself (`cases.services.results.
_create_result` → `exchange.hooks.result_issued`, through the outbox after commit), whatever
path issued them — online included — so there is no push here: one issued result, one push.
"""

from __future__ import annotations

from yimen.core.masking import mask_id_number


def library_configured() -> bool:
    from yimen.exchange import conf
    from yimen.exchange.models import LICENCE

    return conf.endpoint(LICENCE).configured


def shareable(entry: dict) -> bool:
    """A checklist line an electronic licence may replace: 可数据共享 and naming a licence type."""
    from yimen.exchange import rules

    return bool(entry.get("data_sharing")) and bool(rules.licence_type_for(entry["name"]))


def holder_id_for(material_name: str, id_number: str, credit_code: str) -> str:
    from yimen.exchange.licences import holder_id_for as holder

    return holder(material_name, id_number, credit_code)


def electronic_licence_for(material_name: str, holder_id: str) -> tuple[dict | None, str]:
    """(licence, note): the valid licence of `holder_id` (the real ID number or USCC — the library
    knows no hashes) for this material, as {"ref", "title", ...} to keep on the upload, or None
    and a Chinese note (no library, library down, nothing valid). Never raises for the library."""
    from yimen.exchange.licences import find_for_material

    found = find_for_material(material_name, holder_id)
    if found.licence is None:
        return None, found.note
    x = found.licence
    return {
        "ref": x.licence_no,
        "title": x.licence_type,
        "licence_no": x.licence_no,
        "licence_type": x.licence_type,
        "holder": x.holder_masked,
        "holder_id": mask_id_number(x.holder_id),
        "valid_until": x.valid_until,
        "issuer": x.issuer,
        "status": x.status,
        "source": found.source,
        "simulated": x.simulated,
    }, ""


def licence_still_valid(detail: dict) -> bool:
    from yimen.exchange.licences import still_valid

    return bool(detail) and still_valid(detail)


def record_licence_use(case, line, detail: dict) -> None:
    from yimen.exchange.licences import record_online_use

    record_online_use(case, line, detail)
