"""Reads of 好差评 and 办不成事, including what other apps call:

- `rating_url(ticket=…)` / `rating_url(case=…)`: the link printed as a QR code on tickets/notices;
- `summary(outlet=…, start=…, end=…)`: the figures for the insight dashboard (S09);
- `tolerance_check(grievance)`: the catalog check shown to the supervisor (S08).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.urls import reverse

from yimen.core import clock
from yimen.core.masking import mask_name, mask_phone
from yimen.core.selectors import work_calendar
from yimen.staff import authz

from . import conf, rules
from .models import ConductFinding, Grievance, Rating, Rectification
from .services import rating_token


def rating_url(*, ticket=None, case=None, absolute_base: str = "") -> str:
    """The public rating page of a ticket or a case (for the QR code on slips and notices)."""
    path = reverse("feedback:rate", args=[rating_token(ticket=ticket, case=case)])
    return absolute_base.rstrip("/") + path if absolute_base else path


def grievance_status_url(g: Grievance) -> str:
    return reverse("feedback:public_status", args=[g.public_token])


def just_finished_ticket(window, within_minutes: int = 30):
    """The ticket the window finished last (within the last N minutes) — what its tablet rates."""
    from yimen.queueing.models import Ticket

    since = clock.now() - timedelta(minutes=within_minutes)
    return (
        Ticket.objects.filter(window=window, status=Ticket.DONE, finished_at__gte=since)
        .select_related("outlet", "served_by")
        .prefetch_related("items", "handled_items")
        .order_by("-finished_at", "-id")
        .first()
    )


def ratings_of(*, ticket=None, case=None):
    qs = (
        Rating.objects.filter(ticket=ticket)
        if ticket is not None
        else Rating.objects.filter(case=case)
    )
    return list(qs.order_by("round"))


# --- rectifications -------------------------------------------------------------------------------
@dataclass
class RectificationRow:
    rect: Rectification
    flags: list
    days_left: int


def rectification_rows(viewer, outlet=None, *, open_only: bool = True, today: date | None = None):
    """Rectifications `viewer` may see (authz.visible_to; authz.SYSTEM for jobs), of one outlet when given."""
    today = today or clock.today()
    cal = work_calendar()
    qs = authz.visible_to(
        viewer,
        Rectification.objects.select_related("rating", "outlet", "window", "department", "staff"),
    )
    if outlet is not None:
        qs = qs.filter(outlet=outlet)
    if open_only:
        qs = qs.exclude(state__in=rules.RECTIFICATION_CLOSED)
    rows = []
    for r in qs.order_by("rectify_due", "id"):
        flags = rules.rectification_flags(
            r.state, today, r.callback_due, r.rectify_due, bool(r.callback_note)
        )
        rows.append(RectificationRow(r, flags, cal.workdays_between(today, r.rectify_due)))
    return rows


# --- grievances -----------------------------------------------------------------------------------
@dataclass
class GrievanceRow:
    g: Grievance
    name_masked: str
    phone_masked: str
    age_workdays: int
    overdue: list
    level_name: str


def grievance_flags(g: Grievance, today: date) -> list[str]:
    flags = []
    if g.first_response_at is None and today > g.first_response_due:
        flags.append("首次答复超期")
    if (
        g.status == rules.G_HANDLING
        and g.level_due
        and today > g.level_due
        and g.category == rules.HARD
    ):
        flags.append("本级超期")
    return flags


def grievance_rows(viewer, outlet=None, *, open_only: bool = True, today: date | None = None):
    """Grievances `viewer` may see (authz.visible_to; authz.SYSTEM for jobs), of one outlet when given."""
    today = today or clock.today()
    cal = work_calendar()
    qs = authz.visible_to(
        viewer, Grievance.objects.select_related("outlet", "item", "window", "staff")
    )
    if outlet is not None:
        qs = qs.filter(outlet=outlet)
    if open_only:
        qs = qs.filter(status__in=rules.GRIEVANCE_OPEN)
    rows = []
    ladders = {}
    for g in qs.order_by("-level", "received_at"):
        if g.outlet_id not in ladders:
            ladders[g.outlet_id] = conf.ladder_for(g.outlet)
        level_name = ""
        if g.category == rules.HARD and g.level:
            try:
                level_name = ladders[g.outlet_id].rung(g.level).name
            except Exception:  # a chain shortened after the grievance climbed it
                level_name = f"第{g.level}级"
        rows.append(
            GrievanceRow(
                g,
                mask_name(g.applicant_name) or "（匿名）",
                mask_phone(g.phone),
                cal.workdays_between(g.received_date, today),
                grievance_flags(g, today),
                level_name,
            )
        )
    return rows


def grievances_by_level(rows):
    """Open rows grouped for the chiefs' and leaders' list: ladder levels first, then the rest."""
    groups = defaultdict(list)
    for row in rows:
        key = row.level_name if row.level_name else rules.CATEGORY_LABELS[row.g.category]
        groups[key].append(row)
    return sorted(groups.items(), key=lambda kv: (-max(r.g.level for r in kv[1]), kv[0]))


def get_grievance(viewer, pk=None, *, number: str | None = None) -> Grievance:
    """One grievance `viewer` may see, by id or number; NotFound otherwise (also outside the scope)."""
    lookup = {"pk": pk} if number is None else {"number": number}
    return authz.get_visible(
        viewer,
        Grievance.objects.select_related("outlet", "item", "window", "staff", "ticket", "case"),
        "找不到该反映。",
        **lookup,
    )


def grievance_by_token(token: str) -> Grievance:
    from yimen.core.errors import NotFound

    g = (
        Grievance.objects.select_related("outlet", "item").filter(public_token=token).first()
        if token
        else None
    )
    if g is None:
        raise NotFound("查询码不正确或反映不存在。", code="bad_token")
    return g


@dataclass
class MaterialCheck:
    name: str
    required: bool
    tolerance: bool
    missing: bool

    @property
    def verdict(self) -> str:
        if not self.missing:
            return ""
        if not self.required:
            return "非必需材料，不应因此不予受理"
        if self.tolerance:
            return "可容缺材料：应当容缺受理，群众签署容缺承诺后补交"
        return "必需且不可容缺：不能容缺受理，应一次性告知或按“很难办”升级协调"


def tolerance_check(g: Grievance) -> dict:
    """S08: what the catalog says about the materials the person was refused for."""
    if g.item is None:
        return {
            "item": None,
            "lines": [],
            "should_accept": False,
            "summary": "未关联事项，无法自动核对材料目录。",
        }
    missing = set(g.missing_materials or [])
    lines = [
        MaterialCheck(m.name, m.required, m.tolerance, m.name in missing)
        for m in g.item.materials.all()
    ]
    missing_lines = [line for line in lines if line.missing]
    blocking = [line for line in missing_lines if line.required and not line.tolerance]
    should_accept = bool(missing_lines) and not blocking
    if not missing_lines:
        summary = "反映人未指明所缺材料，请核对原办理记录。"
    elif should_accept:
        summary = "所缺材料均可容缺（或非必需）：原申请应当容缺受理，“不给办”反映成立的可能性大。"
    else:
        summary = "所缺材料中有不可容缺的必需材料：" + "、".join(b.name for b in blocking) + "。"
    return {"item": g.item, "lines": lines, "should_accept": should_accept, "summary": summary}


def findings_for(staff):
    return list(ConductFinding.objects.filter(staff=staff).select_related("grievance", "item"))


# --- the dashboard summary (S09) -----------------------------------------------------------------
def summary(viewer, outlet=None, start: date | None = None, end: date | None = None) -> dict:
    """差评 count, rectifications open/closed, 整改率, median time to close (working days and hours),
    callbacks on time; grievances open/closed and their median time to close — of what `viewer`
    may see (authz.visible_to: a leader's district, a director's outlet; authz.SYSTEM for jobs),
    of one outlet when given. `start`/`end` are inclusive local dates of the rating / intake."""
    cal = work_calendar()
    ratings = authz.visible_to(viewer, Rating.objects.all())
    rects = authz.visible_to(viewer, Rectification.objects.select_related("rating"))
    griefs = authz.visible_to(viewer, Grievance.objects.all(), action="feedback.dashboard")
    if outlet is not None:
        ratings, rects, griefs = (
            ratings.filter(outlet=outlet),
            rects.filter(outlet=outlet),
            griefs.filter(outlet=outlet),
        )
    if start is not None:
        s = clock.at(start.year, start.month, start.day)
        ratings, rects = ratings.filter(created_at__gte=s), rects.filter(created_at__gte=s)
        griefs = griefs.filter(received_date__gte=start)
    if end is not None:
        e = clock.at(end.year, end.month, end.day) + timedelta(days=1)
        ratings, rects = ratings.filter(created_at__lt=e), rects.filter(created_at__lt=e)
        griefs = griefs.filter(received_date__lte=end)
    total = ratings.count()
    bad = ratings.filter(score__lte=rules.BAD_SCORE_MAX).count()
    good = ratings.filter(score__gte=4).count()
    rect_list = list(rects)
    closed = [r for r in rect_list if not r.is_open]
    close_workdays = [
        cal.workdays_between(clock.local(r.created_at).date(), clock.local(r.closed_at).date())
        for r in closed
    ]
    close_hours = [round((r.closed_at - r.created_at).total_seconds() / 3600, 1) for r in closed]
    callbacks = [r for r in rect_list if r.callback_at is not None]
    callback_on_time = [r for r in callbacks if clock.local(r.callback_at).date() <= r.callback_due]
    today = clock.today()
    overdue = [
        r
        for r in rect_list
        if rules.rectification_flags(
            r.state, today, r.callback_due, r.rectify_due, bool(r.callback_note)
        )
    ]
    g_list = list(griefs)
    g_closed = [g for g in g_list if g.status == rules.G_ARCHIVED and g.closed_at]
    by_category = {
        label: sum(1 for g in g_list if g.category == code)
        for code, label in rules.CATEGORY_CHOICES
    }
    by_level = defaultdict(int)
    for g in g_list:
        if g.is_open and g.category == rules.HARD:
            by_level[g.level] += 1
    return {
        "ratings": total,
        "good": good,
        "good_rate": round(good / total, 4) if total else None,
        "bad": bad,
        "rectifications": len(rect_list),
        "rectifications_open": len(rect_list) - len(closed),
        "rectifications_closed": len(closed),
        "rectification_rate": round(len(closed) / len(rect_list), 4) if rect_list else None,
        "rectifications_overdue": len(overdue),
        "median_close_workdays": rules.median_or_none(close_workdays),
        "median_close_hours": rules.median_or_none(close_hours),
        "callbacks_on_time_rate": round(len(callback_on_time) / len(callbacks), 4)
        if callbacks
        else None,
        "grievances": len(g_list),
        "grievances_open": sum(1 for g in g_list if g.is_open),
        "grievances_closed": len(g_closed),
        "grievances_by_category": by_category,
        "grievances_open_by_level": dict(sorted(by_level.items())),
        "grievance_median_close_workdays": rules.median_or_none(
            [
                cal.workdays_between(g.received_date, clock.local(g.closed_at).date())
                for g in g_closed
            ]
        ),
    }


# --- the citizen's own grievances and ratings (portal “我的”) ----------------------------------


def grievances_of_person(id_hash: str, *, tickets=(), cases=(), limit: int = 50) -> list:
    """Grievances filed with this ID number, or about one of these tickets or cases."""
    from django.db.models import Q

    from .models import Grievance

    q = Q(id_number_hash=id_hash) if id_hash else Q(pk__in=[])
    q |= Q(ticket__in=[t.pk for t in tickets]) | Q(case__in=[c.pk for c in cases])
    return list(
        Grievance.objects.filter(q).select_related("outlet").order_by("-received_at")[:limit]
    )


def ratings_of_person(*, tickets=(), cases=(), limit: int = 50) -> list:
    from django.db.models import Q

    from .models import Rating

    q = Q(ticket__in=[t.pk for t in tickets]) | Q(case__in=[c.pk for c in cases])
    return list(Rating.objects.filter(q).select_related("outlet", "ticket", "case")[:limit])


def phones_of_person(id_hash: str) -> set[str]:
    from .models import Grievance

    if not id_hash:
        return set()
    rows = Grievance.objects.filter(id_number_hash=id_hash).only("phone")[:200]
    return {g.phone for g in rows if g.phone}
