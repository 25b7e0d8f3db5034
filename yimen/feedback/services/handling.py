"""Handling a grievance: 办不了 / 不给办 / 其他 — explain, investigate, record the finding, handle the matter."""

from __future__ import annotations

from django.db import transaction

from yimen.core import audit, clock
from yimen.core.errors import ValidationFailed
from yimen.core.masking import mask_name
from yimen.staff.authz import authorize

from .. import rules
from ..models import (
    ConductFinding,
    Grievance,
)
from .common import _event, _notify


# --- grievances: 办不了 / 不给办 / 其他 -------------------------------------------------------------
def _transition(g: Grievance, action: str, staff, note: str, request=None, **changes) -> Grievance:
    before = g.status
    g.status = rules.grievance_next(g.status, g.category, action)
    for k, v in changes.items():
        setattr(g, k, v)
    g.save()
    _event(g, action, before, staff, note=note)
    audit.record(
        staff,
        f"grievance.{action}",
        g,
        before={"status": before},
        after={"status": g.status},
        reason=note[:500],
        request=request,
    )
    return g


def _locked(g: Grievance) -> Grievance:
    return (
        Grievance.objects.select_for_update(of=("self",))
        .select_related("outlet", "item", "staff", "ticket")
        .get(pk=g.pk)
    )


EXPLAIN_REASONS = [
    ("not_eligible", "不符合申请条件"),
    ("not_in_scope", "不属于本中心/本部门职权"),
    ("policy_forbids", "法律法规、政策明确不允许"),
    ("already_done", "已办理或重复申请"),
    ("other", "其他"),
]
EXPLAIN_REASON_LABELS = dict(EXPLAIN_REASONS)


@transaction.atomic
def explain_cannot(
    g: Grievance,
    actor,
    *,
    reason_code: str,
    legal_basis: str,
    explanation: str,
    explained_in_person: bool,
    alternatives: str = "",
    request=None,
) -> Grievance:
    """办不了: the face-to-face explanation with its legal basis (S07)."""
    g = _locked(g)
    staff = authorize(actor, "feedback.grievance.explain", g)
    if reason_code not in EXPLAIN_REASON_LABELS:
        raise ValidationFailed("请选择不能办理的原因。", code="reason_required")
    if not (legal_basis or "").strip():
        raise ValidationFailed(
            "请填写政策依据（法规、文件名称及条款）。", code="legal_basis_required"
        )
    if not (explanation or "").strip():
        raise ValidationFailed("请填写向群众说明的内容。", code="explanation_required")
    if not explained_in_person:
        raise ValidationFailed(
            "办不了的事项必须当面向群众说明清楚，请当面说明后勾选确认。", code="in_person_required"
        )
    now = clock.now()
    _transition(
        g,
        "explain",
        staff,
        explanation.strip(),
        request=request,
        reason_code=reason_code,
        legal_basis=legal_basis.strip(),
        explanation=explanation.strip(),
        alternatives=(alternatives or "").strip(),
        explained_in_person=True,
        answer=explanation.strip(),
        first_response_at=g.first_response_at or now,
    )
    _notify(
        g,
        f"【{g.outlet.name}】已当面向您说明：{EXPLAIN_REASON_LABELS[reason_code]}。依据：{legal_basis.strip()}",
        channel="in_person",
    )
    return g


@transaction.atomic
def start_investigation(g: Grievance, actor, note: str = "", request=None) -> Grievance:
    """不给办 / 其他: the supervisor starts checking the original interaction (核查)."""
    g = _locked(g)
    staff = authorize(actor, "feedback.grievance.investigate", g)
    _transition(
        g,
        "investigate",
        staff,
        (note or "").strip() or "启动核查",
        request=request,
        first_response_at=g.first_response_at or clock.now(),
    )
    _notify(
        g,
        f"【{g.outlet.name}】您的反映（{g.number}）已进入核查，督查人员：{mask_name(staff.name)}。",
        template="grievance.investigating",
        params={"staff": mask_name(staff.name)},
    )
    return g


@transaction.atomic
def record_finding(
    g: Grievance, actor, *, upheld: bool, note: str, conduct: str = "", request=None
) -> Grievance:
    """The investigation's outcome; an upheld 不给办 may put a finding (不作为 …) on the clerk's record."""
    g = _locked(g)
    staff = authorize(actor, "feedback.grievance.investigate", g)
    note = (note or "").strip()
    if not note:
        raise ValidationFailed("请填写核查结论（事实与依据）。", code="finding_required")
    if conduct:
        if conduct not in dict(ConductFinding._meta.get_field("kind").choices):
            raise ValidationFailed("履职问题认定类别不正确。", code="conduct_invalid")
        if not upheld:
            raise ValidationFailed(
                "反映不属实时不能认定工作人员履职问题。", code="conduct_needs_upheld"
            )
        if g.staff_id is None:
            raise ValidationFailed(
                "本反映未关联具体工作人员，无法记录履职问题。", code="staff_unknown"
            )
    _transition(
        g, "finding", staff, note, request=request, finding_upheld=bool(upheld), finding_note=note
    )
    if conduct:
        finding = ConductFinding.objects.create(
            staff=g.staff,
            grievance=g,
            kind=conduct,
            note=note,
            item=g.item,
            occurred_at=g.occurred_at,
            recorded_by=staff,
            recorded_at=clock.now(),
        )
        audit.record(
            staff,
            "staff.conduct_finding",
            finding,
            after={"staff": g.staff_id, "kind": conduct},
            reason=note[:500],
            request=request,
        )
    return g


@transaction.atomic
def handle_matter(g: Grievance, actor, *, note: str, case=None, request=None) -> Grievance:
    """The matter itself was handled (e.g. the application accepted under 容缺 the same day)."""
    g = _locked(g)
    staff = authorize(actor, "feedback.grievance.handle", g)
    note = (note or "").strip()
    if not note:
        raise ValidationFailed("请填写处理结果（事项如何办理）。", code="handling_required")
    changes = {"handling_note": note, "answer": note}
    if case is not None:
        if case.outlet_id != g.outlet_id:
            raise ValidationFailed("关联的办件不属于本网点。", code="case_outlet_mismatch")
        changes["case"] = case
    _transition(g, "handle", staff, note, request=request, **changes)
    _notify(
        g,
        f"【{g.outlet.name}】您的反映（{g.number}）已处理：{note}",
        template="grievance.handled",
        params={"note": note},
    )
    return g
