from django.conf import settings
from django.db import models

from yimen.catalog.models import Department
from yimen.core.fields import ProtectedCharField
from yimen.outlets.models import Outlet, Window

GUIDE, CLERK, APPROVER, CHIEF, DIRECTOR, LEADER, ADMIN = (
    "guide",
    "clerk",
    "approver",
    "chief",
    "director",
    "leader",
    "admin",
)
ROLE_CHOICES = [
    (GUIDE, "引导员"),
    (CLERK, "窗口人员"),
    (APPROVER, "审批人员"),
    (CHIEF, "科长"),
    (DIRECTOR, "中心主任"),
    (LEADER, "区领导"),
    (ADMIN, "管理员"),
]
ROLE_LABELS = dict(ROLE_CHOICES)


class Staff(models.Model):
    """A member of staff: a Django user with a role and a scope (outlet / department / district)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff",
        verbose_name="账号",
    )
    name = models.CharField("姓名", max_length=50)
    role = models.CharField("角色", max_length=20, choices=ROLE_CHOICES)
    outlet = models.ForeignKey(
        Outlet,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        verbose_name="所属网点",
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        verbose_name="所属部门",
    )
    region_code = models.CharField(
        "管辖区划", max_length=12, blank=True, help_text="区领导：所辖区县代码"
    )
    shift_group = models.CharField(
        "班组", max_length=2, blank=True, choices=[("A", "A组"), ("B", "B组")]
    )
    phone = ProtectedCharField("手机号", max_length=20, blank=True)
    home_window = models.ForeignKey(
        Window,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="post_staff",
        verbose_name="岗位窗口",
        help_text="AB岗：每个窗口一名A组、一名B组工作人员",
    )
    active = models.BooleanField("在岗", default=True)

    class Meta:
        verbose_name = "工作人员"
        verbose_name_plural = "工作人员"
        ordering = ["outlet", "role", "name"]

    def __str__(self):
        return f"{self.name}（{ROLE_LABELS.get(self.role, self.role)}）"

    @property
    def role_label(self):
        return ROLE_LABELS.get(self.role, self.role)


class WindowSession(models.Model):
    """A clerk signed in at a window. One open session per window, one per clerk."""

    SERVING, PAUSED = "serving", "paused"
    STATES = [(SERVING, "服务中"), (PAUSED, "暂停")]

    window = models.ForeignKey(
        Window, on_delete=models.CASCADE, related_name="sessions", verbose_name="窗口"
    )
    staff = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="window_sessions", verbose_name="工作人员"
    )
    state = models.CharField("状态", max_length=10, choices=STATES, default=SERVING)
    pause_reason = models.CharField("暂停原因", max_length=100, blank=True)
    started_at = models.DateTimeField("签到时间")
    ended_at = models.DateTimeField("签退时间", null=True, blank=True)
    ended_reason = models.CharField("结束原因", max_length=100, blank=True)

    class Meta:
        verbose_name = "窗口签到"
        verbose_name_plural = "窗口签到"
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["window"],
                condition=models.Q(ended_at__isnull=True),
                name="one_open_session_per_window",
            ),
            models.UniqueConstraint(
                fields=["staff"],
                condition=models.Q(ended_at__isnull=True),
                name="one_open_session_per_staff",
            ),
        ]

    def __str__(self):
        return f"{self.window} · {self.staff.name}"


class HandOverOffer(models.Model):
    """A clerk offers their window to a colleague (交接). It takes effect only when the colleague
    confirms; until then the offering clerk keeps the window. One pending offer per session."""

    PENDING, ACCEPTED, DECLINED, WITHDRAWN, EXPIRED, VOID = (
        "pending",
        "accepted",
        "declined",
        "withdrawn",
        "expired",
        "void",
    )
    STATES = [
        (PENDING, "待确认"),
        (ACCEPTED, "已接岗"),
        (DECLINED, "已拒绝"),
        (WITHDRAWN, "已撤回"),
        (EXPIRED, "已过期"),
        (VOID, "已失效"),
    ]

    session = models.ForeignKey(
        WindowSession, on_delete=models.CASCADE, related_name="offers", verbose_name="交出的签到"
    )
    window = models.ForeignKey(
        Window, on_delete=models.CASCADE, related_name="+", verbose_name="窗口"
    )
    from_staff = models.ForeignKey(
        Staff, on_delete=models.CASCADE, related_name="offers_made", verbose_name="交岗人"
    )
    to_staff = models.ForeignKey(
        Staff, on_delete=models.CASCADE, related_name="offers_received", verbose_name="接岗人"
    )
    reason = models.CharField("原因", max_length=100, blank=True)
    state = models.CharField("状态", max_length=10, choices=STATES, default=PENDING)
    created_at = models.DateTimeField("发起时间")
    expires_at = models.DateTimeField("有效期至")
    decided_at = models.DateTimeField("处理时间", null=True, blank=True)

    class Meta:
        verbose_name = "窗口交接"
        verbose_name_plural = "窗口交接"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["session"],
                condition=models.Q(state="pending"),
                name="one_pending_offer_per_session",
            ),
            models.CheckConstraint(
                condition=~models.Q(from_staff=models.F("to_staff")), name="offer_two_people"
            ),
        ]

    def __str__(self):
        return f"{self.window} · {self.from_staff.name} → {self.to_staff.name}"


class ApiToken(models.Model):
    """A revocable API token for a member of staff or a device (kiosk, board, bank terminal).
    Only a SHA-256 of the token is stored; the token itself is shown once when issued."""

    label = models.CharField("名称", max_length=100)
    staff = models.ForeignKey(
        Staff,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="tokens",
        verbose_name="工作人员",
    )
    device_outlet = models.ForeignKey(
        Outlet,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="device_tokens",
        verbose_name="设备所属网点",
    )
    key_prefix = models.CharField("前缀", max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField("签发时间")
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)

    class Meta:
        verbose_name = "接口令牌"
        verbose_name_plural = "接口令牌"
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(staff__isnull=False, device_outlet__isnull=True)
                    | models.Q(staff__isnull=True, device_outlet__isnull=False)
                ),
                name="token_is_staff_xor_device",
            ),
        ]

    def __str__(self):
        return f"{self.label}（{self.key_prefix}…）"


# --- sign-in security -------------------------------------------------------------------------


class LoginFailure(models.Model):
    """One failed sign-in for a username (existing or not: the answer never reveals which)."""

    username = models.CharField("用户名", max_length=150, db_index=True)
    at = models.DateTimeField("时间", db_index=True)
    source_ip = models.GenericIPAddressField("来源地址", null=True, blank=True)
    source = models.CharField(
        "来源（计数用）",
        max_length=64,
        blank=True,
        default="",
        db_index=True,
        help_text="IPv4 地址或 IPv6 的 /64 网段（core.clientaddr.limit_key）",
    )

    class Meta:
        verbose_name = "登录失败"
        verbose_name_plural = "登录失败"
        ordering = ["-at"]


class LoginLock(models.Model):
    """Sign-in locked after repeated failures, until `locked_until`, for one username *from one
    source address* — so nobody elsewhere can lock an account (the admin's) out. An empty username
    locks the source for every account (too many failures from it across usernames)."""

    username = models.CharField(
        "用户名", max_length=150, blank=True, help_text="空 = 该来源对所有账号锁定"
    )
    source = models.CharField("来源", max_length=64, default="", blank=True)
    locked_at = models.DateTimeField("锁定时间")
    locked_until = models.DateTimeField("解锁时间")

    class Meta:
        verbose_name = "登录锁定"
        verbose_name_plural = "登录锁定"
        constraints = [
            models.UniqueConstraint(
                fields=["username", "source"], name="staff_loginlock_user_source"
            )
        ]

    def __str__(self):
        return f"{self.username or '（所有账号）'} @ {self.source or '未知来源'}"


class TotpDevice(models.Model):
    """The TOTP second factor of a member of staff (secret encrypted at rest)."""

    staff = models.OneToOneField(
        Staff, on_delete=models.CASCADE, related_name="totp", verbose_name="工作人员"
    )
    secret = ProtectedCharField("密钥", max_length=64)
    confirmed_at = models.DateTimeField("启用时间", null=True, blank=True)
    last_used_step = models.BigIntegerField(
        "最近使用时间片", default=0, help_text="防止同一验证码重复使用"
    )

    class Meta:
        verbose_name = "动态口令"
        verbose_name_plural = "动态口令"

    @property
    def confirmed(self):
        return self.confirmed_at is not None


# --- A/B rota -----------------------------------------------------------------------------------


class Leave(models.Model):
    """Leave of a member of staff (inclusive dates); an optional substitute takes over the shifts."""

    staff = models.ForeignKey(
        Staff, on_delete=models.CASCADE, related_name="leaves", verbose_name="请假人"
    )
    start = models.DateField("开始日期")
    end = models.DateField("结束日期")
    kind = models.CharField(
        "类型",
        max_length=20,
        default="事假",
        choices=[(k, k) for k in ["年休假", "事假", "病假", "调休", "公差", "其他"]],
    )
    substitute = models.ForeignKey(
        Staff,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="substitutions",
        verbose_name="顶岗人",
    )
    reason = models.CharField("说明", max_length=200, blank=True)
    created_by = models.ForeignKey(
        Staff,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="登记人",
    )
    created_at = models.DateTimeField("登记时间")
    cancelled_at = models.DateTimeField("撤销时间", null=True, blank=True)

    class Meta:
        verbose_name = "请假"
        verbose_name_plural = "请假"
        ordering = ["-start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="leave_end_after_start"
            )
        ]

    def __str__(self):
        return f"{self.staff.name} {self.start}～{self.end} {self.kind}"


class ShiftSwap(models.Model):
    """On `date`, `to_staff` works all of `from_staff`'s window shifts (换班)."""

    outlet = models.ForeignKey(
        Outlet, on_delete=models.CASCADE, related_name="shift_swaps", verbose_name="网点"
    )
    date = models.DateField("日期")
    from_staff = models.ForeignKey(
        Staff, on_delete=models.CASCADE, related_name="swaps_out", verbose_name="原值班人"
    )
    to_staff = models.ForeignKey(
        Staff, on_delete=models.CASCADE, related_name="swaps_in", verbose_name="替班人"
    )
    reason = models.CharField("说明", max_length=200, blank=True)
    created_by = models.ForeignKey(
        Staff,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="登记人",
    )
    created_at = models.DateTimeField("登记时间")
    cancelled_at = models.DateTimeField("撤销时间", null=True, blank=True)

    class Meta:
        verbose_name = "换班"
        verbose_name_plural = "换班"
        ordering = ["-date"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(from_staff=models.F("to_staff")), name="swap_two_people"
            ),
        ]
