"""Who may change outlets and their hours (registered with staff.authz at start-up)."""

from yimen.staff.authz import Rule, register, register_scope
from yimen.staff.models import DIRECTOR

register(
    {
        # 中心主任 of the outlet; 管理员 everywhere (admins pass every rule)
        "outlets.hours": Rule({DIRECTOR}, scope="outlet", label="设置网点办公时间和例外"),
    }
)

register_scope("outlets.Outlet", outlet="")
register_scope("outlets.Window", outlet="outlet", department="department")
