"""Load the Xining demo catalog (yimen/data/xining-demo/catalog.yaml)."""

import yaml
from django.conf import settings

from .services import get_or_create_department, parse_fee, upsert_item

CATALOG_FILE = settings.DATA_DIR / "xining-demo" / "catalog.yaml"


def item_from_yaml(raw: dict) -> dict:
    fee, fee_note = parse_fee(raw.get("fee"))
    return {
        "code": raw["code"],
        "name": raw["name"],
        "short_name": raw.get("short_name"),
        "parent_name": raw.get("parent_name"),
        "type": raw.get("type"),
        "legal_limit": raw.get("legal_limit_workdays"),
        "promised_limit": raw.get("promised_limit_workdays"),
        "visits_required": raw.get("visits_required", 1),
        "fee": fee,
        "fee_note": fee_note,
        "payment_methods": raw.get("payment_methods") or [],
        "target_groups": raw.get("target_groups") or [],
        "keywords": raw.get("keywords") or [],
        "window_kinds": raw.get("windows") or [],
        "comprehensive": raw.get("comprehensive"),
        "bank_outlet": raw.get("bank_outlet"),
        "green_channel_eligible": raw.get("green_channel_eligible"),
        "bangban_daiban": raw.get("bangban_daiban"),
        "online": raw.get("visits_required") == 0,
        "notes": raw.get("notes"),
        "source": raw.get("source"),
        "source_ref": raw.get("source_ref"),
        "materials": raw.get("materials") or [],
    }


def load(stdout=None):
    data = yaml.safe_load(CATALOG_FILE.read_text(encoding="utf-8"))
    departments = {}
    for raw in data["items"]:
        name = raw["department"]
        if name not in departments:
            code = "XN-" + raw["code"].split("-")[1]
            departments[name] = get_or_create_department(name, code=code)
    changed = 0
    for raw in data["items"]:
        _, was_changed = upsert_item(item_from_yaml(raw), departments[raw["department"]])
        changed += was_changed
    return f"事项库：{len(data['items'])} 项（{changed} 项新建或更新），{len(departments)} 个部门"


def load_bundles(stdout=None) -> str:
    """一件事, situational guides, 告知承诺 and complete guides (bundles.yaml); after the catalog."""
    from .bundle_services import load_file

    return load_file()
