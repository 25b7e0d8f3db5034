"""Pure rules of the 办件 lifecycle: the state machine, material checks, time limits.

No database, no clock: the services, the tests and the insight simulator use the same code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from yimen.core.calendar import WorkCalendar

# --- Statuses -------------------------------------------------------------------------------
DRAFT = "draft"  # 收件中: checklist at the window
NOTIFIED = "notified"  # 一次性告知，待补齐
ACCEPTED = "accepted"  # 已受理，审批中
PAUSED = "paused"  # 特别程序/补正，时限暂停
DECIDED = "decided"  # 已作出决定
RESULT_READY = "ready"  # 结果已出，待送达
CLOSED = "closed"  # 已办结（已送达）
REJECTED = "rejected"  # 不予受理
TERMINATED = "terminated"  # 终止（容缺材料逾期未补齐等）
ESCALATED = "escalated"  # 很难办，转办不成事反映
WITHDRAWN = "withdrawn"  # 申请人撤回
PRECHECK = "precheck"  # 网上申报，待网上预审 (issue #21, yimen/online)

STATUS_CHOICES = [
    (DRAFT, "收件中"),
    (NOTIFIED, "一次性告知待补齐"),
    (ACCEPTED, "已受理"),
    (PAUSED, "时限暂停"),
    (DECIDED, "已决定"),
    (RESULT_READY, "待领取/待送达"),
    (CLOSED, "已办结"),
    (REJECTED, "不予受理"),
    (TERMINATED, "已终止"),
    (ESCALATED, "很难办·已转办"),
    (WITHDRAWN, "已撤回"),
    (PRECHECK, "网上预审"),
]
STATUS_LABELS = dict(STATUS_CHOICES)
ACCEPTED_STATES = (ACCEPTED, PAUSED, DECIDED, RESULT_READY, CLOSED, TERMINATED)
FINAL_STATES = (CLOSED, REJECTED, TERMINATED, ESCALATED, WITHDRAWN)
CLOCK_RUNNING_STATES = (ACCEPTED,)
OPEN_BACK_OFFICE_STATES = (ACCEPTED, PAUSED)

# --- Actions: the transition table ------------------------------------------------------------
TRANSITIONS: dict[str, tuple[tuple[str, ...], str | None]] = {
    # action: (allowed from-states, to-state; None = unchanged)
    "notify_missing": ((DRAFT,), NOTIFIED),
    "return_visit": ((NOTIFIED,), DRAFT),
    "accept": ((DRAFT,), ACCEPTED),
    "reject": ((DRAFT, NOTIFIED, PRECHECK), REJECTED),
    "escalate_hard": ((DRAFT, NOTIFIED), ESCALATED),
    "withdraw": ((DRAFT, NOTIFIED, ACCEPTED, PAUSED, PRECHECK), WITHDRAWN),
    "supply_material": ((ACCEPTED, PAUSED, DECIDED), None),
    "remind_tolerance": ((ACCEPTED, PAUSED), None),
    "terminate": ((ACCEPTED, PAUSED), TERMINATED),
    "review_step": ((ACCEPTED,), None),
    "pause": ((ACCEPTED,), PAUSED),
    "resume": ((PAUSED,), ACCEPTED),
    "decide": ((ACCEPTED,), DECIDED),
    "issue_result": ((DECIDED,), RESULT_READY),
    "deliver": ((RESULT_READY, DECIDED), CLOSED),
    # 网上预审 (online application): accept online, one online 补正, the applicant re-uploads
    "precheck_accept": ((PRECHECK,), ACCEPTED),
    "precheck_correct": ((PRECHECK,), NOTIFIED),
    "resubmit_online": ((NOTIFIED,), PRECHECK),
}
ACTION_LABELS = {
    "open": "收件",
    "notify_missing": "一次性告知",
    "return_visit": "补齐材料再次到场",
    "accept": "受理",
    "reject": "不予受理",
    "escalate_hard": "很难办·升级",
    "withdraw": "撤回",
    "supply_material": "补交容缺材料",
    "remind_tolerance": "容缺补齐提醒",
    "terminate": "终止",
    "review_step": "审批环节",
    "pause": "暂停时限",
    "resume": "恢复计时",
    "decide": "作出决定",
    "issue_result": "出具结果",
    "deliver": "送达",
    "submit_online": "网上申报",
    "precheck_accept": "网上预审·受理",
    "precheck_correct": "网上预审·补正告知",
    "resubmit_online": "网上补正后重新提交",
}


class TransitionError(Exception):
    def __init__(self, from_state: str, action: str):
        super().__init__(f"{from_state} -/-> {action}")
        self.from_state = from_state
        self.action = action


def next_status(current: str, action: str) -> str:
    """The status after `action`, or TransitionError if the action is not allowed now."""
    allowed, target = TRANSITIONS[action]
    if current not in allowed:
        raise TransitionError(current, action)
    return target or current


def allowed_actions(current: str) -> list[str]:
    return [a for a, (frm, _) in TRANSITIONS.items() if current in frm]


# --- Materials ---------------------------------------------------------------------------------
M_PENDING, M_RECEIVED, M_MISSING, M_TOLERATED = "pending", "received", "missing", "tolerated"
MATERIAL_STATE_CHOICES = [
    (M_PENDING, "待核验"),
    (M_RECEIVED, "已收取"),
    (M_MISSING, "缺少"),
    (M_TOLERATED, "容缺待补"),
]
RECEIVED_VIA_CHOICES = [
    ("paper", "纸质"),
    ("electronic", "电子"),
    ("data_sharing", "数据共享调取"),
    ("promise", "告知承诺"),  # a signed 承诺书 replaces the material (告知承诺制)
]
RECEIVED_VIA_LABELS = dict(RECEIVED_VIA_CHOICES)


@dataclass(frozen=True)
class MaterialLine:
    key: object
    name: str
    required: bool
    tolerance_eligible: bool
    state: str  # pending/received/missing/tolerated


@dataclass(frozen=True)
class IntakeAssessment:
    """What the checklist allows: which outcome is possible and which materials block what."""

    pending: tuple[MaterialLine, ...]  # not yet checked
    missing_required: tuple[MaterialLine, ...]  # required and missing (any)
    blocking: tuple[MaterialLine, ...]  # required, missing, NOT tolerance-eligible
    tolerable: tuple[MaterialLine, ...]  # required, missing, tolerance-eligible

    @property
    def complete(self) -> bool:
        return not self.pending and not self.missing_required

    @property
    def can_accept(self) -> bool:
        return self.complete

    @property
    def can_accept_with_tolerance(self) -> bool:
        return not self.pending and not self.blocking and bool(self.tolerable)

    @property
    def must_notify(self) -> bool:
        return not self.pending and bool(self.missing_required)


def assess(lines: Iterable[MaterialLine]) -> IntakeAssessment:
    lines = list(lines)
    pending = tuple(m for m in lines if m.state == M_PENDING and m.required)
    missing = tuple(m for m in lines if m.required and m.state in (M_MISSING, M_TOLERATED))
    blocking = tuple(m for m in missing if not m.tolerance_eligible)
    tolerable = tuple(m for m in missing if m.tolerance_eligible)
    return IntakeAssessment(pending, missing, blocking, tolerable)


def surprise_materials(
    listed_before: Iterable[object],
    now_missing: Iterable[object],
    available_before: Iterable[object],
) -> list[object]:
    """一次性告知: a later notice may not name a material that was already on the checklist when
    the first notice was given but was not listed then. Returns the offending keys."""
    listed = set(listed_before)
    available = set(available_before)
    return [k for k in now_missing if k in available and k not in listed]


# --- Approval steps -------------------------------------------------------------------------
STEP_NAMES = ("承办", "审核", "批准")


def approval_steps(item_type: str, promised_limit: int | None) -> tuple[str, ...]:
    """1–3 back-office steps. 即办件 are decided at the window (one step: 承办).
    行政许可 with a limit of 3 working days or more: 承办 → 审核 → 批准; other items with a
    limit above 1 day: 承办 → 批准; the rest: 承办 only."""
    if not promised_limit:
        return ("承办",)
    if item_type == "行政许可" and promised_limit >= 3:
        return STEP_NAMES
    if promised_limit > 1:
        return ("承办", "批准")
    return ("承办",)


def duty_already_held(done: Iterable[tuple[str, object]], person: object) -> str | None:
    """Separation of duties: 承办, 审核 and 批准 of one case are done by different people. `done`
    is the (step name, person) of the steps recorded so far; returns the step `person` already did
    (then they may do no other step of this case), or None. An item with fewer steps simply has
    fewer people; one person never holds two of them."""
    for name, who in done:
        if who is not None and who == person:
            return name
    return None


# --- Time limits ------------------------------------------------------------------------------
NORMAL, WARNING, OVERDUE = "normal", "warning", "overdue"
TIME_STATUS_CHOICES = [(NORMAL, "正常"), (WARNING, "预警"), (OVERDUE, "逾期")]
TIME_STATUS_LABELS = dict(TIME_STATUS_CHOICES)


def due_date(
    calendar: WorkCalendar, accepted_on: date, limit_workdays: int | None, paused_workdays: int = 0
) -> date | None:
    """Promised/legal completion date: `limit` working days after acceptance, pushed back by the
    working days the clock was paused."""
    if limit_workdays is None:
        return None
    return calendar.add_workdays(accepted_on, limit_workdays + paused_workdays).date


def workdays_left(calendar: WorkCalendar, today: date, due: date) -> int:
    """Working days from today until the due date (0 = due today, negative = overdue)."""
    return calendar.workdays_between(today, due)


def time_status(
    calendar: WorkCalendar,
    today: date,
    due: date | None,
    warning_workdays: int = 1,
    paused: bool = False,
) -> str:
    """正常 / 预警 / 逾期. While the clock is paused the status cannot worsen beyond what it was at
    the pause: callers pass the date the pause started as `today` (or paused=True for 正常 unless
    already overdue)."""
    if due is None:
        return NORMAL
    left = workdays_left(calendar, today, due)
    if left < 0:
        return OVERDUE
    if paused:
        return NORMAL
    if left <= warning_workdays:
        return WARNING
    return NORMAL


def pause_workdays(calendar: WorkCalendar, started_on: date, ended_on: date) -> int:
    """Working days the clock stood still: working days in (started_on, ended_on]."""
    return max(calendar.workdays_between(started_on, ended_on), 0)


def tolerance_deadline_ok(
    calendar: WorkCalendar, accepted_on: date, deadline: date, promised_limit: int | None
) -> bool:
    """容缺 supplement deadline: not before acceptance, not beyond the promised limit."""
    if deadline < accepted_on:
        return False
    if promised_limit is None:
        return True
    return deadline <= calendar.add_workdays(accepted_on, promised_limit).date


def reminder_day(calendar: WorkCalendar, deadline: date) -> date:
    """容缺 reminder: one working day before the deadline."""
    return calendar.add_workdays(deadline, -1).date


# --- Notices, pauses, visits, delivery ----------------------------------------------------------
NOTICE_ACCEPT, NOTICE_ONE_TIME, NOTICE_TOLERANCE, NOTICE_REJECT, NOTICE_DELIVERY = (
    "accept",
    "one_time",
    "tolerance",
    "reject",
    "delivery",
)
NOTICE_CHOICES = [
    (NOTICE_ACCEPT, "受理通知书"),
    (NOTICE_ONE_TIME, "一次性告知书"),
    (NOTICE_TOLERANCE, "容缺受理通知书"),
    (NOTICE_REJECT, "不予受理通知书"),
    (NOTICE_DELIVERY, "送达回执"),
]
NOTICE_LABELS = dict(NOTICE_CHOICES)

PAUSE_CHOICES = [
    ("hearing", "听证"),
    ("inspection", "现场勘验"),
    ("expert", "专家评审"),
    ("correction", "补正"),
]
PAUSE_LABELS = dict(PAUSE_CHOICES)

VISIT_PURPOSE_CHOICES = [
    ("intake", "首次申请"),
    ("return", "补齐材料"),
    ("supplement", "补交容缺材料"),
    ("pickup", "领取结果"),
    ("other", "其他"),
]
VISIT_PURPOSE_LABELS = dict(VISIT_PURPOSE_CHOICES)

DELIVERY_CHOICES = [("window", "窗口领取"), ("mail", "邮寄送达"), ("electronic", "电子送达")]
DELIVERY_LABELS = dict(DELIVERY_CHOICES)

CHANNELS = [("window", "窗口"), ("online", "网上申报")]

APPROVE, DENY = "approve", "deny"
DECISION_CHOICES = [(APPROVE, "准予许可"), (DENY, "不予许可")]
DECISION_LABELS = dict(DECISION_CHOICES)
