"""Who may see dashboards, reports and run the twin (registered with staff.authz at start-up)."""

from yimen.staff.authz import Rule, register
from yimen.staff.models import CHIEF, DIRECTOR, LEADER

register(
    {
        # live hall, reports and exports of one outlet: its chief/director; leaders for their district
        "insight.view": Rule({CHIEF, DIRECTOR, LEADER}, scope="outlet", label="查看数据看板与报表"),
        # the what-if page and the simulation API (no personal data, no writes)
        "insight.whatif": Rule({CHIEF, DIRECTOR, LEADER}, scope="any", label="运行仿真（What-if）"),
    }
)
