"""Staff in-app notices (the bell): writes and reads.

Who is told what:
- an approver, when a case of their department enters 预警 (cases.services.refresh_time_status);
- the chiefs and the director of an outlet, when a 差评 opens a rectification there
  (feedback.services.ratings) and when a 办不成事 grievance is received there
  (feedback.services.grievance_intake);
- the district leaders over the outlet, the working day before a grievance would climb by itself
  to their rung (the chore `warn_escalations`).

Each notice is written once per (event, recipient) (unique dedupe key) in the transaction of the
change. Every read goes through the scope policy (`authz.visible_to`) and is limited to the
reader's own notices: a clerk never sees another outlet's, whoever they were addressed to."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Q, QuerySet

from yimen.core import clock
from yimen.core.errors import NotFound
from yimen.core.jobs import JobRun
from yimen.staff import authz
from yimen.staff.models import APPROVER, CHIEF, DIRECTOR, LEADER, Staff

from .models import Notice

# --- writes -----------------------------------------------------------------------------------------


def notify_staff(
    recipients: QuerySet[Staff],
    *,
    kind: str,
    title: str,
    link: str,
    key: str,
    outlet_id: int | None = None,
    department_id: int | None = None,
) -> int:
    """One notice per active recipient (inside the caller's transaction); returns how many were
    new (a second call with the same key adds none)."""
    now = clock.now()
    rows = [
        Notice(
            recipient_id=pk,
            outlet_id=outlet_id,
            department_id=department_id,
            kind=kind,
            title=title[:200],
            link=link,
            dedupe_key=f"{key}:{pk}"[:160],
            created_at=now,
        )
        for pk in recipients.filter(active=True, user__is_active=True).values_list("pk", flat=True)
    ]
    before = Notice.objects.filter(dedupe_key__in=[r.dedupe_key for r in rows]).count()
    Notice.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows) - before


def deadline_warning(case) -> int:
    """A case of a department entered 预警: its approvers are told."""
    department_id = case.item.department_id
    return notify_staff(
        Staff.objects.filter(role=APPROVER, department_id=department_id),
        kind=Notice.DEADLINE,
        title=f"办件 {case.receipt_number} 即将到期（{case.item.name[:20]}）",
        link=f"/cases/{case.pk}/",
        key=f"deadline:{case.pk}:{case.due_date}",
        outlet_id=case.outlet_id,
        department_id=department_id,
    )


def bad_rating(rect) -> int:
    """A 差评 opened a rectification: the outlet's chiefs and director are told."""
    return notify_staff(
        Staff.objects.filter(role__in=(CHIEF, DIRECTOR), outlet_id=rect.outlet_id),
        kind=Notice.BAD_RATING,
        title=f"新差评：{rect.rating.get_score_display()}，请于 {rect.callback_due:%m月%d日} 前回访",
        link=f"/feedback/rectifications/{rect.pk}/",
        key=f"bad_rating:{rect.pk}",
        outlet_id=rect.outlet_id,
    )


def new_grievance(g) -> int:
    """A 办不成事 grievance was received: the outlet's chiefs and director are told."""
    return notify_staff(
        Staff.objects.filter(role__in=(CHIEF, DIRECTOR), outlet_id=g.outlet_id),
        kind=Notice.GRIEVANCE,
        title=f"新办不成事反映 {g.number}（{g.get_category_display()}）",
        link=f"/feedback/grievances/{g.pk}/",
        key=f"grievance:{g.pk}",
        outlet_id=g.outlet_id,
    )


def warn_escalations(today: date | None = None, run: JobRun | None = None) -> JobRun:
    """The chore: a 很难办 grievance whose rung ends today or on the next working day, and whose
    next rung belongs to the district leaders, is announced to the leaders over its outlet before
    the automatic escalation (feedback.services.escalate_overdue) reaches them."""
    from yimen.core.selectors import work_calendar
    from yimen.feedback import conf as feedback_conf, rules as feedback_rules
    from yimen.feedback.models import Grievance

    today = today or clock.today()
    run = run or JobRun("outreach.warn_escalations")
    horizon = work_calendar().add_workdays(today, 1).date
    candidates = list(
        Grievance.objects.filter(
            category=feedback_rules.HARD,
            status=feedback_rules.G_HANDLING,
            level__gte=1,
            level_due__gte=today,
            level_due__lte=horizon,
        )
        .select_related("outlet")
        .order_by("pk")
    )

    def one(g):
        ladder = feedback_conf.ladder_for(g.outlet)
        if g.level >= ladder.top or ladder.rung(g.level + 1).owner_role != LEADER:
            return None
        region = g.outlet.region_code or ""
        leaders = Staff.objects.filter(role=LEADER).exclude(region_code="")
        leaders = [s.pk for s in leaders if region.startswith(s.region_code)]
        new = notify_staff(
            Staff.objects.filter(pk__in=leaders),
            kind=Notice.ESCALATION,
            title=(
                f"办不成事反映 {g.number} 将于 {g.level_due:%m月%d日} 后自动升级至"
                f"{ladder.rung(g.level + 1).name}"
            ),
            link=f"/feedback/grievances/{g.pk}/",
            key=f"escalation:{g.pk}:{g.level}:{g.level_due}",
            outlet_id=g.outlet_id,
        )
        return g.number if new else None

    run.done.extend(run.each(candidates, one, label=lambda g: g.number))
    return run


def mark_read(actor, notice_id: int | None = None) -> int:
    """Mark one of the reader's notices (or all of them) as read; returns how many changed."""
    qs = visible_notices(actor).filter(read_at__isnull=True)
    if notice_id is not None:
        if not visible_notices(actor).filter(pk=notice_id).exists():
            raise NotFound("找不到该通知。", code="notice_not_found")
        qs = qs.filter(pk=notice_id)
    return qs.update(read_at=clock.now())


# --- reads ------------------------------------------------------------------------------------------


def visible_notices(actor) -> QuerySet[Notice]:
    """The reader's own notices within their scope (authz.visible_to)."""
    staff = authz.staff_of(actor)
    if staff is None:
        return Notice.objects.none()
    return authz.visible_to(staff, Notice.objects.filter(recipient=staff))


def counts(actor) -> dict:
    """The bell: unread notices in total and by kind."""
    rows = (
        visible_notices(actor)
        .filter(read_at__isnull=True)
        .values("kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_kind = {kind: 0 for kind, _label in Notice.KIND_CHOICES}
    for row in rows:
        by_kind[row["kind"]] = row["n"]
    return {"unread": sum(by_kind.values()), "by_kind": by_kind}


def listing(actor, *, unread_only: bool = False, limit: int = 100) -> list[Notice]:
    qs = visible_notices(actor)
    if unread_only:
        qs = qs.filter(Q(read_at__isnull=True))
    return list(qs[:limit])
