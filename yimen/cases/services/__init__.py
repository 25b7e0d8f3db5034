"""Writes of the 办件 lifecycle. Each public function is one transaction, checks permissions,
moves the case through the pure transition table (`rules.TRANSITIONS`), records a CaseEvent and
an audit entry.


A package by concern: common (locking, transitions, authorisation, numbers, notices), intake
(the applicant, materials, missing-material notices), acceptance (accept, 容缺, reject, escalate,
withdraw), tolerance (容缺 supplement, reminders, termination), backoffice (review steps, decision,
clock pauses), results (result and delivery), time_limits (time status, personal data reveal),
progress (the public progress lookup). Every public name is re-exported here.
"""

from .acceptance import (
    _finish_immediate as _finish_immediate,
    _hand_over_hard_case as _hand_over_hard_case,
    accept as accept,
    default_tolerance_deadline as default_tolerance_deadline,
    escalate_hard as escalate_hard,
    link_grievance as link_grievance,
    reject as reject,
    withdraw as withdraw,
)
from .backoffice import (
    _check_separation as _check_separation,
    decide as decide,
    pause_clock as pause_clock,
    resume_clock as resume_clock,
    review_step as review_step,
    step_held_by as step_held_by,
    steps_for as steps_for,
)
from .common import (
    _PG_RECEIPT_LOCK as _PG_RECEIPT_LOCK,
    NOTICE_CODES as NOTICE_CODES,
    TOLERANCE_HORIZON_DAYS as TOLERANCE_HORIZON_DAYS,
    _authorize_department as _authorize_department,
    _authorize_either as _authorize_either,
    _authorize_outlet as _authorize_outlet,
    _close_open_pause as _close_open_pause,
    _ensure as _ensure,
    _issue_notice as _issue_notice,
    _local_date as _local_date,
    _lock as _lock,
    _material_rows as _material_rows,
    _move as _move,
    _new_receipt_number as _new_receipt_number,
    _setting as _setting,
    log as log,
)
from .intake import (
    _validate_applicant as _validate_applicant,
    assessment as assessment,
    check_materials as check_materials,
    item_offered_at as item_offered_at,
    notify_missing as notify_missing,
    open_case as open_case,
    return_visit as return_visit,
)
from .progress import (
    lookup_progress as lookup_progress,
)
from .results import (
    _create_result as _create_result,
    _deliver as _deliver,
    _new_licence_number as _new_licence_number,
    _notify_ready as _notify_ready,
    deliver as deliver,
    issue_result as issue_result,
)
from .time_limits import (
    evaluate_time_status as evaluate_time_status,
    refresh_time_status as refresh_time_status,
    require_staff as require_staff,
    reveal_personal_data as reveal_personal_data,
)
from .tolerance import (
    _job_cases as _job_cases,
    outstanding_tolerance as outstanding_tolerance,
    send_tolerance_reminders as send_tolerance_reminders,
    supply_material as supply_material,
    terminate_overdue_tolerance as terminate_overdue_tolerance,
)
