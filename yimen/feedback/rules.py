"""Pure rules of 好差评 and 办不成事: state machines, deadlines, the escalation ladder.

No database, no clock: callers pass `today`, the working calendar and the configuration. The
live services, the scheduled `yimen feedback escalate` job and the tests all use these.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from statistics import median
from typing import Any

from yimen.core.calendar import WorkCalendar
from yimen.core.errors import InvalidTransition, ValidationFailed
from yimen.core.validators import check_mobile

# --- Ratings (好差评) -------------------------------------------------------------------------
SCORE_LABELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
SCORE_CHOICES = [(s, SCORE_LABELS[s]) for s in (5, 4, 3, 2, 1)]
BAD_SCORE_MAX = 2  # 不满意 and below are 差评

REASON_CHOICES = [
    ("wait_long", "排队等候时间长"),
    ("attitude", "服务态度差"),
    ("unclear", "告知不清楚、一次性告知不到位"),
    ("repeat_visits", "多次跑动"),
    ("refused", "推诿、不给办"),
    ("slow", "办理超时、效率低"),
    ("fees", "乱收费"),
    ("system", "系统故障、设备问题"),
    ("other", "其他"),
]
REASON_LABELS = dict(REASON_CHOICES)


def is_bad(score: int) -> bool:
    return score <= BAD_SCORE_MAX


def check_rating(score: Any, reasons: Any, comment: str) -> tuple[int, list[str], str]:
    """Validate a rating; returns (score, reasons, comment) cleaned. Raises ValidationFailed."""
    try:
        score = int(score)
    except (TypeError, ValueError):
        raise ValidationFailed("请选择评价等级（非常满意～非常不满意）。", code="score_required")
    if score not in SCORE_LABELS:
        raise ValidationFailed("评价等级应为 1～5（非常不满意～非常满意）。", code="score_invalid")
    reasons = [r for r in (reasons or []) if r]
    unknown = [r for r in reasons if r not in REASON_LABELS]
    if unknown:
        raise ValidationFailed(f"未知的评价原因：{'、'.join(unknown)}。", code="reason_invalid")
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise ValidationFailed("评价内容不能超过 500 字。", code="comment_too_long")
    # GB/T 39734 and 国办发〔2019〕51号: evaluation is voluntary and must not be obstructed — a
    # 差评 asks for a reason to tick (selectable), never for a written comment
    if is_bad(score) and not reasons:
        raise ValidationFailed("「不满意」及以下的评价请至少选择一项原因。", code="reason_required")
    return score, sorted(set(reasons), key=list(REASON_LABELS).index), comment


def check_callback_contact(value: str, score: int) -> str:
    """The optional phone a 差评 leaves for the promised callback: a mobile (11 digits) or a
    landline with its area code (0971-6100400); dropped for a good rating (nobody calls back)."""
    value = re.sub(r"[\s（）()]", "", value or "").replace("－", "-")
    if not value or not is_bad(score):
        return ""
    if check_mobile(value) or re.fullmatch(r"0\d{2,3}-?\d{7,8}", value):
        return value
    raise ValidationFailed(
        "回访电话请填 11 位手机号，或带区号的座机号（如 0971-6100400）；也可以不填。",
        code="callback_phone_invalid",
    )


# --- Rectification (差评整改) -----------------------------------------------------------------
R_VERIFY, R_RECTIFYING, R_RECTIFIED, R_APPEALED, R_INVALID, R_UNFIXABLE = (
    "verify",
    "rectifying",
    "rectified",
    "appealed",
    "invalid",
    "unfixable",
)
RECTIFICATION_STATES = [
    (R_VERIFY, "待核实"),
    (R_RECTIFYING, "整改中"),
    (R_RECTIFIED, "已整改"),
    (R_APPEALED, "申诉中"),
    (R_INVALID, "申诉成立"),
    (R_UNFIXABLE, "无法整改"),
]
RECTIFICATION_LABELS = dict(RECTIFICATION_STATES)
RECTIFICATION_CLOSED = {R_RECTIFIED, R_INVALID, R_UNFIXABLE}

# action -> {from_state: to_state}
RECTIFICATION_TRANSITIONS = {
    "callback": {R_VERIFY: R_RECTIFYING},  # 回访核实
    "appeal": {R_RECTIFYING: R_APPEALED},  # 申诉（认为差评不实）
    "approve_appeal": {R_APPEALED: R_INVALID},  # 科长批准申诉
    "reject_appeal": {R_APPEALED: R_RECTIFYING},  # 科长驳回申诉，继续整改
    "complete": {R_RECTIFYING: R_RECTIFIED},  # 整改完成并反馈群众
    "unfixable": {R_RECTIFYING: R_UNFIXABLE},  # 无法整改（说明理由）
}
RECTIFICATION_ACTION_LABELS = {
    "callback": "回访核实",
    "appeal": "提出申诉",
    "approve_appeal": "批准申诉",
    "reject_appeal": "驳回申诉",
    "complete": "整改完成",
    "unfixable": "无法整改",
}


def rectification_next(state: str, action: str, *, callback_note: str = "", note: str = "") -> str:
    """The state after `action`; raises InvalidTransition / ValidationFailed.

    Closing needs a callback note plus the note of the closing action (S09)."""
    targets = RECTIFICATION_TRANSITIONS.get(action)
    if targets is None:
        raise ValidationFailed(f"未知的整改操作：{action}")
    if state not in targets:
        raise InvalidTransition(
            "整改任务", RECTIFICATION_LABELS.get(state, state), RECTIFICATION_ACTION_LABELS[action]
        )
    to = targets[state]
    if action == "callback" and not (note or "").strip():
        raise ValidationFailed(
            "请填写回访记录（与群众核实的情况）。", code="callback_note_required"
        )
    if (
        action in ("appeal", "approve_appeal", "reject_appeal", "unfixable")
        and not (note or "").strip()
    ):
        messages = {
            "appeal": "请填写申诉理由。",
            "approve_appeal": "请填写审批意见。",
            "reject_appeal": "请填写驳回理由。",
            "unfixable": "请说明无法整改的原因。",
        }
        raise ValidationFailed(messages[action], code="note_required")
    if to in RECTIFICATION_CLOSED:
        if not (callback_note or "").strip():
            raise ValidationFailed(
                "没有回访记录，整改任务不能关闭。", code="callback_note_required"
            )
        if action == "complete" and not (note or "").strip():
            raise ValidationFailed(
                "没有整改情况说明，整改任务不能关闭。", code="rectification_note_required"
            )
    return to


@dataclass(frozen=True)
class RectificationDeadlines:
    callback_due: date
    rectify_due: date


def rectification_deadlines(
    created: date, calendar: WorkCalendar, rectify_workdays: int = 15, callback_workdays: int = 1
) -> RectificationDeadlines:
    return RectificationDeadlines(
        calendar.add_workdays(created, callback_workdays).date,
        calendar.add_workdays(created, rectify_workdays).date,
    )


def rectification_flags(
    state: str, today: date, callback_due: date, rectify_due: date, callback_done: bool
) -> list[str]:
    """Overdue flags (Chinese labels) of an open rectification; closed ones have none."""
    if state in RECTIFICATION_CLOSED:
        return []
    flags = []
    if not callback_done and today > callback_due:
        flags.append("回访超期")
    if today > rectify_due:
        flags.append("整改超期")
    return flags


# --- Grievances (办不成事) --------------------------------------------------------------------
CANNOT, HARD, REFUSED, OTHER = "cannot", "hard", "refused", "other"
CATEGORY_CHOICES = [(CANNOT, "办不了"), (HARD, "很难办"), (REFUSED, "不给办"), (OTHER, "其他")]
CATEGORY_LABELS = dict(CATEGORY_CHOICES)

G_RECEIVED, G_INVESTIGATING, G_HANDLING, G_FEEDBACK, G_ARCHIVED = (
    "received",
    "investigating",
    "handling",
    "feedback",
    "archived",
)
GRIEVANCE_STATES = [
    (G_RECEIVED, "受理"),
    (G_INVESTIGATING, "核查"),
    (G_HANDLING, "处理"),
    (G_FEEDBACK, "反馈"),
    (G_ARCHIVED, "归档"),
]
GRIEVANCE_LABELS = dict(GRIEVANCE_STATES)
GRIEVANCE_OPEN = {G_RECEIVED, G_INVESTIGATING, G_HANDLING, G_FEEDBACK}

# action -> ({from_states}, to_state, categories allowed (None = all))
GRIEVANCE_TRANSITIONS = {
    "explain": (
        {G_RECEIVED, G_INVESTIGATING, G_HANDLING},
        G_FEEDBACK,
        {CANNOT},
    ),  # 当面说明（办不了）
    "start_ladder": ({G_RECEIVED, G_INVESTIGATING}, G_HANDLING, {HARD}),  # 启动逐级协调
    "escalate": ({G_HANDLING}, G_HANDLING, {HARD}),  # 升级到下一层级
    "resolve_level": ({G_HANDLING}, G_FEEDBACK, {HARD}),  # 本层级作出答复
    "investigate": ({G_RECEIVED}, G_INVESTIGATING, {REFUSED, OTHER}),  # 启动核查（督查）
    "finding": ({G_INVESTIGATING}, G_HANDLING, {REFUSED, OTHER}),  # 核查结论
    "handle": ({G_HANDLING}, G_FEEDBACK, {REFUSED, OTHER}),  # 事项已处理
    "close": ({G_FEEDBACK}, G_ARCHIVED, None),  # 群众反馈后归档
    "reopen": ({G_ARCHIVED, G_FEEDBACK}, G_HANDLING, None),  # 重新办理
}
GRIEVANCE_ACTION_LABELS = {
    "explain": "当面说明",
    "start_ladder": "启动逐级协调",
    "escalate": "升级督办",
    "resolve_level": "作出答复",
    "investigate": "启动核查",
    "finding": "核查结论",
    "handle": "处理完毕",
    "close": "归档",
    "reopen": "重新办理",
}


# A double click, a retried form or two concurrent POSTs of the same reflection open one grievance:
# the same person (phone, ID number, name), category, text and original ticket/case at the same
# outlet within this many minutes is the same submission (services answer with the first one).
DUPLICATE_WINDOW_MINUTES = 10


def submission_key(
    *,
    category: str,
    description: str,
    phone: str,
    id_number: str,
    name: str,
    ticket: int | None,
    case: int | None,
) -> tuple[str, str, str, str, str, int | None, int | None]:
    """What makes two intakes the same reflection (white space inside the text does not count)."""
    return (
        category,
        "".join((description or "").split()),
        (phone or "").strip(),
        (id_number or "").strip().upper(),
        (name or "").strip(),
        ticket,
        case,
    )


def grievance_next(state: str, category: str, action: str) -> str:
    spec = GRIEVANCE_TRANSITIONS.get(action)
    if spec is None:
        raise ValidationFailed(f"未知的操作：{action}")
    sources, to, categories = spec
    label = GRIEVANCE_ACTION_LABELS[action]
    if categories is not None and category not in categories:
        names = "、".join(CATEGORY_LABELS[c] for c in categories)
        raise InvalidTransition(
            "反映事项",
            GRIEVANCE_LABELS.get(state, state),
            label,
            message=f"「{label}」只适用于{names}类反映，本件为「{CATEGORY_LABELS.get(category, category)}」。",
        )
    if state not in sources:
        raise InvalidTransition("反映事项", GRIEVANCE_LABELS.get(state, state), label)
    return to


# --- The escalation ladder (很难办) ------------------------------------------------------------
# The outlet's escalation_chain lists the rungs, level 0 being where the grievance was raised.
OWNER_ROLE_BY_RUNG = {
    "窗口工作人员": "clerk",
    "中心各科室科长局务会": "chief",
    "区级主要领导": "leader",
    "省市相关部门协调": "director",  # the centre director tracks the provincial/city coordination
}
DEFAULT_CHAIN = ["窗口工作人员", "中心各科室科长局务会", "区级主要领导", "省市相关部门协调"]
DEFAULT_LEVEL_WORKDAYS = {1: 3, 2: 5, 3: 10}


@dataclass(frozen=True)
class Rung:
    level: int
    name: str
    owner_role: str
    workdays: int


@dataclass(frozen=True)
class Ladder:
    rungs: tuple[Rung, ...] = field(default_factory=tuple)

    @property
    def top(self) -> int:
        return self.rungs[-1].level if self.rungs else 0

    def rung(self, level: int) -> Rung:
        for r in self.rungs:
            if r.level == level:
                return r
        raise ValidationFailed(f"升级督办链中没有第 {level} 级。", code="no_such_level")


def ladder_from_chain(chain: list[str] | None, workdays: dict[Any, Any] | None = None) -> Ladder:
    """Build the ladder from an outlet's escalation_chain. Entry 0 (window staff) is the intake;
    levels 1.. are the coordination rungs. Unknown rung names are owned by the centre director."""
    chain = list(chain or DEFAULT_CHAIN)
    days = dict(DEFAULT_LEVEL_WORKDAYS)
    for k, v in (workdays or {}).items():
        days[int(k)] = int(v)
    rungs = []
    for level, name in enumerate(chain):
        if level == 0:
            continue
        rungs.append(
            Rung(
                level,
                name,
                OWNER_ROLE_BY_RUNG.get(name, "director"),
                days.get(level, days[max(days)]),
            )
        )
    return Ladder(tuple(rungs))


def level_due(started: date, rung: Rung, calendar: WorkCalendar) -> date:
    return calendar.add_workdays(started, rung.workdays).date


def check_escalation(
    current_level: int, target_level: int, ladder: Ladder, skip_reason: str = ""
) -> None:
    """A grievance climbs one rung at a time unless the current level records why it skips."""
    if target_level <= current_level:
        raise ValidationFailed("只能升级到更高的层级。", code="not_higher")
    if target_level > ladder.top:
        raise ValidationFailed(
            f"已是最高层级（{ladder.rung(ladder.top).name}），不能再升级。", code="top_level"
        )
    if target_level > current_level + 1 and not (skip_reason or "").strip():
        skipped = "、".join(ladder.rung(lv).name for lv in range(current_level + 1, target_level))
        raise ValidationFailed(
            f"越级升级须由本级说明理由（将跳过：{skipped}）。", code="skip_reason_required"
        )


def needs_auto_escalation(level: int, due: date, today: date, ladder: Ladder) -> bool:
    """Overdue at a level below the top → the scheduled job moves it one rung up."""
    return 0 < level < ladder.top and today > due


def first_response_due(received: date, calendar: WorkCalendar, workdays: int = 1) -> date:
    return calendar.add_workdays(received, workdays).date


def median_or_none(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return median(present) if present else None
