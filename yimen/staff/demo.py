"""Demo staff for the Xining network (usernames in docs/staff.md).

城西区市民服务中心 (XN-CX) works with AB岗: every ticket-calling window has an A-group member
(`cx_zh_201`) and a B-group member (`cx_zh_201_b`), so the groups are split evenly and the A/B
rota covers noon (午间接力) and Saturday mornings. Also: two guides, three approvers for each of
the 12 departments (承办, 审核 and 批准 of a case are three people), three section chiefs, the
centre director, a district leader (630104), an administrator, and a clerk for each bank branch.

Passwords: `YIMEN_DEMO_PASSWORD`, or one generated here and printed ONCE. Never a default."""

import os
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction

from yimen.catalog.models import Department
from yimen.core.errors import ValidationFailed
from yimen.outlets.models import QUEUE_WINDOW_KINDS, Outlet, Window

from .models import ADMIN, APPROVER, CHIEF, CLERK, DIRECTOR, GUIDE, LEADER, Staff

DEMO_PASSWORD_MIN_LENGTH = 10  # as AUTH_PASSWORD_VALIDATORS' MinimumLengthValidator


def demo_password() -> str:
    """YIMEN_DEMO_PASSWORD, or "" (then one is generated); a short one is refused with one line."""
    password = os.environ.get("YIMEN_DEMO_PASSWORD") or ""
    if password and len(password) < DEMO_PASSWORD_MIN_LENGTH:
        raise ValidationFailed(
            f"YIMEN_DEMO_PASSWORD 太短（{len(password)} 个字符）：至少需要 {DEMO_PASSWORD_MIN_LENGTH} 个字符；"
            "或不设置，由系统随机生成并只显示一次。",
            code="demo_password_too_short",
        )
    return password


SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = [
    "建国",
    "海燕",
    "文静",
    "志强",
    "晓梅",
    "国庆",
    "丽娟",
    "永福",
    "春花",
    "德明",
    "秀英",
    "玉兰",
    "红霞",
    "伟",
    "芳",
    "敏",
    "静",
    "磊",
    "洋",
    "艳",
    "勇",
    "军",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "霞",
    "平",
    "刚",
    "桂英",
    "成",
    "辉",
    "鹏",
    "华",
    "玲",
    "宁",
    "婷",
    "雪",
    "琳",
]

APPROVER_SUFFIXES = ("", "_2", "_3")  # appr_ws (承办), appr_ws_2 (审核), appr_ws_3 (批准)
SECTION_CHIEFS = [
    ("cx_chief_zh", "综合受理科"),
    ("cx_chief_zy", "专业窗口科"),
    ("cx_chief_dc", "督查科"),
]


def _name(i: int) -> str:
    return SURNAMES[(i * 7) % len(SURNAMES)] + GIVEN[(i * 11) % len(GIVEN)]


def window_username(window: Window, prefix: str = "cx") -> str:
    group = window.group_code.lower()
    if group.startswith(prefix + "-"):
        group = group[len(prefix) + 1 :]
    return f"{prefix}_{group.replace('-', '_')}_{window.number.lower()}"


def demo_accounts() -> list[dict]:
    """The demo staff as plain dicts (username, name, role, outlet, department, …)."""
    rows: list[dict] = []
    cx = Outlet.objects.filter(code="XN-CX").first()
    if cx is None:
        return rows
    rows.append(dict(username="cx_guide", role=GUIDE, outlet=cx, shift_group="A"))
    rows.append(dict(username="cx_guide_b", role=GUIDE, outlet=cx, shift_group="B"))
    for window in Window.objects.filter(outlet=cx, kind__in=QUEUE_WINDOW_KINDS).order_by(
        "group_code", "number"
    ):
        base = window_username(window)
        rows.append(
            dict(
                username=base,
                role=CLERK,
                outlet=cx,
                home_window=window,
                shift_group="A",
                department=window.department,
            )
        )
        rows.append(
            dict(
                username=base + "_b",
                role=CLERK,
                outlet=cx,
                home_window=window,
                shift_group="B",
                department=window.department,
            )
        )
    for department in Department.objects.order_by("code"):
        # three approvers a department: 承办, 审核 and 批准 of one case are three different people
        base = "appr_" + department.code.split("-")[-1].lower()
        for suffix in APPROVER_SUFFIXES:
            rows.append(
                dict(
                    username=base + suffix,
                    role=APPROVER,
                    department=department,
                    region_code="630104",
                )
            )
    for i, (username, _section) in enumerate(SECTION_CHIEFS):
        rows.append(dict(username=username, role=CHIEF, outlet=cx, shift_group="AB"[i % 2]))
    rows.append(dict(username="cx_director", role=DIRECTOR, outlet=cx))
    rows.append(dict(username="cx_leader", role=LEADER, region_code="630104"))
    rows.append(dict(username="yimen_admin", role=ADMIN))
    for i, bank in enumerate(Outlet.objects.filter(kind="bank").order_by("code")):
        window = Window.objects.filter(outlet=bank, kind="银行网点").order_by("number").first()
        rows.append(
            dict(
                username="nsh" + bank.code.rsplit("-", 1)[-1] + "_clerk",
                role=CLERK,
                outlet=bank,
                home_window=window,
                shift_group="AB"[i % 2],
            )
        )
    return rows


@transaction.atomic
def load(stdout=None):
    accounts = demo_accounts()
    User = get_user_model()
    existing = set(
        User.objects.filter(username__in=[a["username"] for a in accounts]).values_list(
            "username", flat=True
        )
    )
    todo = [a for a in accounts if a["username"] not in existing]
    if not todo:
        return f"人员：演示账号已存在（{len(accounts)} 个），未改动密码"
    password = demo_password()
    generated = not password
    if generated:
        password = secrets.token_urlsafe(12)
    hashed = None
    for offset, account in enumerate(todo):
        i = len(existing) + offset + 1
        user = User(
            username=account["username"],
            is_staff=account["role"] == ADMIN,
            is_superuser=account["role"] == ADMIN,
        )
        if hashed is None:
            user.set_password(password)
            hashed = user.password  # one hash for all demo accounts keeps `yimen demo` fast
        user.password = hashed
        user.save()
        Staff.objects.create(
            user=user,
            name=_name(i),
            role=account["role"],
            outlet=account.get("outlet"),
            department=account.get("department"),
            region_code=account.get("region_code", ""),
            shift_group=account.get("shift_group", ""),
            home_window=account.get("home_window"),
            phone=f"139{(97000000 + i * 7919) % 100000000:08d}",
        )
    if stdout is not None:
        if generated:
            stdout.write(f"演示账号密码（仅显示这一次，请妥善保存）：{password}")
        else:
            stdout.write("演示账号密码：取自环境变量 YIMEN_DEMO_PASSWORD。")
    return f"人员：新建 {len(todo)} 个演示账号（用户名见 docs/staff.md）"


def reset():
    """Remove demo accounts and their sessions, leave and swaps. Accounts the audit log (or other
    records) refer to are kept — the log is append-only — and simply re-used by the next load."""
    from django.db.models import ProtectedError

    from .models import ApiToken, Leave, ShiftSwap, WindowSession

    usernames = [a["username"] for a in demo_accounts()]
    WindowSession.objects.filter(staff__user__username__in=usernames).delete()
    Leave.objects.filter(staff__user__username__in=usernames).delete()
    ShiftSwap.objects.filter(from_staff__user__username__in=usernames).delete()
    ShiftSwap.objects.filter(to_staff__user__username__in=usernames).delete()
    ApiToken.objects.filter(staff__user__username__in=usernames).delete()
    try:  # the usual case in one go; otherwise account by account, keeping those still referred to
        with transaction.atomic():
            Staff.objects.filter(user__username__in=usernames).delete()
            get_user_model().objects.filter(username__in=usernames).delete()
        return
    except ProtectedError:
        pass
    for user in get_user_model().objects.filter(username__in=usernames):
        try:
            with transaction.atomic():
                Staff.objects.filter(user=user).delete()
                user.delete()
        except ProtectedError:
            continue


load.reset = reset
