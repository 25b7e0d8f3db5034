"""Guide desk (引导台) pages: type or pick → triage → ticket in two clicks → print the list."""

import uuid

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from yimen.catalog import bundles as catalog_bundles
from yimen.catalog.models import ServiceItem
from yimen.core import clock
from yimen.core.errors import DomainError
from yimen.queueing import selectors as queue_selectors

from . import selectors, services


def _all_items():
    return (
        ServiceItem.objects.filter(active=True).only("code", "name", "short_name").order_by("code")
    )


@login_required
@require_http_methods(["GET", "POST"])
def desk(request):
    staff, outlet = services.open_desk(
        request.user, request.GET.get("outlet") or request.POST.get("outlet")
    )
    q = (request.GET.get("q") or request.POST.get("q") or "").strip()
    ctx = {
        "outlet": outlet,
        "staff": staff,
        "q": q,
        "results": [],
        "error": None,
        "ticket": None,
        "checked_in": None,
        "priorities": services.PRIORITIES,
        "form_key": uuid.uuid4().hex,
    }
    picked = [c for c in request.GET.getlist("pick") if c]
    if request.method == "POST" and request.POST.get("action") == "check_in":
        try:
            ctx["checked_in"] = services.check_in_arrival(
                request.user, outlet, request.POST.get("arrival", ""), request=request
            )
        except DomainError as exc:
            ctx["error"] = exc
    elif request.method == "POST":
        codes = request.POST.getlist("codes")
        try:
            if request.POST.get("bundle"):
                codes = services.bundle_ticket_codes(outlet, request.POST["bundle"])
                ctx["bundle_code"] = request.POST["bundle"]
            ctx["ticket"] = services.issue_ticket(
                request.user,
                outlet,
                codes,
                priority=request.POST.get("priority", ""),
                elderly=request.POST.get("elderly") == "1",
                id_number=request.POST.get("id_number", ""),
                applicant_name=request.POST.get("applicant_name", ""),
                phone=request.POST.get("phone", ""),
                idempotency_key=request.POST.get("form_key") or None,
                request=request,
            )
            ctx["ticket_items"] = list(ctx["ticket"].items.all())
            ctx["ticket_stops"] = queue_selectors.ticket_status(ctx["ticket"])
            ctx["codes"] = codes
        except DomainError as exc:
            ctx["error"] = exc
            picked = codes
    if q and not ctx["ticket"]:
        try:
            ctx["results"] = selectors.triage(q, outlet=outlet)
            ctx["bundles"] = catalog_bundles.find_bundles(q)
        except DomainError as exc:
            ctx["error"] = exc
    if picked and not ctx["ticket"]:
        have = {r["code"] for r in ctx["results"]}
        for code in picked:
            if code not in have:
                try:
                    row = selectors.describe(selectors.get_item(code), outlet=outlet)
                except DomainError as exc:
                    ctx["error"] = exc
                    continue
                ctx["results"].append({**row, "score": None, "why": ["引导员选择"], "intent": True})
    ctx["all_items"] = _all_items()
    template = (
        "guide/_results.html"
        if request.headers.get("HX-Request") and request.method == "GET"
        else "guide/desk.html"
    )
    status = ctx["error"].status if ctx["error"] is not None else 200
    return render(request, template, ctx, status=status)


@login_required
def print_list(request):
    """一次性告知 preview of the chosen items, laid out for printing."""
    staff, outlet = services.open_desk(request.user, request.GET.get("outlet"))
    codes = [c for c in request.GET.getlist("codes") if c][:10]
    items = [selectors.describe(selectors.get_item(c), outlet=outlet) for c in codes]
    return render(
        request,
        "guide/print.html",
        {
            "outlet": outlet,
            "items": items,
            "staff": staff,
            "ticket": request.GET.get("ticket", ""),
            "now": clock.now(),
        },
    )
