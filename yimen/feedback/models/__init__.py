"""The feedback tables, by concern; every model is imported here (Django finds an app's models
through this module) and re-exported for `from yimen.feedback.models import …`."""

from .grievances import (
    FINDING_KINDS as FINDING_KINDS,
    GRIEVANCE_CHANNELS as GRIEVANCE_CHANNELS,
    ConductFinding as ConductFinding,
    EscalationLevel as EscalationLevel,
    Grievance as Grievance,
    GrievanceEvent as GrievanceEvent,
    GrievanceNotice as GrievanceNotice,
)
from .ratings import (
    RATING_CHANNELS as RATING_CHANNELS,
    Rating as Rating,
    Rectification as Rectification,
    RectificationStep as RectificationStep,
)
