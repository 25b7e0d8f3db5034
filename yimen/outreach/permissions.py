"""Who may read staff notices and record consents / opt-outs (staff.authz)."""

from yimen.staff.authz import Rule, register, register_scope
from yimen.staff.models import APPROVER, CHIEF, CLERK, DIRECTOR, GUIDE, LEADER

EVERY_STAFF_ROLE = {GUIDE, CLERK, APPROVER, CHIEF, DIRECTOR, LEADER}

register(
    {
        "notice.view": Rule(EVERY_STAFF_ROLE, scope="outlet", label="查看站内通知"),
        "outreach.consent": Rule(
            {GUIDE, CLERK, CHIEF, DIRECTOR}, scope="outlet", label="登记主动服务提醒与亲属同意"
        ),
    }
)

# a notice is seen within its outlet (clerks, chiefs, directors: their own; leaders: their
# district's) or its department (approvers); and, in the selectors, only by its recipient
register_scope("outreach.Notice", outlet="outlet", department="department", view="notice.view")
register_scope("outreach.YearlyReminder", outlet="outlet", view="outreach.consent")
