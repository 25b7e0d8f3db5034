"""Who may see online applications and their files (registered with staff.authz at start-up).

The applicant (signed in by SMS code or OIDC) reaches their own applications through the session
(selectors.own_application), never through this policy. Staff: the comprehensive back office of
the online outlet (clerks, chief, director) and the approvers of the item's department; leaders
and other outlets' clerks see nothing. Drafts are the applicant's own: no staff sees them.
"""

from django.db.models import Q

from yimen.staff.authz import Rule, register, register_scope
from yimen.staff.models import APPROVER, CHIEF, CLERK, DIRECTOR

register(
    {
        "online.view": Rule(
            {CLERK, CHIEF, DIRECTOR, APPROVER}, scope="outlet", label="查看网上申报与材料"
        ),
    }
)
_SUBMITTED = ~Q(status="draft")
register_scope(
    "online.Application",
    outlet="outlet",
    department="item__department",
    view="online.view",
    limit={CLERK: _SUBMITTED, CHIEF: _SUBMITTED, DIRECTOR: _SUBMITTED, APPROVER: _SUBMITTED},
)
_LIVE_SUBMITTED = ~Q(application__status="draft")
register_scope(
    "online.Upload",
    outlet="application__outlet",
    department="application__item__department",
    view="online.view",
    limit={
        CLERK: _LIVE_SUBMITTED,
        CHIEF: _LIVE_SUBMITTED,
        DIRECTOR: _LIVE_SUBMITTED,
        APPROVER: _LIVE_SUBMITTED,
    },
)
