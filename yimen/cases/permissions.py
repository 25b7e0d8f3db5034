"""Who may do what with cases (registered with staff.authz at start-up)."""

from django.db.models import Q

from yimen.staff.authz import Rule, register, register_scope
from yimen.staff.models import APPROVER, CHIEF, CLERK, DIRECTOR, LEADER

from . import rules

register(
    {
        # window (centre or bank counter): intake, one-time notice, acceptance, 不予受理, 很难办
        "case.intake": Rule({CLERK, CHIEF, DIRECTOR}, scope="outlet", label="办件收件受理"),
        # hand over results at the window / by mail
        "case.deliver": Rule({CLERK, CHIEF, DIRECTOR}, scope="outlet", label="结果送达"),
        # back office of the item's department
        "case.review": Rule(
            {APPROVER}, scope="department", label="办件审批（承办/审核、暂停计时）"
        ),
        "case.decide": Rule({APPROVER}, scope="department", label="作出审批决定并出证"),
        # lists, details, time-limit lists: window staff and directors their outlet, approvers their
        # department (accepted cases), leaders their district, admins all (authz decides the scope)
        "case.view": Rule(
            {CLERK, CHIEF, DIRECTOR, APPROVER, LEADER}, scope="outlet", label="查看办件与时限"
        ),
        "case.reveal": Rule({CHIEF, DIRECTOR}, scope="outlet", label="查看申请人完整证件号码"),
    }
)

register_scope(
    "cases.Case",
    outlet="outlet",
    department="item__department",
    view="case.view",
    # approvers: accepted cases, and online applications of their department in 网上预审 (#21)
    limit={
        APPROVER: Q(status__in=rules.ACCEPTED_STATES)
        | Q(channel="online", status__in=(rules.PRECHECK, rules.NOTIFIED, rules.REJECTED))
    },
)

# --- 高效办成一件事 (issue #17) ---------------------------------------------------------------------
register(
    {
        # the department verifies the promises made for its items (书面/网络/实地/公示)
        "case.promise.verify": Rule({APPROVER}, scope="department", label="告知承诺核查"),
        # lifting a credit record (信用修复) is the department's decision too
        "case.credit.lift": Rule({APPROVER}, scope="department", label="告知承诺信用修复"),
        # fees at the window and the window's cash close
        "case.payment": Rule({CLERK, CHIEF, DIRECTOR}, scope="outlet", label="收费与现金日结"),
    }
)
# A bundle application belongs to its outlet (approvers see their department's cases only, not
# the application spanning departments).
register_scope("cases.BundleApplication", outlet="outlet", view="case.view")
register_scope("cases.Promise", outlet="case__outlet", department="department", view="case.view")
register_scope(
    "cases.CreditRecord",
    outlet="promise__case__outlet",
    department="promise__department",
    view="case.view",
)
register_scope("cases.Payment", outlet="outlet", view="case.view")
register_scope("cases.CashClose", outlet="window__outlet", view="case.view")

# --- 网上预审 (issue #21, yimen/online) ------------------------------------------------------------
register(
    {
        # the comprehensive back office of the online outlet (its clerks) or the item's department
        # (approvers: scope_of gives them their department) 受理 / 补正 / 不予受理 online
        "case.precheck": Rule(
            {CLERK, CHIEF, DIRECTOR, APPROVER},
            scope="outlet",
            label="网上预审（受理/补正/不予受理）",
        ),
    }
)
