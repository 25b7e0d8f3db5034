"""Reads of the catalog: plain search (the smart triage lives in `guide`) and item lookup."""

from django.db.models import Case, IntegerField, Q, Value, When

from yimen.core.errors import NotFound

from .models import Department, ServiceItem

MAX_TERMS = 8


def search_items(
    q: str = "",
    *,
    department: str = "",
    comprehensive: bool | None = None,
    bank: bool | None = None,
    include_inactive: bool = False,
):
    """Active items whose code, name, short name, main item or keywords contain every word of
    `q` (case-insensitive); best matches first (exact code, then name/short name containing
    the whole query, then the rest). `department` is a department code."""
    qs = ServiceItem.objects.select_related("department")
    if not include_inactive:
        qs = qs.filter(active=True)
    if department:
        qs = qs.filter(department__code=department)
    if comprehensive is not None:
        qs = qs.filter(comprehensive=comprehensive)
    if bank is not None:
        qs = qs.filter(bank_outlet=bank)
    q = (q or "").strip()
    if not q:
        return qs.order_by("code")
    terms = [t for t in q.lower().split() if t][:MAX_TERMS]
    for term in terms:
        qs = qs.filter(search_text__contains=term)
    return qs.annotate(
        rank=Case(
            When(code__iexact=q, then=Value(0)),
            When(Q(short_name__icontains=q) | Q(name__icontains=q), then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    ).order_by("rank", "code")


def get_item(code: str, *, include_inactive: bool = False) -> ServiceItem:
    qs = ServiceItem.objects.select_related("department").prefetch_related("materials")
    if not include_inactive:
        qs = qs.filter(active=True)
    item = qs.filter(code=code).first()
    if item is None:
        raise NotFound(f"找不到事项：{code}")
    return item


def departments_with_items():
    return Department.objects.filter(items__active=True).distinct().order_by("code")
