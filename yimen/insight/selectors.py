"""Read-only queries for dashboards, reports, the twin and staffing. Other apps' tables are only
read here (never written)."""

from __future__ import annotations

from datetime import date, time


def planned_windows_by_group(outlet, d: date) -> dict[str, tuple]:
    """Windows staffed per half hour by the A/B rota (yimen.staff), per window group:
    {group_code: ((minute_of_day, windows), …)} — only groups the rota staffs that day."""
    from yimen.outlets.models import Window
    from yimen.staff import selectors as staff_selectors

    assignments = staff_selectors.rota(outlet, d, d).assignments
    group_of = dict(Window.objects.filter(outlet=outlet).values_list("code", "group_code"))
    out: dict[str, list] = {}
    for minute in range(0, 24 * 60, 30):
        t = time(minute // 60, minute % 60)
        counts: dict[str, set] = {}
        for a in assignments:
            if a.date == d and a.start <= t < a.end:
                counts.setdefault(group_of.get(a.window, a.window), set()).add(a.window)
        for group in set(counts) | set(out):
            out.setdefault(group, []).append((float(minute), len(counts.get(group, ()))))
    return {g: tuple(rows) for g, rows in out.items() if any(n for _m, n in rows)}


# --- access ----------------------------------------------------------------------------------------


def visible_outlets(actor):
    """Outlets whose dashboards the actor may see (staff.authz: admin all, a leader his district,
    a director / chief his own outlet). Raises Forbidden/Unauthorized for anybody else."""
    from yimen.outlets.models import Outlet
    from yimen.staff import authz

    authz.authorize_role(actor, "insight.view")
    return list(
        authz.visible_to(
            actor, Outlet.objects.filter(active=True).exclude(kind="online"), "insight.view"
        ).order_by("code")
    )


def outlet_for(actor, code: str):
    from yimen.outlets.selectors import get_outlet
    from yimen.staff.authz import authorize

    outlet = get_outlet(code)
    authorize(actor, "insight.view", outlet)
    return outlet


# --- live hall -------------------------------------------------------------------------------------

SLA_MINUTES = 15


def _minutes(a, b) -> float:
    return (b - a).total_seconds() / 60.0


def first_calls(ticket_ids) -> dict:
    """{ticket id: time of its first call} from the ticket events (recalls, transfers and a
    过号-restore re-call do not restart the wait)."""
    from django.db.models import Min

    from yimen.queueing.models import TicketEvent

    out = {}
    ids = list(ticket_ids)
    for i in range(0, len(ids), 500):
        for row in (
            TicketEvent.objects.filter(ticket_id__in=ids[i : i + 500], action="call")
            .values("ticket_id")
            .annotate(first=Min("at"))
        ):
            out[row["ticket_id"]] = row["first"]
    return out


def wait_of(t: dict, first_call) -> float | None:
    """Minutes from taking the ticket (or checking in, for a remote ticket) to the first call."""
    called = first_call or t.get("called_at")
    if called is None:
        return None
    return max(0.0, _minutes(t.get("checked_in_at") or t["issued_at"], called))


def hall(outlet, now=None) -> dict:
    """The live hall of one outlet today: queues, windows, longest wait, served, share within 15'."""
    from yimen.core import clock
    from yimen.outlets.models import QUEUE_WINDOW_KINDS, Window
    from yimen.outlets.selectors import schedule_for
    from yimen.queueing.models import Queue, Ticket
    from yimen.staff.models import WindowSession

    now = now or clock.now()
    today = clock.local(now).date()
    tickets = list(
        Ticket.objects.filter(outlet=outlet, service_date=today).values(
            "pk",
            "number",
            "queue_id",
            "status",
            "priority",
            "window_id",
            "issued_at",
            "queued_at",
            "checked_in_at",
            "check_in_by",
            "called_at",
            "started_at",
            "finished_at",
        )
    )
    firsts = first_calls(t["pk"] for t in tickets)

    def in_hall(t):  # a remote ticket counts once its holder has checked in at the outlet
        return t["check_in_by"] is None or t["checked_in_at"] is not None

    queues = []
    for q in Queue.objects.filter(outlet=outlet, active=True).order_by("prefix"):
        waiting = [t for t in tickets if t["queue_id"] == q.pk and t["status"] == Ticket.WAITING]
        longest = max(
            (_minutes(t["checked_in_at"] or t["issued_at"], now) for t in waiting if in_hall(t)),
            default=0.0,
        )
        queues.append(
            {
                "code": q.code,
                "name": q.name,
                "prefix": q.prefix,
                "waiting": len(waiting),
                "priority_waiting": sum(1 for t in waiting if t["priority"]),
                "longest_wait_minutes": round(longest, 1),
            }
        )
    active = {
        t["window_id"]: t
        for t in tickets
        if t["status"] in (Ticket.CALLED, Ticket.SERVING) and t["window_id"]
    }
    sessions = {
        s.window_id: s
        for s in WindowSession.objects.filter(
            window__outlet=outlet, ended_at__isnull=True
        ).select_related("staff")
    }
    served_by_window: dict[int, int] = {}
    for t in tickets:
        if t["status"] == Ticket.DONE and t["window_id"]:
            served_by_window[t["window_id"]] = served_by_window.get(t["window_id"], 0) + 1
    windows = []
    for w in Window.objects.filter(
        outlet=outlet, active=True, kind__in=QUEUE_WINDOW_KINDS
    ).order_by("group_code", "number"):
        session = sessions.get(w.pk)
        ticket = active.get(w.pk)
        if session is None:
            state, label = "closed", "未开"
        elif session.state == WindowSession.PAUSED:
            state, label = "paused", "暂停"
        elif ticket is not None:
            state, label = "serving", "办理中"
        else:
            state, label = "idle", "空闲"
        windows.append(
            {
                "number": w.number,
                "code": w.code,
                "kind": w.kind,
                "group": w.group_code,
                "state": state,
                "state_label": label,
                "pause_reason": session.pause_reason
                if session is not None and state == "paused"
                else "",
                "clerk": session.staff.name if session is not None else "",
                "ticket": ticket["number"] if ticket else "",
                "ticket_minutes": round(
                    _minutes(ticket["called_at"] or ticket["issued_at"], now), 1
                )
                if ticket
                else None,
                "served_today": served_by_window.get(w.pk, 0),
            }
        )
    called = [t for t in tickets if firsts.get(t["pk"]) or t["called_at"]]
    waits = sorted(wait_of(t, firsts.get(t["pk"])) for t in called)
    waiting_all = [t for t in tickets if t["status"] == Ticket.WAITING]
    schedule = schedule_for(outlet)
    return {
        "outlet": outlet,
        "now": now,
        "open": schedule.is_open(now),
        "queues": queues,
        "windows": windows,
        "waiting": len(waiting_all),
        "longest_wait_minutes": round(
            max(
                (
                    _minutes(t["checked_in_at"] or t["issued_at"], now)
                    for t in waiting_all
                    if in_hall(t)
                ),
                default=0.0,
            ),
            1,
        ),
        "remote_not_checked_in": sum(1 for t in waiting_all if not in_hall(t)),
        "issued_today": len(tickets),
        "served_today": sum(1 for t in tickets if t["status"] == Ticket.DONE),
        "no_show_today": sum(1 for t in tickets if t["status"] == Ticket.NO_SHOW),
        "called_today": len(called),
        "mean_wait_minutes": round(sum(waits) / len(waits), 1) if waits else None,
        "sla_15min": round(sum(1 for x in waits if x <= SLA_MINUTES) / len(waits), 4)
        if waits
        else None,
        "windows_open": sum(1 for w in windows if w["state"] != "closed"),
        "windows_serving": sum(1 for w in windows if w["state"] == "serving"),
    }


def city_overview(outlets, now=None) -> dict:
    rows = [hall(o, now) for o in outlets]
    called = sum(r["called_today"] for r in rows)
    within = sum((r["sla_15min"] or 0) * r["called_today"] for r in rows)
    return {
        "rows": rows,
        "waiting": sum(r["waiting"] for r in rows),
        "served_today": sum(r["served_today"] for r in rows),
        "issued_today": sum(r["issued_today"] for r in rows),
        "windows_open": sum(r["windows_open"] for r in rows),
        "sla_15min": round(within / called, 4) if called else None,
        "longest_wait_minutes": max((r["longest_wait_minutes"] for r in rows), default=0.0),
    }


# --- recorded history for the twin ------------------------------------------------------------------


def recorded_history(outlet_code: str, day) -> list[dict]:
    """The tickets of one outlet and day as twin `replay` rows: {at (minute of day), item, priority,
    service_minutes (finished − started, when known)}. Cancelled / no-show tickets are left out."""
    from yimen.core import clock
    from yimen.outlets.selectors import get_outlet
    from yimen.queueing.models import Ticket

    outlet = get_outlet(outlet_code)
    rows = []
    tickets = (
        Ticket.objects.filter(outlet=outlet, service_date=day)
        .exclude(status__in=[Ticket.CANCELLED, Ticket.NO_SHOW, "expired"])
        .prefetch_related("items", "handled_items")
        .order_by("issued_at")
    )
    for t in tickets:
        items = [i.code for i in t.handled_items.all()] or [i.code for i in t.items.all()]
        if not items:
            continue
        local = clock.local(t.issued_at)
        service = None
        begin = t.started_at or t.called_at
        if t.finished_at and begin:
            service = max(0.1, (t.finished_at - begin).total_seconds() / 60.0)
        rows.append(
            {
                "at": local.hour * 60 + local.minute + local.second / 60.0,
                "item": items[0],
                "priority": t.priority,
                "service_minutes": service,
            }
        )
    return rows


# --- demand from history (for staffing) ---------------------------------------------------------------


def demand_from_history(outlet, day, weeks: int = 4) -> list[dict]:
    """Per window group: arrivals per hour for each half hour and the service-time mean / cv, from
    the tickets of the same weekday in the `weeks` weeks ending on `day` (inclusive).
    [{group, name, days, rates: {"09:00": 12.0, …}, mean_service, service_cv, samples}]"""
    import statistics
    from datetime import timedelta

    from yimen.core import clock
    from yimen.queueing.models import Queue, Ticket

    days = [day - timedelta(days=7 * k) for k in range(weeks)]
    queues = {q.pk: q for q in Queue.objects.filter(outlet=outlet)}
    counts: dict[str, dict[int, int]] = {}
    services: dict[str, list[float]] = {}
    for t in (
        Ticket.objects.filter(outlet=outlet, service_date__in=days)
        .exclude(status=Ticket.CANCELLED)
        .values("queue_id", "issued_at", "called_at", "started_at", "finished_at", "status")
    ):
        q = queues.get(t["queue_id"])
        if q is None:
            continue
        group = q.window_group or q.code
        local = clock.local(t["issued_at"])
        slot = (local.hour * 60 + local.minute) // 30 * 30
        counts.setdefault(group, {}).setdefault(slot, 0)
        counts[group][slot] += 1
        begin = t["started_at"] or t["called_at"]
        if t["finished_at"] and begin:
            services.setdefault(group, []).append(
                max(0.1, (t["finished_at"] - begin).total_seconds() / 60.0)
            )
    names = {(q.window_group or q.code): q.name for q in queues.values()}
    out = []
    for group in sorted(counts):
        samples = services.get(group, [])
        mean = statistics.fmean(samples) if samples else None
        cv = (statistics.stdev(samples) / mean) if len(samples) >= 2 and mean else None
        out.append(
            {
                "group": group,
                "name": names.get(group, group),
                "days": len(days),
                "rates": {
                    f"{m // 60:02d}:{m % 60:02d}": round(n / len(days) * 2, 3)
                    for m, n in sorted(counts[group].items())
                },
                "mean_service": round(mean, 2) if mean else None,
                "service_cv": round(cv, 3) if cv is not None else None,
                "samples": len(samples),
            }
        )
    return out
