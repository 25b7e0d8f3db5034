"""Reads of the guide desk: the triage over the live catalog, with everything the desk shows.

The triage index (guide/triage.py) is built from plain records of the active catalog and kept in
memory on the change bus (core.changes, topic "config": items, windows, outlets, departments): a
catalog change in any process is seen by the next query once its NOTIFY arrives. When the entry
expires (`changes.max_age("config")`, short without a listener) a cheap fingerprint of the
catalog (count, last update, highest id, lexicon file) decides whether to rebuild, so an import of
thousands of items is picked up even without the bus, and an unchanged catalog is never rebuilt.
"""

from __future__ import annotations

import threading
from datetime import datetime

from django.db.models import Count, Max

from yimen.catalog.models import ServiceItem
from yimen.core import changes, clock
from yimen.core.errors import DomainError, NotFound, ValidationFailed
from yimen.outlets import selectors as outlet_selectors
from yimen.outlets.models import Outlet, Window

from .triage import LEXICON_PATH, LOCAL_PRIOR, ItemRecord, TriageIndex, build_index

MAX_QUERY = 200

_lock = threading.Lock()
_cache: dict = {"version": None, "index": None}
_index = changes.VersionedCache(maxsize=1)


def catalog_version() -> tuple:
    agg = ServiceItem.objects.filter(active=True).aggregate(
        n=Count("pk"), last=Max("updated_at"), top=Max("pk")
    )
    try:
        lex = LEXICON_PATH.stat().st_mtime_ns
    except OSError:
        lex = 0
    return agg["n"], agg["last"], agg["top"], lex


def item_records() -> list[ItemRecord]:
    local = set(Outlet.items.through.objects.values_list("serviceitem_id", flat=True).distinct())
    local |= set(Window.items.through.objects.values_list("serviceitem_id", flat=True).distinct())
    if Window.objects.filter(scope="comprehensive", active=True).exists():
        local |= set(ServiceItem.objects.filter(comprehensive=True).values_list("pk", flat=True))
    dept_windows = set(
        Window.objects.filter(scope="department", active=True).values_list(
            "department_id", flat=True
        )
    )
    rows = (
        ServiceItem.objects.filter(active=True)
        .select_related("department")
        .only("pk", "code", "name", "short_name", "parent_name", "keywords", "department__name")
    )
    records = []
    for it in rows:
        keywords = tuple(str(k) for k in (it.keywords or []) if str(k).strip())
        is_local = it.pk in local or it.department_id in dept_windows
        records.append(
            ItemRecord(
                code=it.code,
                name=it.name,
                short_name=it.short_name or "",
                parent_name=it.parent_name or "",
                keywords=keywords,
                department=it.department.name,
                prior=LOCAL_PRIOR if is_local else 1.0,
            )
        )
    return records


def triage_index() -> TriageIndex:
    """The index of the active catalog: from the change bus while the catalog is unchanged (no
    query), else rebuilt if its fingerprint moved."""
    return _index.get("config", "triage", _current_index)


def _current_index() -> TriageIndex:
    version = catalog_version()
    if _cache["version"] != version:
        with _lock:
            if _cache["version"] != version:
                _cache["index"] = build_index(item_records())
                _cache["version"] = version
    return _cache["index"]


def clean_query(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("请说一说要办什么事，例如“社保卡丢了”。", code="empty_query")
    if len(text) > MAX_QUERY:
        raise ValidationFailed(f"描述太长了，请控制在{MAX_QUERY}个字以内。", code="query_too_long")
    return text


def triage_codes(text: str, limit: int = 5) -> list[dict]:
    """Just the ranking: [{code, name, score, why, intent}] best first."""
    text = clean_query(text)
    return [
        {"code": m.code, "name": m.name, "score": m.score, "why": m.why, "intent": m.intent}
        for m in triage_index().search(text, limit=limit)
    ]


def materials_of(item: ServiceItem) -> list[dict]:
    return [
        {
            "name": m.name,
            "kind": m.kind,
            "copies": m.copies,
            "required": m.required,
            "tolerance": m.tolerance,
            "data_sharing": m.data_sharing,
            "note": m.note,
        }
        for m in item.materials.all()
    ]


def queue_for(outlet: Outlet | None, item: ServiceItem, priority: str = "") -> dict | None:
    """The queue (window group) that takes `item` at `outlet`; None when it is not handled there."""
    if outlet is None:
        return None
    from yimen.queueing import selectors as queue_selectors

    try:
        q = queue_selectors.route(outlet, [item], priority)
    except DomainError:
        return None
    return {"code": q.code, "name": q.name, "prefix": q.prefix}


def outlet_rows(item: ServiceItem, at: datetime | None = None, limit: int = 6) -> list[dict]:
    rows = []
    for r in outlet_selectors.outlets_for_item(item, at)[:limit]:
        o = r["outlet"]
        rows.append(
            {
                "code": o.code,
                "name": o.name,
                "kind": o.kind,
                "address": getattr(o, "address", ""),
                "open_now": r["open_now"],
                "closes_at": r["closes_at"],
                "next_opening": r["next_opening"],
                "window_kinds": r["window_kinds"],
            }
        )
    return rows


def describe(
    item: ServiceItem, *, outlet: Outlet | None = None, at: datetime | None = None
) -> dict:
    """Everything the desk / portal shows for one item."""
    return {
        "code": item.code,
        "name": item.name,
        "short_name": item.display_name,
        "department": item.department.name,
        "window_kinds": list(item.window_kinds or []),
        "green_channel": item.green_channel_eligible,
        "immediate": item.is_immediate,
        "promised_limit": item.promised_limit,
        "promised_limit_unit": item.get_promised_limit_unit_display(),
        "visits_required": item.visits_required,
        "fee": item.fee,
        "fee_note": item.fee_note,
        "online": item.online,
        "bank_outlet": item.bank_outlet,
        "bangban_daiban": item.bangban_daiban,
        "materials": materials_of(item),
        "queue": queue_for(outlet, item),
        "green_queue": queue_for(outlet, item, "老年人") if item.green_channel_eligible else None,
        "outlets": outlet_rows(item, at),
    }


def triage(
    text: str, *, outlet: Outlet | None = None, at: datetime | None = None, limit: int = 5
) -> list[dict]:
    """Ranked items for plain words, each with why it matched, windows, green channel, materials
    (一次性告知 preview) and the outlets that handle it (open ones first)."""
    ranked = triage_codes(text, limit=limit)
    at = at or clock.now()
    items = {
        i.code: i
        for i in ServiceItem.objects.filter(code__in=[r["code"] for r in ranked])
        .select_related("department")
        .prefetch_related("materials")
    }
    out = []
    for r in ranked:
        item = items.get(r["code"])
        if item is None:
            continue
        out.append(
            {
                **describe(item, outlet=outlet, at=at),
                "score": r["score"],
                "why": r["why"],
                "intent": r["intent"],
            }
        )
    return out


def get_item(code: str) -> ServiceItem:
    item = (
        ServiceItem.objects.filter(code=code, active=True)
        .select_related("department")
        .prefetch_related("materials")
        .first()
    )
    if item is None:
        raise NotFound(f"找不到事项：{code}")
    return item
