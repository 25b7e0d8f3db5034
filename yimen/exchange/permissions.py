"""Who may see the exchange status page and look licences up at intake (staff.authz)."""

from yimen.staff.authz import Rule, register
from yimen.staff.models import ADMIN, CHIEF, CLERK, DIRECTOR

register(
    {
        "exchange.status": Rule({ADMIN}, scope="any", label="查看政务数据交换状态"),
        "exchange.licence_lookup": Rule(
            {CLERK, CHIEF, DIRECTOR}, scope="outlet", label="收件时查询电子证照"
        ),
    }
)
