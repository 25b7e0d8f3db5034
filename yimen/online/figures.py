"""网办率, 全程网办率 and 零跑动 share (issue #21), for the reports (insight/reports.py) and the
Excel export, per outlet, department or item. Definitions (docs/online.md, rules.online_figures):
over the cases opened in the period — 网办率 = applied online / all; 全程网办率 = closed, applied
online and no trip at all / closed; 零跑动 = closed with no trip (any channel) / closed."""

from __future__ import annotations

from django.db.models import Count

from . import rules

KEYS = ("online_rate", "fully_online_rate", "zero_trip_rate")
COLUMNS = [
    ("online_rate", "网办率"),
    ("fully_online_rate", "全程网办率"),
    ("zero_trip_rate", "零跑动占比"),
]


def _facts(cases, dim: str):
    dept_of_item = {}
    if dim == "department":
        from yimen.catalog.models import ServiceItem

        dept_of_item = dict(ServiceItem.objects.values_list("pk", "department_id"))
    for c in cases:
        if dim == "outlet":
            group = c["outlet_id"]
        elif dim == "item":
            group = c["item_id"]
        elif dim == "department":
            group = dept_of_item.get(c["item_id"])
        else:
            group = None
        yield rules.CaseFacts(
            group=group,
            online=c["channel"] == "online",
            visits=c["n"],
            closed=c["status"] == "closed",
        )


def _cases(qs):
    return qs.annotate(n=Count("visits")).values(
        "pk", "outlet_id", "item_id", "channel", "status", "n"
    )


def add_to_report(actor, data: dict, dim: str, t0, t1, outlet_ids: list[int]) -> None:
    """Add the three rates to every row and the total of an insight report. The online outlet
    (网上办事大厅) is its own row by outlet when the actor's scope reaches it."""
    from yimen.cases.models import Case
    from yimen.outlets.models import Outlet
    from yimen.staff import authz

    online_ids = list(
        authz.visible_to(actor, Outlet.objects.filter(kind="online"), "insight.view").values_list(
            "pk", flat=True
        )
    )
    ids = list(outlet_ids) + [i for i in online_ids if i not in outlet_ids]
    cases = list(
        _cases(Case.objects.filter(outlet_id__in=ids, opened_at__gte=t0, opened_at__lt=t1))
    )
    by_group = (
        rules.figures_by_group(_facts(cases, dim))
        if dim in ("outlet", "item", "department")
        else {}
    )
    known = {r["key"] for r in data["rows"]}
    for key, figs in by_group.items():
        if key not in known and key is not None:
            row = {k: None for k in data["total"]} | {"key": key, "name": _name(dim, key)}
            row["cases"] = figs["cases"]
            data["rows"].append(row)
    for row in data["rows"]:
        figs = by_group.get(row["key"])
        for k in KEYS:
            row[k] = figs[k] if figs and figs["cases"] else None
        row["online_cells"] = [row[k] for k in KEYS]  # the page's last three columns
    total = rules.online_figures(_facts(cases, "none"))
    for k in KEYS:
        data["total"][k] = total[k] if total["cases"] else None
    data["total"]["online_cells"] = [data["total"][k] for k in KEYS]
    data["online_total"] = total


def _name(dim, key) -> str:
    from yimen.catalog.models import Department, ServiceItem
    from yimen.outlets.models import Outlet

    model = {"outlet": Outlet, "item": ServiceItem, "department": Department}[dim]
    obj = model.objects.filter(pk=key).first()
    return str(getattr(obj, "name", key)) if obj else str(key)


def overall() -> dict:
    from yimen.cases.models import Case

    return rules.online_figures(_facts(_cases(Case.objects.all()), "none"))


def by(dim: str) -> dict:
    from yimen.cases.models import Case

    return rules.figures_by_group(_facts(_cases(Case.objects.all()), dim))
