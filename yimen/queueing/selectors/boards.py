"""Boards: the calls announced in the hall, cached per outlet and refreshed on changes."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Subquery

from yimen.core import changes, clock
from yimen.core.masking import mask_name
from yimen.core.refresher import refresher
from yimen.outlets.models import QUEUE_WINDOW_KINDS, Outlet, Window

from ..models import Queue, Ticket, TicketEvent
from .config import _config, format_when, local_date, outlet_by_code, queue_infos, schedule
from .dispatch import window_setup
from .hall import _staleness, hall_state, peek_outlet


def keep_board_fresh(outlet: Outlet) -> bool:
    """Have core.refresher keep this outlet's board current (False when it is off)."""
    return refresher.want(("board", outlet.pk), lambda: board(outlet))


def peek_board(code: str, calls: int = 8) -> dict | None:
    """The board of outlet `code` if cached and current, else None (no database). While the
    refresher runs, a board of the minute just ended stands in until it has computed this
    minute's (≤ 1 s; only `open_now` can differ): otherwise every display's read at the turn of
    each minute waited for that round (~0.2 s)."""
    outlet = peek_outlet(code)
    if outlet is None:
        return None
    topic, staleness = changes.board(outlet.pk), _staleness()
    now = clock.now()
    board = _boards.peek(topic, _board_key(outlet, calls, now), max_stale=staleness)
    if board is None and staleness:
        board = _boards.peek(
            topic, _board_key(outlet, calls, now - timedelta(minutes=1)), max_stale=staleness
        )
    return board


# --- boards -----------------------------------------------------------------------------------

CALL_ACTIONS = ("call", "recall")
ONWARD = "advance"  # a visit of several queues moved on to its next stop (services/visits.py)
ONWARD_SHOWN = 4


def announcement(number: str, window_number: str) -> str:
    return f"请 {number} 号到 {window_number} 号窗口办理"


def call_payload(event: TicketEvent) -> dict:
    ticket = event.ticket
    return _call_payload(
        event.pk,
        event.action,
        event.at,
        ticket.number,
        ticket.applicant_name,
        event.window.number if event.window_id else "",
    )


def _call_payload(event_id, action, at, number, applicant_name, window_number) -> dict:
    window_number = window_number or ""
    return {
        "event_id": event_id,
        "action": action,
        "number": number,
        "window": window_number,
        "name": mask_name(applicant_name),
        "at": clock.local(at).strftime("%H:%M:%S"),
        "text": announcement(number, window_number),
    }


def board_events_after(outlet_id: int, last_id: int, limit: int = 50) -> list[TicketEvent]:
    return list(
        TicketEvent.objects.filter(outlet_id=outlet_id, pk__gt=last_id)
        .select_related("ticket", "window")
        .order_by("pk")[:limit]
    )


def latest_event_id(outlet_id: int) -> int:
    return (
        TicketEvent.objects.filter(outlet_id=outlet_id)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
        or 0
    )


_boards = changes.VersionedCache()


def board(outlet: Outlet, calls: int = 8) -> dict:
    """What a hall display shows: latest calls and waiting counts per queue (masked names only).

    Displays poll it often (100 reads/s in the bench), so the result is cached per process until
    a ticket change the board shows (core.changes "board": not start/finish) or the minute turns
    (`open_now`)."""
    if not isinstance(outlet, Outlet):
        outlet = outlet_by_code(str(outlet))
    return _boards.get(
        changes.board(outlet.pk),
        _board_key(outlet, calls),
        lambda: _board(outlet, calls),
        serve_stale=True,
    )


def warm_up() -> int:
    """Fill the configuration cache of every active outlet (what each ticket issued, each board
    read and each window's poll needs). A server process runs it before its first request:
    otherwise that request computes it (the benchmark: ~50 ms for a hall of 400 windows, the
    slowest ticket of a run). Returns the number of outlets."""
    outlets = list(Outlet.objects.filter(active=True))
    for outlet in outlets:
        outlet_by_code(outlet.code)
        schedule(outlet)
        queue_infos(outlet)
        board_queues(outlet)
    # and each calling window's setup: otherwise each window's first poll after a restart goes
    # through Django to compute it (a few queries each, 400 windows at once in the benchmark)
    windows = (
        Window.objects.filter(outlet__in=outlets, active=True, kind__in=QUEUE_WINDOW_KINDS)
        .select_related("outlet")
        .order_by("pk")
    )
    for window in windows[: _config.maxsize // 2]:
        window_setup(window.pk, window)
    return len(outlets)


def board_queues(outlet: Outlet) -> list[Queue]:
    """The outlet's active queues in board order (cached with the configuration)."""
    return _config.get(
        "config",
        ("board_queues", outlet.pk),
        lambda: list(Queue.objects.filter(outlet=outlet, active=True).order_by("prefix")),
    )


def _board_key(outlet: Outlet, calls: int, now=None) -> tuple:
    return (
        outlet.pk,
        calls,
        clock.local(now or clock.now()).strftime("%Y-%m-%d %H:%M"),
    )  # open_now turns by the minute


def _board(outlet: Outlet, calls: int) -> dict:
    day = local_date()
    # One query, values only (core.refresher recomputes this after every call in every process):
    # today's calls newest first — a datetime range, not at__date, which no index serves — each
    # row carrying the outlet's latest event id of any kind (where a board's event stream starts).
    since = datetime.combine(day, datetime.min.time(), tzinfo=clock.SHANGHAI)
    latest = TicketEvent.objects.filter(outlet=outlet).order_by("-pk").values("pk")[:1]
    # (with the latest moves to a next stop: the same query, a few rows more)
    rows = list(
        TicketEvent.objects.filter(outlet=outlet, action__in=(*CALL_ACTIONS, ONWARD), at__gte=since)
        .order_by("-pk")
        .annotate(latest=Subquery(latest))
        .values_list(
            "pk",
            "action",
            "at",
            "ticket__number",
            "ticket__applicant_name",
            "window__number",
            "ticket__service_date",
            "ticket__status",
            "latest",
            "ticket__queue__name",
        )[: calls + ONWARD_SHOWN]
    )
    last_event_id = rows[0][8] if rows else latest_event_id(outlet.pk)
    # moves to a next stop whose ticket still waits there (the queue it waits in now)
    onward, seen = [], set()
    for row in rows:
        if row[1] == ONWARD and row[6] == day and row[7] == Ticket.WAITING and row[3] not in seen:
            seen.add(row[3])
            onward.append({"number": row[3], "queue_name": row[9]})
    rows = [row for row in rows if row[1] != ONWARD][:calls]
    # a call whose ticket is back in line (returned to its queue when its window closed, or
    # transferred) no longer stands at that window: the board stops showing it there
    shown = [_call_payload(*row[:6]) for row in rows if row[6] == day and row[7] != Ticket.WAITING]
    counts = hall_state(
        outlet.pk, day
    ).queued  # shared with the windows' polls: no query of its own
    queues = [
        {"code": q.code, "name": q.name, "prefix": q.prefix, "waiting": counts.get(q.code, 0)}
        for q in board_queues(outlet)
    ]
    now = clock.now()
    open_now = schedule(outlet).is_open(now)
    return {
        "outlet": outlet.code,
        "outlet_name": outlet.name,
        "open_now": open_now,
        # a closed outlet's board says so and when it opens next (it turns by the minute too)
        "next_opening": "" if open_now else format_when(schedule(outlet).next_opening(now)),
        "calls": shown,
        "queues": queues,
        "waiting_total": sum(q["waiting"] for q in queues),
        "onward": onward[:ONWARD_SHOWN],
        "last_event_id": last_event_id,
    }
