"""Configuration reads (cached until it changes): outlets, windows, queues, items, tickets by id."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from yimen.catalog.models import ServiceItem
from yimen.core import changes, clock
from yimen.core.errors import NotFound, ValidationFailed
from yimen.core.selectors import work_calendar
from yimen.core.validators import parse_id
from yimen.outlets import selectors as outlet_selectors
from yimen.outlets.models import QUEUE_WINDOW_KINDS, Outlet, Window

from .. import rules
from ..models import Queue, Ticket

GREEN = rules.GREEN_CHANNEL
_config = changes.VersionedCache(
    maxsize=2048
)  # read-only configuration objects (core.changes "config")
KIND_PREFERENCE = rules.KIND_PREFERENCE  # the routing rule's order of window kinds
DEFAULT_SERVICE_MINUTES = 6.0
WEEKDAYS = "一二三四五六日"


def format_when(dt: datetime | None) -> str:
    if dt is None:
        return ""
    dt = clock.local(dt)
    return f"{dt.year}年{dt.month}月{dt.day}日（周{WEEKDAYS[dt.weekday()]}）{dt:%H:%M}"


def local_date(dt=None):
    return clock.local(dt or clock.now()).date()


# --- outlets, windows, queues ---------------------------------------------------------------


def get_outlet(outlet) -> Outlet:
    if isinstance(outlet, Outlet):
        return outlet
    return outlet_selectors.get_outlet(str(outlet))


def get_window(window, outlet=None) -> Window:
    """A window by object, pk or code (e.g. CX-ZH-203)."""
    if isinstance(window, Window):
        return window
    qs = Window.objects.select_related("outlet")
    if outlet is not None:
        qs = qs.filter(outlet=outlet)
    text = str(window)
    pk = parse_id(text)
    found = qs.filter(pk=pk).first() if pk is not None else qs.filter(code=text).first()
    if found is None:
        raise NotFound(f"找不到窗口：{text}")
    return found


def schedule(outlet: Outlet):
    """The outlet's opening schedule (hours, exceptions, calendar) through the configuration cache."""
    calendar = (
        work_calendar()
    )  # has its own cache; a rebuilt calendar is a new object, hence a new key
    return _config.get(
        "config",
        ("schedule", outlet.pk, id(calendar)),
        lambda: outlet_selectors.schedule_for(outlet),
    )


def outlet_by_code(code: str) -> Outlet:
    """get_outlet through the per-process configuration cache (read-only use: boards, fast paths)."""
    return _config.get("config", ("outlet", code), lambda: outlet_selectors.get_outlet(code))


def outlet_by_id(pk: int) -> Outlet:
    """An outlet through the configuration cache (read-only use: a locked ticket's outlet)."""
    return _config.get("config", ("outlet_id", pk), lambda: Outlet.objects.get(pk=pk))


def queue_by_id(pk: int) -> Queue:
    """A queue through the configuration cache (read-only use: a locked ticket's queue)."""
    return _config.get("config", ("queue", pk), lambda: Queue.objects.get(pk=pk))


def get_ticket(ticket) -> Ticket:
    if isinstance(ticket, Ticket):
        return ticket
    text = str(ticket)
    qs = Ticket.objects.select_related("outlet", "queue", "window")
    pk = parse_id(text)
    found = qs.filter(pk=pk).first() if pk is not None else qs.filter(public_id=text).first()
    if found is None:
        raise NotFound("找不到该排队号。")
    return found


def resolve_items(items) -> list[ServiceItem]:
    """ServiceItems from objects or item codes; unknown codes → a Chinese error. Codes are looked
    up through the configuration cache (kiosks and terminals send the same few codes)."""
    result, missing = [], []
    codes = tuple(sorted({i for i in (items or []) if not isinstance(i, ServiceItem)}))
    found = (
        _config.get(
            "config",
            ("items", codes),
            lambda: {i.code: i for i in ServiceItem.objects.filter(code__in=codes, active=True)},
        )
        if codes
        else {}
    )
    for i in items or []:
        if isinstance(i, ServiceItem):
            result.append(i)
        elif i in found:
            result.append(found[i])
        else:
            missing.append(str(i))
    if missing:
        raise ValidationFailed(
            f"找不到事项：{'、'.join(missing)}", code="unknown_item", items=missing
        )
    unique = {}
    for i in result:
        unique.setdefault(i.pk, i)
    return list(unique.values())


@dataclass
class QueueInfo:
    queue: Queue
    kind: str
    windows: list = field(default_factory=list)
    comprehensive: bool = False  # a window of the group takes every comprehensive item
    departments: set = field(default_factory=set)
    item_ids: set = field(default_factory=set)
    item_codes: set = field(default_factory=set)

    def accepts(self, item: ServiceItem) -> bool:
        return (
            (self.comprehensive and item.comprehensive)
            or item.department_id in self.departments
            or item.pk in self.item_ids
        )


def queue_infos(outlet: Outlet, *, fresh: bool = False) -> list[QueueInfo]:
    """The outlet's queues with what their windows accept. Cached per process until the network's
    configuration changes (core.changes "config"): the kiosk and the API read it on every ticket."""
    if fresh:
        return _queue_infos(outlet)
    return _config.get("config", ("infos", outlet.pk), lambda: _queue_infos(outlet))


def _queue_infos(outlet: Outlet) -> list[QueueInfo]:
    windows = list(
        Window.objects.filter(outlet=outlet, active=True, kind__in=QUEUE_WINDOW_KINDS).only(
            "pk", "group_code", "kind", "scope", "department_id", "number", "code"
        )
    )
    links: dict[int, list] = {}
    for wid, iid, code in Window.items.through.objects.filter(
        window__in=windows, serviceitem__active=True
    ).values_list("window_id", "serviceitem_id", "serviceitem__code"):
        links.setdefault(wid, []).append((iid, code))
    by_group: dict[str, list[Window]] = {}
    for w in windows:
        by_group.setdefault(w.group_code, []).append(w)
    comprehensive_codes = None
    infos = []
    for q in Queue.objects.filter(outlet=outlet, active=True).order_by("prefix"):
        group = by_group.get(q.window_group or q.code, [])
        if not group:
            continue
        info = QueueInfo(queue=q, kind=group[0].kind, windows=group)
        for w in group:
            if w.scope == "comprehensive":
                info.comprehensive = True
            elif w.scope == "department" and w.department_id:
                info.departments.add(w.department_id)
            else:
                for iid, code in links.get(w.pk, []):
                    info.item_ids.add(iid)
                    info.item_codes.add(code)
        if info.comprehensive:
            if comprehensive_codes is None:
                comprehensive_codes = set(
                    ServiceItem.objects.filter(comprehensive=True, active=True).values_list(
                        "code", flat=True
                    )
                )
            info.item_codes |= comprehensive_codes
        if info.departments:
            info.item_codes |= set(
                ServiceItem.objects.filter(
                    department_id__in=info.departments, active=True
                ).values_list("code", flat=True)
            )
        infos.append(info)
    return infos
