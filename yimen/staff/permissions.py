"""Who may do what in the staff app (registered with staff.authz at start-up)."""

from .authz import Rule, register, register_scope
from .models import ADMIN, APPROVER, CHIEF, CLERK, DIRECTOR, GUIDE, LEADER

register(
    {
        "staff.workbench": Rule(
            {GUIDE, CLERK, APPROVER, CHIEF, DIRECTOR, LEADER}, scope="any", label="使用工作台"
        ),
        # window sign-in, pause (午餐接力), resume, hand-over, sign-out — one's own session
        "staff.window.sign_in": Rule({CLERK}, scope="outlet", label="窗口签到"),
        "staff.window.operate": Rule({CLERK}, scope="outlet", label="窗口暂停、恢复、交接、签退"),
        # closing somebody else's session (a clerk who left without signing out)
        "staff.window.close": Rule({CHIEF, DIRECTOR}, scope="outlet", label="强制关闭窗口签到"),
        # A/B rota
        "staff.rota.view": Rule(
            {GUIDE, CLERK, CHIEF, DIRECTOR, LEADER}, scope="outlet", label="查看排班"
        ),
        # staff lists and profiles (phone masked): own outlet, approvers their department, leaders the district
        "staff.view": Rule(
            {GUIDE, CLERK, APPROVER, CHIEF, DIRECTOR, LEADER}, scope="outlet", label="查看工作人员"
        ),
        "staff.rota.manage": Rule({CHIEF, DIRECTOR}, scope="outlet", label="登记请假、换班"),
        # personal data: full value on request, audited
        "personal.reveal": Rule({CLERK, CHIEF, DIRECTOR}, scope="outlet", label="查看完整个人信息"),
        "personal.reveal.department": Rule(
            {APPROVER, CHIEF}, scope="department", label="查看本部门办件的完整个人信息"
        ),
        # accounts, tokens, audit
        "staff.token.device": Rule({DIRECTOR}, scope="outlet", label="签发设备令牌"),
        "staff.token.manage": Rule({ADMIN}, scope="any", label="签发与吊销接口令牌"),
        "staff.account.manage": Rule({ADMIN}, scope="any", label="管理工作人员账号"),
        "core.audit.view": Rule({DIRECTOR, LEADER}, scope="outlet", label="查看审计日志"),
    }
)

register_scope("staff.Staff", outlet="outlet", department="department", view="staff.view")
register_scope("staff.WindowSession", outlet="window__outlet", view="staff.rota.view")
register_scope("staff.Leave", outlet="staff__outlet", view="staff.rota.view")
register_scope("staff.ShiftSwap", outlet="outlet", view="staff.rota.view")
