"""Pages and the webhook of the exchange: the administrators' status page, the 12345 webhook, the
electronic-licence lookup at intake."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt

from yimen.staff import authz

from . import licences, rules, selectors, workorders


@csrf_exempt
def work_order_webhook(request: HttpRequest) -> JsonResponse:
    """POST a signed 12345 work order (docs/exchange.md). Always JSON {"code", "message"}."""
    if request.method != "POST":
        return JsonResponse({"code": "method_not_allowed", "message": "请使用 POST。"}, status=405)
    answer = workorders.receive(request.body, request.headers.get(rules.SIGNATURE_HEADER, ""))
    return JsonResponse(
        answer.body, status=answer.status, json_dumps_params={"ensure_ascii": False}
    )


@login_required
def status_page(request):
    staff = authz.request_staff(request, "该账号不是工作人员账号。")
    authz.authorize(staff, "exchange.status")
    return render(request, "exchange/status.html", selectors.status())


@login_required
def licences_page(request, case_id: int):
    from yimen.cases.models import Case

    staff = authz.request_staff(request, "该账号不是工作人员账号。")
    case = get_object_or_404(Case.objects.select_related("outlet", "item"), pk=case_id)
    authz.authorize(staff, "exchange.licence_lookup", outlet=case.outlet)
    lookup = None
    if request.method == "POST":
        lookup = licences.lookup_and_use(staff, case, request=request)
    return render(
        request,
        "exchange/licences.html",
        {
            "case": case,
            "lines": licences.shareable_lines(case),
            "lookup": lookup,
            "uses": licences.uses_of(case),
            "simulated": selectors.licence_simulated(),
        },
    )
