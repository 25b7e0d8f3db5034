"""Who may do what in the queue. Calling actions additionally require the clerk to be signed in
at the window (checked in services, see authz.authorize(..., window=)). Kiosks (public touch
screens in the hall), remote tickets and appointment check-in run without a staff actor; API
devices act for their own outlet."""

from yimen.staff.authz import Rule, register, register_scope
from yimen.staff.models import CHIEF, CLERK, DIRECTOR, GUIDE, LEADER

register(
    {
        "queue.issue": Rule({GUIDE, CLERK, DIRECTOR}, scope="outlet", label="取号"),
        "queue.call": Rule({CLERK}, scope="outlet", label="叫号与办理"),
        "queue.transfer": Rule({CLERK, GUIDE, DIRECTOR}, scope="outlet", label="转办排队号"),
        "queue.cancel": Rule({CLERK, GUIDE, DIRECTOR}, scope="outlet", label="取消排队号"),
        "queue.reactivate": Rule({CLERK, GUIDE, DIRECTOR}, scope="outlet", label="过号恢复"),
        "queue.view": Rule(
            {GUIDE, CLERK, CHIEF, DIRECTOR, LEADER}, scope="outlet", label="查看排队详情"
        ),
        "appointment.manage": Rule({GUIDE, CLERK, DIRECTOR}, scope="outlet", label="预约管理"),
    }
)

register_scope("queueing.Ticket", outlet="outlet", view="queue.view")
register_scope("queueing.Queue", outlet="outlet")
register_scope("queueing.Appointment", outlet="outlet", view="queue.view")
