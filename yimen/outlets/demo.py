"""Load the Xining demo network (yimen/data/xining-demo/outlets.yaml)."""

import yaml
from django.conf import settings
from django.db import transaction

from yimen.catalog.models import ServiceItem

from .models import QUEUE_WINDOW_KINDS, Outlet, Window

OUTLETS_FILE = settings.DATA_DIR / "xining-demo" / "outlets.yaml"

KIND_BY_TYPE = {
    "市级政务服务中心": "city_centre",
    "区县级市民服务中心": "district_centre",
}

# Demo parameters (to confirm with each centre before production).
DEMO_SETTINGS = {
    "priority_age": 65,  # 绿色通道 age threshold
    "duty_group_odd_weeks": "A",  # group A on duty in odd ISO weeks
}


def _outlet_kind(type_label: str) -> str:
    if type_label in KIND_BY_TYPE:
        return KIND_BY_TYPE[type_label]
    if "银行" in type_label:
        return "bank"
    if "自助" in type_label:
        return "self_service"
    return "district_centre"


def _window_rows(outlet_code: str, raw: dict):
    numbers = [str(n) for n in raw.get("numbers") or []]
    count = int(raw.get("count") or 1)
    group = raw["id"]
    kind = raw["kind"]
    if not numbers:
        if kind in QUEUE_WINDOW_KINDS:
            numbers = [str(i) for i in range(1, count + 1)]
        else:
            numbers = [kind if count == 1 else f"{kind}{i}" for i in range(1, count + 1)]
    for number in numbers:
        code = group if len(numbers) == 1 else f"{group}-{number}"
        yield code, number


@transaction.atomic
def load(stdout=None):
    data = yaml.safe_load(OUTLETS_FILE.read_text(encoding="utf-8"))
    items_by_code = {i.code: i for i in ServiceItem.objects.all()}
    comprehensive = {c for c, i in items_by_code.items() if i.comprehensive}
    n_windows = 0
    used_numbers_by_outlet = {}
    for raw in data["outlets"]:
        outlet, _ = Outlet.objects.update_or_create(
            code=raw["id"],
            defaults={
                "name": raw["name"],
                "kind": _outlet_kind(raw.get("type", "")),
                "type_label": raw.get("type", ""),
                "operator": raw.get("operator", ""),
                "region_code": str(raw.get("region_code", "")),
                "street": raw.get("street", ""),
                "street_code": str(raw.get("street_code", "")),
                "address": raw.get("address", ""),
                "phone": str(raw.get("phone", "")),
                "transport": raw.get("transport", ""),
                "floors": raw.get("floors") or {},
                "weekly_hours": raw["hours"]["weekly"],
                "lunch_break": bool(raw["hours"].get("lunch_break")),
                "holiday_rule": raw["hours"].get("holiday_rule", "closed_on_off_days"),
                "makeup_workday_rule": raw["hours"].get("makeup_workday_rule", "weekday_hours"),
                "escalation_chain": raw.get("escalation_chain") or [],
                "settings": dict(DEMO_SETTINGS),
            },
        )
        outlet.items.set([items_by_code[c] for c in raw.get("items") or [] if c in items_by_code])
        used = used_numbers_by_outlet.setdefault(outlet.pk, set())
        for wraw in raw.get("windows") or []:
            item_codes = [c for c in wraw.get("items") or [] if c in items_by_code]
            scope = (
                "comprehensive"
                if (wraw["kind"] == "综合窗口" and item_codes and set(item_codes) == comprehensive)
                else "list"
            )
            for code, number in _window_rows(outlet.code, wraw):
                while (
                    number in used
                    and Window.objects.filter(outlet=outlet, number=number)
                    .exclude(code=code)
                    .exists()
                ):
                    number = f"{number}'"
                used.add(number)
                window, _ = Window.objects.update_or_create(
                    outlet=outlet,
                    code=code,
                    defaults={
                        "group_code": wraw["id"],
                        "number": number,
                        "kind": wraw["kind"],
                        "label": wraw.get("label", ""),
                        "floor": wraw.get("floor", ""),
                        "scope": scope,
                        "serves": wraw.get("serves") or [],
                    },
                )
                window.items.set([items_by_code[c] for c in item_codes])
                n_windows += 1
    return f"网点：{len(data['outlets'])} 个，窗口 {n_windows} 个"
