"""Insight pages: what-if (digital twin), live hall, city overview, reports. Thin: authorisation
and queries live in whatif.py / selectors.py / reports.py."""
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from yimen.core.errors import ValidationFailed

from . import simulation, whatif


@login_required
def whatif_page(request):
    context = {"bases": whatif.base_scenarios(), "policies": [("one-window", "一窗通办（综合窗口）"),
                                                              ("dedicated", "分部门专窗")]}
    status = 200
    params = request.GET
    try:
        w = whatif.parse(params)
    except ValidationFailed as exc:
        context["error"] = exc.message
        w = whatif.parse({"base": params.get("base")}) if params.get("base") in whatif.BASES else whatif.parse({})
        status = 400
    base = whatif.load_base(w.base)
    context["whatif"] = w
    context["window_rows"] = [{"index": i, "group": raw.get("group"), "kind": raw.get("kind"), "count": count}
                              for i, (raw, count) in enumerate(zip(base.get("windows") or [], w.windows))]
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
