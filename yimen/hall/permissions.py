"""Who may pair hall devices and print at the desk (registered with staff.authz at start-up)."""

from yimen.staff.authz import Rule, register
from yimen.staff.models import CHIEF, CLERK, DIRECTOR, GUIDE

register(
    {
        "hall.pair": Rule(
            {GUIDE, DIRECTOR}, scope="outlet", label="配对大厅设备（取号机、叫号屏、引导台）"
        ),
        "hall.card": Rule(
            {GUIDE, CLERK, DIRECTOR}, scope="outlet", label="读取身份证（引导台、窗口）"
        ),
        "hall.print": Rule({GUIDE, CLERK, CHIEF, DIRECTOR}, scope="outlet", label="打印排队凭条"),
    }
)
