"""Who may do what with cases (registered with staff.authz at start-up)."""
from yimen.staff.authz import Rule, register
from yimen.staff.models import ADMIN, APPROVER, CHIEF, CLERK, DIRECTOR, LEADER

register({
    # window (centre or bank counter): intake, one-time notice, acceptance, 不予受理, 很难办
    "case.intake": Rule({CLERK, CHIEF, DIRECTOR}, scope="outlet", label="办件收件受理"),
    # hand over results at the window / by mail
    "case.deliver": Rule({CLERK, CHIEF, DIRECTOR}, scope="outlet", label="结果送达"),
    # back office of the item's department
    "case.review": Rule({APPROVER}, scope="department", label="办件审批（承办/审核、暂停计时）"),
    "case.decide": Rule({APPROVER}, scope="department", label="作出审批决定并出证"),
    # lists and details
    "case.view_outlet": Rule({CLERK, CHIEF, DIRECTOR}, scope="outlet", label="查看本网点办件"),
    "case.view_department": Rule({APPROVER}, scope="department", label="查看本部门办件"),
    "case.view_all": Rule({DIRECTOR, LEADER, ADMIN}, scope="any", label="查看全部办件与时限"),
    "case.reveal": Rule({CHIEF, DIRECTOR}, scope="outlet", label="查看申请人完整证件号码"),
})
