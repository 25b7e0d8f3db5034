"""Who may do what in 好差评 and 办不成事 (registered with staff.authz at start-up)."""

from yimen.staff.authz import Rule, register, register_scope
from yimen.staff.models import CHIEF, CLERK, DIRECTOR, GUIDE, LEADER

register(
    {
        # 好差评 / 差评整改
        "feedback.rating.record": Rule(
            {CLERK, GUIDE, CHIEF, DIRECTOR}, scope="outlet", label="代录评价"
        ),
        # rating links (QR): a ticket's only from the window that served it, a case's from its outlet
        "feedback.rating.link_ticket": Rule(
            {CLERK}, scope="outlet", window=True, label="生成排队号评价链接"
        ),
        # the counter's rating tablet: used in the session of the clerk signed in at that window
        "feedback.rating.tablet": Rule(
            {CLERK}, scope="outlet", window=True, label="使用窗口评价器"
        ),
        "feedback.rating.link_case": Rule(
            {CLERK, GUIDE, CHIEF, DIRECTOR}, scope="outlet", label="生成办件评价链接"
        ),
        "feedback.rectification.handle": Rule(
            {CHIEF, DIRECTOR}, scope="outlet", label="处理差评整改"
        ),
        "feedback.rectification.appeal": Rule(
            {CHIEF, DIRECTOR}, scope="outlet", label="提出差评申诉"
        ),
        "feedback.rectification.decide_appeal": Rule({CHIEF}, scope="outlet", label="审批差评申诉"),
        # 办不成事
        "feedback.grievance.intake": Rule(
            {CLERK, GUIDE, CHIEF, DIRECTOR}, scope="outlet", label="受理办不成事反映"
        ),
        "feedback.grievance.view": Rule(
            {CLERK, GUIDE, CHIEF, DIRECTOR, LEADER}, scope="outlet", label="查看办不成事反映"
        ),
        "feedback.grievance.explain": Rule(
            {CLERK, CHIEF, DIRECTOR}, scope="outlet", label="当面说明（办不了）"
        ),
        "feedback.grievance.handle": Rule(
            {CHIEF, DIRECTOR}, scope="outlet", label="办理办不成事反映"
        ),
        "feedback.grievance.investigate": Rule(
            {CHIEF, DIRECTOR}, scope="outlet", label="督查核查（不给办）"
        ),
        "feedback.grievance.close": Rule(
            {CLERK, CHIEF, DIRECTOR}, scope="outlet", label="记录群众反馈并归档"
        ),
        "feedback.grievance.reopen": Rule({CHIEF, DIRECTOR}, scope="outlet", label="重新办理"),
        # the ladder: one action per owner role
        "feedback.level.clerk": Rule(
            {CLERK, CHIEF, DIRECTOR}, scope="outlet", label="窗口层级处理"
        ),
        "feedback.level.chief": Rule({CHIEF, DIRECTOR}, scope="outlet", label="科长局务会研究"),
        "feedback.level.leader": Rule({LEADER}, scope="district", label="区级主要领导研究"),
        "feedback.level.director": Rule(
            {DIRECTOR}, scope="outlet", label="省市相关部门协调（跟踪）"
        ),
        # ratings, rectifications and the summary: chiefs/directors their outlet, leaders their district
        "feedback.dashboard": Rule(
            {CHIEF, DIRECTOR, LEADER}, scope="outlet", label="查看好差评与办不成事台账"
        ),
    }
)

register_scope(
    "feedback.Grievance",
    outlet="outlet",
    department="item__department",
    view="feedback.grievance.view",
)
register_scope(
    "feedback.Rating", outlet="outlet", department="department", view="feedback.dashboard"
)
register_scope(
    "feedback.Rectification", outlet="outlet", department="department", view="feedback.dashboard"
)
