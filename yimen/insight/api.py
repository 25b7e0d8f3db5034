"""Insight API: the digital twin and the staffing check as JSON, and the live hall of an outlet
(for wall boards and monitoring). Staff tokens or a logged-in staff session."""

from typing import Any

from ninja import Body, Router

from yimen.core.errors import ValidationFailed
from yimen.core.inputs import errors
from yimen.staff import authz
from yimen.staff.authz import authorize
from yimen.staff.tokens import BearerAuth

from . import selectors, simulation, staffing, whatif

router = Router(tags=["数据与仿真"])
auth = BearerAuth()
API_MAX_VISITORS = 200_000


def _staff(request):
    return authz.request_staff(request, "该操作需要工作人员身份（设备令牌不可用）。")


@router.post(
    "/insight/simulate",
    response={200: dict[str, Any], **errors(401, 403, 413)},
    auth=auth,
    summary="数字孪生仿真（场景同 yimen simulate 的 YAML，以 JSON 提交）",
)
def simulate(request, scenario: dict[str, Any] = Body(...)):
    authorize(_staff(request), "insight.whatif")
    loaded = simulation.load_scenario(scenario)
    visitors = whatif._expected_visitors(loaded) * loaded.replications
    if visitors > API_MAX_VISITORS:
        raise ValidationFailed(
            f"本次仿真约有 {visitors:,.0f} 人次，超过接口上限 {API_MAX_VISITORS:,}：请用命令行 yimen simulate。"
        )
    return simulation.simulate(loaded)


@router.post(
    "/insight/staffing",
    response={200: dict[str, Any], **errors(401, 403, 413)},
    auth=auth,
    summary="排班测算（Erlang C / Allen–Cunneen，配置同 yimen staffing）",
)
def staffing_check(request, profile: dict[str, Any] = Body(...)):
    authorize(_staff(request), "insight.whatif")
    return staffing.load_profile(profile)


@router.get(
    "/insight/hall/{code}",
    response={200: dict[str, Any], **errors(401, 403, 404)},
    auth=auth,
    summary="网点大厅实时数据",
)
def hall(request, code: str):
    outlet = selectors.outlet_for(_staff(request), code)
    h = selectors.hall(outlet)
    return {
        "outlet": outlet.code,
        "name": outlet.name,
        "at": h["now"].isoformat(),
        "open": h["open"],
        "waiting": h["waiting"],
        "longest_wait_minutes": h["longest_wait_minutes"],
        "issued_today": h["issued_today"],
        "served_today": h["served_today"],
        "no_show_today": h["no_show_today"],
        "mean_wait_minutes": h["mean_wait_minutes"],
        "sla_15min": h["sla_15min"],
        "queues": h["queues"],
        "windows": [
            {k: w[k] for k in ("number", "code", "kind", "state", "ticket", "served_today")}
            for w in h["windows"]
        ],
    }
