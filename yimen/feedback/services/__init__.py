"""Writes of 好差评 and 办不成事. Each public function is one transaction, checks permissions,
records an explicit transition (who / when / why) and an audit entry.

A package by concern: common (logging, events, notices shared by the grievance writes), links
(rating links: QR codes on tickets and notices), ratings, rectification, grievance_intake, ladder
(the levels a grievance climbs and the escalation job), handling (办不了 / 不给办 / 其他: explain,
investigate, find, handle), closing (the person's feedback, reopening). Every name is re-exported
here.
"""

from .closing import (
    _restart_after_reopen as _restart_after_reopen,
    record_person_feedback as record_person_feedback,
    reopen as reopen,
)
from .common import (
    TOKEN_SALT as TOKEN_SALT,
    _actor_label as _actor_label,
    _event as _event,
    _notify as _notify,
    _typed_time as _typed_time,
    log as log,
)
from .grievance_intake import (
    _next_number as _next_number,
    _submit_grievance as _submit_grievance,
    submit_grievance as submit_grievance,
)
from .handling import (
    EXPLAIN_REASON_LABELS as EXPLAIN_REASON_LABELS,
    EXPLAIN_REASONS as EXPLAIN_REASONS,
    _locked as _locked,
    _transition as _transition,
    explain_cannot as explain_cannot,
    handle_matter as handle_matter,
    record_finding as record_finding,
    start_investigation as start_investigation,
)
from .ladder import (
    _current_level as _current_level,
    _enter_level as _enter_level,
    decide_level as decide_level,
    escalate_overdue as escalate_overdue,
)
from .links import (
    authorize_rating_link as authorize_rating_link,
    rating_token as rating_token,
    resolve_rating_token as resolve_rating_token,
)
from .ratings import (
    _open_rectification as _open_rectification,
    _snapshot_case as _snapshot_case,
    _snapshot_ticket as _snapshot_ticket,
    rating_state as rating_state,
    submit_rating as submit_rating,
)
from .rectification import (
    _RECT_PERMISSION as _RECT_PERMISSION,
    _invite_rerating as _invite_rerating,
    act_on_rectification as act_on_rectification,
)
