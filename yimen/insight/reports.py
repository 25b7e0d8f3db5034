"""Reports by day / week / month and by outlet, window, staff, item or department: volumes,
waits, service times, no-shows, trips per case, on-time rate, satisfaction, grievances — plus the
Excel export. Read-only: the other apps' tables are only queried."""

from __future__ import annotations

import calendar as pycal
import io
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from yimen.core import clock
from yimen.core.errors import ValidationFailed
from yimen.core.stats import percentile

from . import selectors

PERIODS = {"day": "日", "week": "周", "month": "月"}
DIMENSIONS = {
    "outlet": "网点",
    "window": "窗口",
    "staff": "工作人员",
    "item": "事项",
    "department": "部门",
}
WAIT_BINS = [0, 5, 10, 15, 20, 30, 45, 60]
SERVICE_BINS = [0, 3, 5, 10, 15, 20, 30, 45]
SLA = selectors.SLA_MINUTES


def period_range(period: str, anchor: date) -> tuple[date, date, str]:
    """[start, end) dates of the period containing `anchor`, and a Chinese label."""
    if period == "day":
        return anchor, anchor + timedelta(days=1), f"{anchor:%Y-%m-%d}"
    if period == "week":
        start = anchor - timedelta(days=anchor.weekday())
        iso = start.isocalendar()
        return (
            start,
            start + timedelta(days=7),
            f"{iso.year}年第{iso.week}周（{start:%m-%d}–{start + timedelta(days=6):%m-%d}）",
        )
    if period == "month":
        start = anchor.replace(day=1)
        days = pycal.monthrange(start.year, start.month)[1]
        return start, start + timedelta(days=days), f"{start.year}年{start.month}月"
    raise ValidationFailed(f"统计周期不正确：{period}（可选：day、week、month）")


def parse_params(params) -> dict:
    period = params.get("period") or "week"
    if period not in PERIODS:
        raise ValidationFailed(f"统计周期不正确：{period}（可选：日、周、月）")
    dimension = params.get("by") or "outlet"
    if dimension not in DIMENSIONS:
        raise ValidationFailed(
            f"统计维度不正确：{dimension}（可选：网点、窗口、工作人员、事项、部门）"
        )
    raw = params.get("date") or ""
    from yimen.core.inputs import form_date

    anchor = form_date(raw, "统计日期") or clock.today()  # inside the sane window, else 400
    return {
        "period": period,
        "by": dimension,
        "date": anchor,
        "outlet": (params.get("outlet") or "").strip(),
    }


def _aware(d: date) -> datetime:
    return datetime.combine(d, time(0, 0), tzinfo=clock.SHANGHAI)


def _hist(values, bins):
    counts = [0] * len(bins)
    for v in values:
        i = max(0, sum(1 for b in bins if v >= b) - 1)
        counts[i] += 1
    labels = [f"{a}–{b}" for a, b in zip(bins, bins[1:])] + [f"≥{bins[-1]}"]
    return {"labels": labels, "counts": counts}


def report(actor, params) -> dict:
    """The report for `params` (period, date, by, outlet), for what `actor` may see."""
    from yimen.cases.models import Case, Visit
    from yimen.catalog.models import ServiceItem
    from yimen.feedback.models import Grievance, Rating
    from yimen.queueing.models import Ticket

    p = parse_params(params)
    outlets = (
        [selectors.outlet_for(actor, p["outlet"])]
        if p["outlet"]
        else selectors.visible_outlets(actor)
    )
    start, end, label = period_range(p["period"], p["date"])
    t0, t1 = _aware(start), _aware(end)
    outlet_ids = [o.pk for o in outlets]
    dim = p["by"]

    tickets = list(
        Ticket.objects.filter(
            outlet_id__in=outlet_ids, service_date__gte=start, service_date__lt=end
        ).values(
            "pk",
            "outlet_id",
            "window_id",
            "served_by_id",
            "status",
            "service_date",
            "issued_at",
            "checked_in_at",
            "called_at",
            "started_at",
            "finished_at",
        )
    )
    ticket_ids = [t["pk"] for t in tickets]
    firsts = selectors.first_calls(ticket_ids)
    items_of: dict[int, list[int]] = defaultdict(list)
    handled: dict[int, list[int]] = defaultdict(list)
    for chunk in _chunks(ticket_ids):
        for tid, iid in Ticket.items.through.objects.filter(ticket_id__in=chunk).values_list(
            "ticket_id", "serviceitem_id"
        ):
            items_of[tid].append(iid)
        for tid, iid in Ticket.handled_items.through.objects.filter(
            ticket_id__in=chunk
        ).values_list("ticket_id", "serviceitem_id"):
            handled[tid].append(iid)
    dept_of_item = dict(ServiceItem.objects.values_list("pk", "department_id"))

    cases = list(
        Case.objects.filter(outlet_id__in=outlet_ids, opened_at__gte=t0, opened_at__lt=t1).values(
            "pk", "outlet_id", "window_id", "accepted_by_id", "opened_by_id", "item_id", "status"
        )
    )
    visits: dict[int, int] = defaultdict(int)
    for chunk in _chunks([c["pk"] for c in cases]):
        for cid in Visit.objects.filter(case_id__in=chunk).values_list("case_id", flat=True):
            visits[cid] += 1
    closed = list(
        Case.objects.filter(
            outlet_id__in=outlet_ids, closed_at__gte=t0, closed_at__lt=t1, due_date__isnull=False
        ).values(
            "pk",
            "outlet_id",
            "window_id",
            "accepted_by_id",
            "opened_by_id",
            "item_id",
            "due_date",
            "closed_at",
        )
    )
    ratings = list(
        Rating.objects.filter(
            outlet_id__in=outlet_ids, created_at__gte=t0, created_at__lt=t1
        ).values("outlet_id", "window_id", "staff_id", "item_id", "department_id", "score")
    )
    grievances = list(
        Grievance.objects.filter(
            outlet_id__in=outlet_ids, received_date__gte=start, received_date__lt=end
        ).values("outlet_id", "window_id", "staff_id", "item_id", "category")
    )

    def keys_ticket(t):
        if dim == "outlet":
            return [t["outlet_id"]]
        if dim == "window":
            return [t["window_id"]]
        if dim == "staff":
            return [t["served_by_id"]]
        ids = handled.get(t["pk"]) or items_of.get(t["pk"]) or [None]
        if dim == "item":
            return ids
        return list({dept_of_item.get(i) for i in ids})

    def keys_case(c):
        if dim == "outlet":
            return [c["outlet_id"]]
        if dim == "window":
            return [c["window_id"]]
        if dim == "staff":
            return [c["accepted_by_id"] or c["opened_by_id"]]
        if dim == "item":
            return [c["item_id"]]
        return [dept_of_item.get(c["item_id"])]

    def keys_other(r):
        if dim == "outlet":
            return [r["outlet_id"]]
        if dim == "window":
            return [r["window_id"]]
        if dim == "staff":
            return [r["staff_id"]]
        if dim == "item":
            return [r["item_id"]]
        return [r.get("department_id") or dept_of_item.get(r["item_id"])]

    acc: dict = defaultdict(lambda: defaultdict(list))
    for t in tickets:
        wait = selectors.wait_of(t, firsts.get(t["pk"]))
        service = (
            _minutes(t["started_at"] or t["called_at"], t["finished_at"])
            if t["finished_at"] and (t["started_at"] or t["called_at"])
            else None
        )
        for k in keys_ticket(t):
            a = acc[k]
            a["issued"].append(1)
            if t["status"] == Ticket.DONE:
                a["served"].append(1)
            if t["status"] == Ticket.NO_SHOW:
                a["no_show"].append(1)
            if wait is not None:
                a["wait"].append(wait)
            if service is not None:
                a["service"].append(service)
    for c in cases:
        for k in keys_case(c):
            acc[k]["cases"].append(1)
            if visits.get(c["pk"]):
                acc[k]["trips"].append(visits[c["pk"]])
    for c in closed:
        on_time = clock.local(c["closed_at"]).date() <= c["due_date"]
        for k in keys_case(c):
            acc[k]["on_time"].append(1 if on_time else 0)
    for r in ratings:
        for k in keys_other(r):
            acc[k]["score"].append(r["score"])
    for g in grievances:
        for k in keys_other(g):
            acc[k]["grievances"].append(1)

    names = _names(dim, [k for k in acc if k is not None], outlets)
    rows = [
        dict(key=k, name=names.get(k, "（未记录）" if k is None else str(k)), **_metrics(a))
        for k, a in acc.items()
    ]
    rows.sort(key=lambda r: (-r["issued"], -r["cases"], r["name"]))
    total = defaultdict(list)
    # totals count every ticket/case once (a ticket with two items is one visit)
    for t in tickets:
        wait = selectors.wait_of(t, firsts.get(t["pk"]))
        service = (
            _minutes(t["started_at"] or t["called_at"], t["finished_at"])
            if t["finished_at"] and (t["started_at"] or t["called_at"])
            else None
        )
        total["issued"].append(1)
        if t["status"] == Ticket.DONE:
            total["served"].append(1)
        if t["status"] == Ticket.NO_SHOW:
            total["no_show"].append(1)
        if wait is not None:
            total["wait"].append(wait)
        if service is not None:
            total["service"].append(service)
    for c in cases:
        total["cases"].append(1)
        if visits.get(c["pk"]):
            total["trips"].append(visits[c["pk"]])
    for c in closed:
        total["on_time"].append(1 if clock.local(c["closed_at"]).date() <= c["due_date"] else 0)
    total["score"] = [r["score"] for r in ratings]
    total["grievances"] = [1 for _g in grievances]

    # daily (or hourly for one day) series
    series = defaultdict(lambda: defaultdict(list))
    for t in tickets:
        key = (
            f"{clock.local(t['issued_at']).hour:02d}:00"
            if p["period"] == "day"
            else t["service_date"].isoformat()
        )
        series[key]["issued"].append(1)
        if t["status"] == Ticket.DONE:
            series[key]["served"].append(1)
        wait = selectors.wait_of(t, firsts.get(t["pk"]))
        if wait is not None:
            series[key]["wait"].append(wait)
    if p["period"] == "day":
        keys = sorted(series)
    else:
        keys = [(start + timedelta(days=i)).isoformat() for i in range((end - start).days)]
    series_rows = []
    for k in keys:
        s = series.get(k, {})
        waits = s.get("wait", [])
        series_rows.append(
            {
                "key": k,
                "issued": len(s.get("issued", [])),
                "served": len(s.get("served", [])),
                "mean_wait": round(sum(waits) / len(waits), 1) if waits else None,
                "sla": round(sum(1 for w in waits if w <= SLA) / len(waits), 4) if waits else None,
            }
        )
    categories = defaultdict(int)
    for g in grievances:
        categories[g["category"]] += 1
    scores = defaultdict(int)
    for r in ratings:
        scores[r["score"]] += 1
    data = {
        "params": p,
        "period_label": label,
        "start": start,
        "end": end - timedelta(days=1),
        "outlets": outlets,
        "dimension_label": DIMENSIONS[dim],
        "period_name": PERIODS[p["period"]],
        "rows": rows,
        "total": _metrics(total),
        "series": series_rows,
        "wait_hist": _hist(total["wait"], WAIT_BINS),
        "service_hist": _hist(total["service"], SERVICE_BINS),
        "grievance_categories": dict(categories),
        "score_counts": {s: scores.get(s, 0) for s in range(1, 6)},
    }
    from yimen.online.figures import add_to_report  # 网办率, 全程网办率, 零跑动 (issue #21)

    add_to_report(actor, data, dim, t0, t1, outlet_ids)
    return data


def _chunks(ids, size=500):
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _minutes(a, b) -> float:
    return max(0.0, (b - a).total_seconds() / 60.0)


def _metrics(a) -> dict:
    waits, service = a.get("wait", []), a.get("service", [])
    issued, served, no_show = (
        len(a.get("issued", [])),
        len(a.get("served", [])),
        len(a.get("no_show", [])),
    )
    trips, on_time, score = a.get("trips", []), a.get("on_time", []), a.get("score", [])
    return {
        "issued": issued,
        "served": served,
        "no_show": no_show,
        "no_show_rate": round(no_show / issued, 4) if issued else None,
        "mean_wait": round(sum(waits) / len(waits), 1) if waits else None,
        "p90_wait": round(percentile(waits, 0.9), 1) if waits else None,
        "sla_15min": round(sum(1 for w in waits if w <= SLA) / len(waits), 4) if waits else None,
        "mean_service": round(sum(service) / len(service), 1) if service else None,
        "cases": len(a.get("cases", [])),
        "trips_per_case": round(sum(trips) / len(trips), 2) if trips else None,
        "one_trip_share": round(sum(1 for x in trips if x <= 1) / len(trips), 4) if trips else None,
        "closed_with_limit": len(on_time),
        "on_time_rate": round(sum(on_time) / len(on_time), 4) if on_time else None,
        "ratings": len(score),
        "mean_score": round(sum(score) / len(score), 2) if score else None,
        "bad_ratings": sum(1 for s in score if s <= 2),
        "grievances": len(a.get("grievances", [])),
    }


def _names(dim, keys, outlets) -> dict:
    from yimen.catalog.models import Department, ServiceItem
    from yimen.outlets.models import Outlet, Window
    from yimen.staff.models import Staff

    if dim == "outlet":
        return {o.pk: o.name for o in Outlet.objects.filter(pk__in=keys)}
    if dim == "window":
        return {
            w.pk: f"{w.outlet.name} {w.number} {w.label or w.kind}"
            for w in Window.objects.filter(pk__in=keys).select_related("outlet")
        }
    if dim == "staff":
        return {s.pk: f"{s.name}（{s.role_label}）" for s in Staff.objects.filter(pk__in=keys)}
    if dim == "item":
        return {
            i.pk: f"{i.code} {i.short_name or i.name}"
            for i in ServiceItem.objects.filter(pk__in=keys)
        }
    return {d.pk: d.name for d in Department.objects.filter(pk__in=keys)}


# --- Excel -----------------------------------------------------------------------------------------

COLUMNS = [
    ("name", "名称"),
    ("issued", "取号"),
    ("served", "办结"),
    ("no_show", "过号"),
    ("no_show_rate", "过号率"),
    ("mean_wait", "平均等候(分)"),
    ("p90_wait", "90%等候(分)"),
    ("sla_15min", "15分钟内叫号率"),
    ("mean_service", "平均办理(分)"),
    ("cases", "办件"),
    ("trips_per_case", "每件跑动次数"),
    ("one_trip_share", "最多跑一次率"),
    ("closed_with_limit", "有时限办结数"),
    ("on_time_rate", "按时办结率"),
    ("ratings", "评价数"),
    ("mean_score", "平均评分"),
    ("bad_ratings", "差评"),
    ("grievances", "办不成事反映"),
    # 网上申报 (issue #21): by outlet, department and item (yimen/online/figures.py)
    ("online_rate", "网办率"),
    ("fully_online_rate", "全程网办率"),
    ("zero_trip_rate", "零跑动占比"),
]
RATE_KEYS = {"no_show_rate", "sla_15min", "one_trip_share", "on_time_rate"}
RATE_KEYS |= {"online_rate", "fully_online_rate", "zero_trip_rate"}


def to_excel(data: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    p = data["params"]
    ws.append([f"一门 · 数据报表（{data['period_label']}，按{data['dimension_label']}）"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["网点", "、".join(o.name for o in data["outlets"])])
    ws.append(["统计期间", f"{data['start']:%Y-%m-%d} 至 {data['end']:%Y-%m-%d}"])
    ws.append(["生成时间", clock.local(clock.now()).strftime("%Y-%m-%d %H:%M")])
    ws.append([])
    ws.append([label for _k, label in COLUMNS])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for row in data["rows"] + [dict(data["total"], name="合计")]:
        ws.append([row.get(k) for k, _l in COLUMNS])
        for (k, _l), cell in zip(COLUMNS, ws[ws.max_row]):
            if k in RATE_KEYS and cell.value is not None:
                cell.number_format = "0.0%"
    ws.column_dimensions["A"].width = 40
    daily = wb.create_sheet("按时段")
    daily.append(["时段", "取号", "办结", "平均等候(分)", "15分钟内叫号率"])
    for s in data["series"]:
        daily.append([s["key"], s["issued"], s["served"], s["mean_wait"], s["sla"]])
    dist = wb.create_sheet("分布")
    dist.append(["等候时间(分)", "人次"])
    for label, n in zip(data["wait_hist"]["labels"], data["wait_hist"]["counts"]):
        dist.append([label, n])
    dist.append([])
    dist.append(["办理时长(分)", "人次"])
    for label, n in zip(data["service_hist"]["labels"], data["service_hist"]["counts"]):
        dist.append([label, n])
    notes = wb.create_sheet("口径说明")
    for line in [
        "等候 = 取号到首次叫号；办理 = 开始办理（无则叫号）到办结；15分钟内叫号率 = 等候 ≤ 15 分钟的比例。",
        "每件跑动次数 = 本期收件的办件的到场次数平均（有到场记录的办件）；最多跑一次率 = 到场 ≤ 1 次的比例。",
        "按时办结率 = 本期办结且有承诺时限的办件中，办结日期不晚于承诺办结日期的比例。",
        "差评 = 评分 1–2；办不成事反映按受理日期统计。",
        "网办率 = 本期收件的办件中网上申报的比例；全程网办率 = 其中已办结、网上申报且没有任何到场的比例"
        "（分母为已办结）；零跑动占比 = 已办结且没有任何到场（任何渠道）的比例。按窗口、人员统计时不适用。",
        f"参数：周期 {PERIODS[p['period']]}，锚定日期 {p['date']}，维度 {DIMENSIONS[p['by']]}。",
    ]:
        notes.append([line])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
