"""Who may use the guide desk (registered with staff.authz at start-up)."""

from yimen.staff.authz import Rule, register
from yimen.staff.models import CHIEF, CLERK, DIRECTOR, GUIDE

register(
    {
        "guide.desk": Rule(
            {GUIDE, CLERK, CHIEF, DIRECTOR}, scope="outlet", label="使用引导台（智能导办、代取号）"
        ),
    }
)
