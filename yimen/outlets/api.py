"""Outlets JSON API. `outlet_id` is the outlet CODE (e.g. XN-CX); unknown → 404 JSON in Chinese."""

from datetime import datetime

from ninja import Router, Schema

from yimen.core import clock
from yimen.core.inputs import errors

from . import selectors

router = Router()


class OutletOut(Schema):
    id: str
    name: str
    kind: str
    kind_label: str
    address: str
    region_code: str
    open_now: bool
    closes_at: datetime | None
    next_opening: datetime | None


class DayOut(Schema):
    date: str
    weekday: str
    hours: list[str]
    off_day: bool
    makeup_workday: bool
    note: str


class OutletDetailOut(OutletOut):
    operator: str
    lunch_break: bool
    weekly_hours: dict[str, list[str]]
    this_week: list[DayOut]
    floors: dict[str, str]
    window_count: int
    item_codes: list[str]


class WindowOut(Schema):
    id: str
    number: str
    kind: str
    label: str
    group: str
    floor: str


def outlet_dict(outlet, status) -> dict:
    return {
        "id": outlet.code,
        "name": outlet.name,
        "kind": outlet.kind,
        "kind_label": outlet.get_kind_display(),
        "address": outlet.address,
        "region_code": outlet.region_code,
        **status,
    }


@router.get(
    "/outlets",
    response={200: list[OutletOut], **errors()},
    summary="网点列表（现在是否开放）",
    url_name="outlets_list",
)
def list_outlets(request):
    return [
        outlet_dict(row["outlet"], {k: row[k] for k in ("open_now", "closes_at", "next_opening")})
        for row in selectors.outlets_overview(clock.now())
    ]


@router.get(
    "/outlets/{outlet_id}",
    response={200: OutletDetailOut, **errors(404)},
    summary="网点详情（本周办公时间、窗口数、事项）",
    url_name="outlets_detail",
)
def get_outlet(request, outlet_id: str):
    outlet = selectors.get_outlet(outlet_id)
    now = clock.now()
    from datetime import timedelta

    today = clock.local(now).date()
    days = selectors.outlet_week(outlet, today - timedelta(days=today.weekday()))
    data = outlet_dict(outlet, selectors.outlet_status(outlet, now))
    data.update(
        {
            "operator": outlet.operator,
            "lunch_break": outlet.lunch_break,
            "weekly_hours": outlet.weekly_hours,
            "this_week": [
                {
                    "date": d["date"].isoformat(),
                    "weekday": d["weekday"],
                    "hours": [f"{a:%H:%M}-{b:%H:%M}" for a, b in d["spans"]],
                    "off_day": d["off_day"],
                    "makeup_workday": d["makeup"],
                    "note": d["notes"],
                }
                for d in days
            ],
            "floors": {str(k): str(v) for k, v in (outlet.floors or {}).items()},
            "window_count": outlet.windows.filter(active=True).count(),
            "item_codes": list(selectors.outlet_items(outlet).values_list("code", flat=True)),
        }
    )
    return data


@router.get(
    "/outlets/{outlet_id}/windows",
    response={200: list[WindowOut], **errors(404)},
    summary="网点的窗口",
    url_name="outlets_windows",
)
def outlet_windows(request, outlet_id: str):
    outlet = selectors.get_outlet(outlet_id)
    return [
        {
            "id": w.code,
            "number": w.number,
            "kind": w.kind,
            "label": w.label,
            "group": w.group_code,
            "floor": w.floor,
        }
        for w in selectors.outlet_windows(outlet)
    ]
