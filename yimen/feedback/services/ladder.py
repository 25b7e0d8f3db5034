"""The grievance ladder: entering a level, deciding at a level, escalating overdue ones (job)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction

from yimen.core import audit, clock
from yimen.core.errors import Conflict, ValidationFailed
from yimen.core.jobs import JobRun
from yimen.core.selectors import work_calendar
from yimen.staff.authz import authorize

from .. import conf, rules
from ..models import (
    EscalationLevel,
    Grievance,
)
from .common import _event, _notify, _typed_time, log


# --- grievances: the ladder ---------------------------------------------------------------------
def _enter_level(
    g: Grievance, level: int, staff, *, reason: str, auto: bool = False, first: bool = False
):
    ladder = conf.ladder_for(g.outlet)
    rung = ladder.rung(level)
    now = clock.now()
    due = rules.level_due(clock.local(now).date(), rung, work_calendar())
    before = g.status
    if first:
        g.status = rules.grievance_next(g.status, g.category, "start_ladder")
    g.level, g.level_due = level, due
    g.save(update_fields=["status", "level", "level_due"])
    EscalationLevel.objects.create(
        grievance=g,
        round=g.reopen_count,
        level=level,
        name=rung.name,
        owner_role=rung.owner_role,
        started_at=now,
        due=due,
    )
    _event(
        g,
        "start_ladder" if first else "escalate",
        before,
        staff,
        note=reason,
        label="升级督办定时任务" if auto else "",
    )
    audit.record(
        staff or "system",
        "grievance.escalate",
        g,
        before={"level": level - 1 if not first else 0},
        after={"level": level, "due": str(due), "auto": auto},
        reason=reason,
    )
    _notify(
        g,
        f"【{g.outlet.name}】您的反映（{g.number}）已提交“{rung.name}”研究协调，"
        f"将于 {due:%m月%d日} 前作出答复或继续协调。",
        template="grievance.escalated",
        params={"rung": rung.name, "due": f"{due:%m月%d日}"},
    )


def _current_level(g: Grievance) -> EscalationLevel:
    rec = (
        EscalationLevel.objects.filter(grievance=g, round=g.reopen_count, level=g.level)
        .order_by("-id")
        .first()
    )
    if rec is None:
        raise Conflict("本反映当前没有协调层级。", code="no_level")
    return rec


@transaction.atomic
def decide_level(
    g: Grievance,
    actor,
    *,
    decision: str,
    outcome: str,
    meeting_at: datetime | None = None,
    answer: str = "",
    target_level: int | None = None,
    skip_reason: str = "",
    request=None,
) -> Grievance:
    """The owner of the current rung records its meeting/decision: resolve (with a written answer
    to the person) or escalate (one rung up; more only with the reason recorded at this level)."""
    g = Grievance.objects.select_for_update(of=("self",)).select_related("outlet").get(pk=g.pk)
    ladder = conf.ladder_for(g.outlet)
    if g.category != rules.HARD or g.status != rules.G_HANDLING or g.level == 0:
        raise Conflict(
            f"本反映当前为「{g.get_status_display()}」，没有待研究的协调层级。", code="no_level"
        )
    rung = ladder.rung(g.level)
    staff = authorize(actor, f"feedback.level.{rung.owner_role}", g)
    decision = (decision or "").strip()
    if not decision:
        raise ValidationFailed(f"请记录“{rung.name}”的研究意见或决定。", code="decision_required")
    # a decision may be entered ahead of a meeting held later the same day: a day's slack
    meeting_at = _typed_time(
        meeting_at, "会议/研究时间", "meeting_at_invalid", slack=timedelta(days=1)
    )
    rec = _current_level(g)
    now = clock.now()
    rec.meeting_at = meeting_at or now
    rec.decision, rec.decided_by, rec.decided_at, rec.ended_at = decision, staff, now, now
    if outcome == "resolve":
        answer = (answer or "").strip()
        if not answer:
            raise ValidationFailed(
                "请填写给群众的书面答复（解决办法，或不能办理的理由）。", code="answer_required"
            )
        rec.outcome = EscalationLevel.RESOLVED
        rec.save()
        before = g.status
        g.status = rules.grievance_next(g.status, g.category, "resolve_level")
        g.answer = answer
        g.first_response_at = g.first_response_at or now
        g.save(update_fields=["status", "answer", "first_response_at"])
        _event(g, "resolve_level", before, staff, note=decision)
        audit.record(
            staff,
            "grievance.resolve_level",
            g,
            before={"status": before},
            after={"status": g.status, "level": g.level},
            reason=decision,
            request=request,
        )
        _notify(
            g,
            f"【{g.outlet.name}】您的反映（{g.number}）经“{rung.name}”研究，答复如下：{answer}",
            template="grievance.answered",
            params={"rung": rung.name, "answer": answer},
        )
        return g
    if outcome != "escalate":
        raise ValidationFailed("请选择本级结果：作出答复 或 升级。", code="outcome_required")
    target = target_level if target_level is not None else g.level + 1
    rules.check_escalation(g.level, int(target), ladder, skip_reason)
    rules.grievance_next(g.status, g.category, "escalate")
    rec.outcome, rec.skip_reason = EscalationLevel.ESCALATED, (skip_reason or "").strip()
    rec.save()
    g.first_response_at = g.first_response_at or now
    g.save(update_fields=["first_response_at"])
    audit.record(
        staff,
        "grievance.decide_level",
        g,
        after={"level": g.level, "outcome": "escalate", "target": int(target)},
        reason=decision,
        request=request,
    )
    _enter_level(
        g,
        int(target),
        staff,
        reason=f"{rung.name}研究后升级：{decision}"
        + (f"（越级理由：{skip_reason}）" if int(target) > rec.level + 1 else ""),
    )
    return g


def escalate_overdue(today: date | None = None, run: JobRun | None = None) -> JobRun:
    """The scheduled job (`yimen feedback escalate`): every 很难办 grievance whose rung is past its
    time box climbs exactly one rung. Safe to run concurrently: the move is a conditional UPDATE
    on (level, level_due), so of two jobs racing for one grievance only one changes the row; the
    other sees 0 rows and skips. The unique (grievance, round, level) constraint backs it up.
    Each grievance in its own transaction: one that fails (a bad row, a broken ladder setting) is
    logged and skipped (`run.failed`), the others climb. `run.done`: the numbers escalated."""
    today = today or clock.today()
    run = run or JobRun("feedback.escalate")
    candidates = list(
        Grievance.objects.filter(
            category=rules.HARD, status=rules.G_HANDLING, level__gte=1, level_due__lt=today
        )
        .order_by("pk")
        .values_list("pk", "number", "level", "level_due", "outlet_id")
    )
    ladders = {}
    from yimen.outlets.models import Outlet

    def one(candidate):
        pk, _number, level, due, outlet_id = candidate
        if outlet_id not in ladders:
            ladders[outlet_id] = conf.ladder_for(Outlet.objects.get(pk=outlet_id))
        ladder = ladders[outlet_id]
        if not rules.needs_auto_escalation(level, due, today, ladder):
            return None
        try:
            with transaction.atomic():
                claimed = Grievance.objects.filter(
                    pk=pk, status=rules.G_HANDLING, level=level, level_due=due
                ).update(level=level + 1)
                if claimed != 1:
                    return None  # another run (or a person) moved it first
                g = Grievance.objects.select_related("outlet").get(pk=pk)
                g.level = level  # _enter_level writes the new level and its due date
                rec = _current_level(g)
                now = clock.now()
                rec.outcome, rec.ended_at = EscalationLevel.AUTO_ESCALATED, now
                rec.decision = (
                    rec.decision or f"超过本级期限（{due:%Y-%m-%d}）未作出决定，自动升级。"
                )
                rec.save()
                _enter_level(
                    g,
                    level + 1,
                    None,
                    auto=True,
                    reason=f"{ladder.rung(level).name}超期未决（期限 {due:%Y-%m-%d}），自动升级",
                )
                return g.number
        except IntegrityError:
            log.info("grievance %s already escalated by a concurrent run", pk)
            return None

    run.done.extend(run.each(candidates, one, label=lambda c: c[1]))
    return run
