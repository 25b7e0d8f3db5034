"""Public item guide (办事指南): search, item detail with materials and where to do it, and a
printable materials checklist."""

from django.core.paginator import Paginator
from django.shortcuts import render

from yimen.core import clock
from yimen.outlets.selectors import outlets_for_item

from . import selectors

PAGE_SIZE = 30


def _flag(value: str):
    return True if value == "1" else None


def item_list(request):
    q = request.GET.get("q", "").strip()[:100]
    department = request.GET.get("department", "").strip()[:40]
    comprehensive = _flag(request.GET.get("comprehensive", ""))
    bank = _flag(request.GET.get("bank", ""))
    qs = selectors.search_items(q, department=department, comprehensive=comprehensive, bank=bank)
    paginator = Paginator(qs, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "catalog/item_list.html",
        {
            "q": q,
            "department": department,
            "comprehensive": bool(comprehensive),
            "bank": bool(bank),
            "page": page,
            "total": paginator.count,
            "departments": selectors.departments_with_items(),
            "query_string": params.urlencode(),
        },
    )


def _where(item):
    now = clock.now()
    rows = outlets_for_item(item, now)
    for row in rows:
        if not row["window_kinds"]:
            row["window_kinds"] = [k for k in item.window_kinds if k not in ("引导台",)]
    return rows, now


def item_detail(request, code):
    item = selectors.get_item(code)
    rows, now = _where(item)
    materials = list(item.materials.all())
    return render(
        request,
        "catalog/item_detail.html",
        {
            "item": item,
            "materials": materials,
            "outlets": rows,
            "now": now,
            "tolerance_count": sum(1 for m in materials if m.tolerance),
            "sharing_count": sum(1 for m in materials if m.data_sharing),
        },
    )


def item_print(request, code):
    item = selectors.get_item(code)
    rows, now = _where(item)
    return render(
        request,
        "catalog/item_print.html",
        {
            "item": item,
            "materials": list(item.materials.all()),
            "outlets": rows,
            "now": now,
        },
    )
