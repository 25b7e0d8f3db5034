"""Insight pages: what-if (digital twin), live hall, city overview, reports. Thin: authorisation
and queries live in whatif.py / selectors.py / reports.py."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from yimen.core import clock
from yimen.core.errors import ValidationFailed

from . import reports, selectors, simulation, whatif


@login_required
def whatif_page(request):
    context = {
        "bases": whatif.base_scenarios(),
        "policies": [("one-window", "一窗通办（综合窗口）"), ("dedicated", "分部门专窗")],
    }
    status = 200
    params = request.GET
    try:
        w = whatif.parse(params)
    except ValidationFailed as exc:
        context["error"] = exc.message
        w = (
            whatif.parse({"base": params.get("base")})
            if params.get("base") in whatif.BASES
            else whatif.parse({})
        )
        status = 400
    base = whatif.load_base(w.base)
    context["whatif"] = w
    context["window_rows"] = [
        {"index": i, "group": raw.get("group"), "kind": raw.get("kind"), "count": count}
        for i, (raw, count) in enumerate(zip(base.get("windows") or [], w.windows))
    ]
    context["base_description"] = base.get("name", w.base)
    if "run" in params and status == 200:
        try:
            context.update(whatif.run(request.user, params))
            context["charts"] = [_chart_data(r) for r in context["results"]]
        except ValidationFailed as exc:
            context["error"] = exc.message
            status = 400
    return render(request, "insight/whatif.html", context, status=status)


def _chart_data(result: dict) -> dict:
    label = "一窗通办" if result["policy"] == "one-window" else "分部门专窗"
    return {
        "label": label,
        "slots": [r["slot"] for r in result["by_half_hour"]],
        "mean_wait": [r["mean_wait_minutes"] for r in result["by_half_hour"]],
        "p90_wait": [r["p90_wait_minutes"] for r in result["by_half_hour"]],
        "arrivals": [r["arrivals"] for r in result["by_half_hour"]],
        "open_windows": [r["open_windows"] for r in result["by_half_hour"]],
        "hist_bins": [b["bin"] for b in result["wait_histogram"]],
        "hist_share": [round(b["share"] * 100, 1) for b in result["wait_histogram"]],
        "queue": result["queue_length_samples"],
        "policy_label": label,
        "sla_minutes": result.get("sla_minutes", simulation.SLA_MINUTES),
    }


# --- dashboards and reports -----------------------------------------------------------------------


@login_required
def overview(request):
    outlets = selectors.visible_outlets(request.user)
    data = selectors.city_overview(outlets)
    chart = {
        "names": [r["outlet"].name for r in data["rows"]],
        "waiting": [r["waiting"] for r in data["rows"]],
        "served": [r["served_today"] for r in data["rows"]],
    }
    return render(
        request, "insight/overview.html", {"data": data, "chart": chart, "now": clock.now()}
    )


@login_required
def hall(request, code):
    outlet = selectors.outlet_for(request.user, code)
    return render(request, "insight/hall.html", {"h": selectors.hall(outlet)})


@login_required
def hall_panel(request, code):
    outlet = selectors.outlet_for(request.user, code)
    return render(request, "insight/_hall_panel.html", {"h": selectors.hall(outlet)})


def _report_or_error(request):
    try:
        return reports.report(request.user, request.GET), None
    except ValidationFailed as exc:
        return None, exc.message


@login_required
def report_page(request):
    data, error = _report_or_error(request)
    outlets = selectors.visible_outlets(request.user)
    context = {
        "data": data,
        "error": error,
        "outlets": outlets,
        "periods": reports.PERIODS,
        "dimensions": reports.DIMENSIONS,
        "columns": reports.COLUMNS,
        "params": data["params"]
        if data
        else {
            "period": request.GET.get("period", "week"),
            "by": request.GET.get("by", "outlet"),
            "date": request.GET.get("date", ""),
            "outlet": request.GET.get("outlet", ""),
        },
    }
    if data:
        context["chart"] = {
            "series_keys": [s["key"] for s in data["series"]],
            "series_issued": [s["issued"] for s in data["series"]],
            "series_served": [s["served"] for s in data["series"]],
            "series_wait": [s["mean_wait"] for s in data["series"]],
            "wait_labels": data["wait_hist"]["labels"],
            "wait_counts": data["wait_hist"]["counts"],
            "service_labels": data["service_hist"]["labels"],
            "service_counts": data["service_hist"]["counts"],
            "row_names": [r["name"] for r in data["rows"][:15]],
            "row_issued": [r["issued"] for r in data["rows"][:15]],
            "row_sla": [
                None if r["sla_15min"] is None else round(r["sla_15min"] * 100, 1)
                for r in data["rows"][:15]
            ],
            "scores": [data["score_counts"][s] for s in range(1, 6)],
        }
    return render(request, "insight/reports.html", context, status=400 if error else 200)


@login_required
def report_export(request):
    data, error = _report_or_error(request)
    if error:
        raise ValidationFailed(error)
    body = reports.to_excel(data)
    p = data["params"]
    name = f"yimen-report-{p['period']}-{data['start']:%Y%m%d}-{p['by']}.xlsx"
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def staffing_page(request):
    """排班测算: demand from the recorded tickets, windows needed by Erlang C vs the A/B rota."""
    from . import staffing

    outlets = selectors.visible_outlets(request.user)
    params = {
        "outlet": request.GET.get("outlet") or (outlets[0].code if outlets else ""),
        "date": request.GET.get("date") or clock.today().isoformat(),
        "weeks": request.GET.get("weeks") or "4",
        "level": request.GET.get("level") or "80",
        "wait": request.GET.get("wait") or "15",
    }
    context = {"outlets": outlets, "params": params}
    status = 200
    if "run" in request.GET:
        try:
            outlet = selectors.outlet_for(request.user, params["outlet"])
            level = float(params["level"]) / 100.0
            wait = float(params["wait"])
            result = staffing.load_profile(
                {
                    "outlet": outlet.code,
                    "date": params["date"],
                    "demand": "history",
                    "weeks": params["weeks"],
                    "target": {"level": level, "wait_minutes": wait},
                }
            )
        except ValueError:
            context["error"] = "目标服务水平和等候时间应为数字（如 80 和 15）。"
            status = 400
        except ValidationFailed as exc:
            context["error"] = exc.message
            status = 400
        else:
            context["result"] = result
            context["charts"] = [
                {
                    "group": g["group"],
                    "slots": [r["slot"][:5] for r in g["rows"]],
                    "needed": [r["needed"] for r in g["rows"]],
                    "planned": [r["planned"] for r in g["rows"]],
                    "arrivals": [r["arrivals_per_hour"] for r in g["rows"]],
                }
                for g in result["groups"]
            ]
    return render(request, "insight/staffing.html", context, status=status)
