"""办件 (cases): one application for one item, with its whole lifecycle.

The lifecycle (statuses and the actions between them) is the pure transition table in
`cases.rules`; services are the only writers and every change is audited.
"""

from django.db import models

from yimen.catalog.models import Material, ServiceItem
from yimen.core.fields import ProtectedCharField, protected_lookup_hash
from yimen.outlets.models import Outlet, Window
from yimen.queueing.models import Ticket
from yimen.staff.models import Staff

from . import rules

APPLICANT_KINDS = [("person", "个人"), ("company", "企业/单位")]
AGENT_ROLES = [("", "本人办理"), ("代理人", "代理人"), ("经办人", "经办人")]


class Case(models.Model):
    """One application (办件) for one service item."""

    receipt_number = models.CharField("办件编号", max_length=32, unique=True)
    outlet = models.ForeignKey(
        Outlet, on_delete=models.PROTECT, related_name="cases", verbose_name="受理网点"
    )
    item = models.ForeignKey(
        ServiceItem, on_delete=models.PROTECT, related_name="cases", verbose_name="事项"
    )
    ticket = models.ForeignKey(
        Ticket,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
        verbose_name="排队号",
    )
    window = models.ForeignKey(
        Window,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
        verbose_name="受理窗口",
    )
    status = models.CharField(
        "状态", max_length=20, choices=rules.STATUS_CHOICES, default=rules.DRAFT, db_index=True
    )

    # Applicant (申请人): a person or a company; personal data is shown masked.
    applicant_kind = models.CharField(
        "申请人类型", max_length=10, choices=APPLICANT_KINDS, default="person"
    )
    applicant_name = models.CharField("申请人", max_length=100)
    applicant_id_number = ProtectedCharField("申请人证件号码", max_length=64, blank=True)
    applicant_id_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    applicant_phone = ProtectedCharField("联系电话", max_length=20, blank=True)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    credit_code_warning = models.CharField("信用代码提示", max_length=100, blank=True)
    # Agent (代理人 / 经办人) and 帮办代办 helper with recorded consent.
    agent_role = models.CharField("代办身份", max_length=10, choices=AGENT_ROLES, blank=True)
    agent_name = models.CharField("代理人/经办人", max_length=50, blank=True)
    agent_id_number = ProtectedCharField("代理人证件号码", max_length=64, blank=True)
    agent_phone = ProtectedCharField("代理人电话", max_length=20, blank=True)
    helper = models.ForeignKey(
        Staff,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="helped_cases",
        verbose_name="帮办员",
    )
    helper_consent = models.BooleanField("申请人同意帮办代办", default=False)
    helper_consent_at = models.DateTimeField("同意时间", null=True, blank=True)
    helper_consent_note = models.CharField("同意方式", max_length=200, blank=True)

    # empty for an application made online (yimen/online): nobody at a window took it in
    opened_by = models.ForeignKey(
        Staff,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="opened_cases",
        verbose_name="收件人",
    )
    channel = models.CharField(
        "申报渠道", max_length=10, choices=rules.CHANNELS, default="window", db_index=True
    )
    opened_at = models.DateTimeField("收件时间")

    # Acceptance and time limits (working days, pauses excluded).
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    accepted_by = models.ForeignKey(
        Staff,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accepted_cases",
        verbose_name="受理人",
    )
    promised_limit = models.PositiveIntegerField("承诺时限（工作日）", null=True, blank=True)
    legal_limit = models.PositiveIntegerField("法定时限（工作日）", null=True, blank=True)
    due_date = models.DateField("承诺办结日期", null=True, blank=True)
    legal_due_date = models.DateField("法定办结日期", null=True, blank=True)
    paused_workdays = models.PositiveIntegerField("已暂停工作日", default=0)
    time_status = models.CharField(
        "时限状态", max_length=10, choices=rules.TIME_STATUS_CHOICES, blank=True, db_index=True
    )
    time_status_at = models.DateTimeField("时限状态刷新时间", null=True, blank=True)

    # 容缺受理
    tolerance = models.BooleanField("容缺受理", default=False)
    tolerance_deadline = models.DateField("容缺补齐期限", null=True, blank=True)
    tolerance_promise = models.TextField("容缺承诺", blank=True)
    tolerance_reminded_at = models.DateTimeField("补齐提醒时间", null=True, blank=True)

    # Back office
    steps_total = models.PositiveSmallIntegerField("审批环节数", default=0)
    steps_done = models.PositiveSmallIntegerField("已完成环节", default=0)
    decision = models.CharField("决定", max_length=10, choices=rules.DECISION_CHOICES, blank=True)
    decision_reason = models.TextField("决定理由", blank=True)
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)
    decided_by = models.ForeignKey(
        Staff,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decided_cases",
        verbose_name="决定人",
    )

    # Other endings
    reject_reason = models.TextField("不予受理理由", blank=True)
    termination_reason = models.TextField("终止理由", blank=True)
    hard_case_reason = models.TextField("很难办情形", blank=True)
    grievance_ref = models.CharField("办不成事反映编号", max_length=40, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "办件"
        verbose_name_plural = "办件"
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["item", "status"]),
            models.Index(fields=["outlet", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status__in=rules.ACCEPTED_STATES)
                | models.Q(accepted_at__isnull=False),
                name="case_accepted_has_time",
            ),
            models.CheckConstraint(
                condition=models.Q(decision="") | models.Q(accepted_at__isnull=False),
                name="case_no_decision_without_acceptance",
            ),
            models.CheckConstraint(
                condition=models.Q(steps_done__lte=models.F("steps_total")),
                name="case_steps_within_total",
            ),
        ]

    def __str__(self):
        return f"{self.receipt_number} {self.item.display_name}"

    def save(self, *args, **kwargs):
        self.applicant_id_hash = protected_lookup_hash(self.applicant_id_number)
        super().save(*args, **kwargs)

    @property
    def status_label(self):
        return rules.STATUS_LABELS.get(self.status, self.status)


class CaseMaterial(models.Model):
    """One line of the materials checklist (snapshot of the catalog at intake)."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="materials", verbose_name="办件"
    )
    material = models.ForeignKey(
        Material, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="目录材料"
    )
    position = models.PositiveSmallIntegerField("序号", default=0)
    name = models.CharField("材料名称", max_length=300)
    kind = models.CharField("形式", max_length=10, blank=True)
    copies = models.PositiveSmallIntegerField("份数", default=1)
    required = models.BooleanField("必需", default=True)
    tolerance_eligible = models.BooleanField("可容缺", default=False)
    data_sharing = models.BooleanField("可数据共享", default=False)
    state = models.CharField(
        "状态", max_length=12, choices=rules.MATERIAL_STATE_CHOICES, default=rules.M_PENDING
    )
    received_via = models.CharField(
        "收取方式", max_length=12, choices=rules.RECEIVED_VIA_CHOICES, blank=True
    )
    received_at = models.DateTimeField("收取时间", null=True, blank=True)
    first_listed_at = models.DateTimeField("首次告知时间", null=True, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        verbose_name = "办件材料"
        verbose_name_plural = "办件材料"
        ordering = ["case", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(state="tolerated") | models.Q(tolerance_eligible=True),
                name="casematerial_tolerated_only_if_eligible",
            ),
        ]

    def __str__(self):
        return self.name


class Visit(models.Model):
    """A physical trip of the applicant (counted against 最多跑一次)."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="visits", verbose_name="办件"
    )
    at = models.DateTimeField("到场时间")
    outlet = models.ForeignKey(
        Outlet, on_delete=models.PROTECT, related_name="case_visits", verbose_name="网点"
    )
    ticket = models.ForeignKey(
        Ticket,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="case_visits",
        verbose_name="排队号",
    )
    staff = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, verbose_name="接待人"
    )
    purpose = models.CharField("事由", max_length=20, choices=rules.VISIT_PURPOSE_CHOICES)
    reason = models.CharField("再次跑动原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "到场记录"
        verbose_name_plural = "到场记录"
        ordering = ["case", "at", "id"]


class Notice(models.Model):
    """A document handed to the applicant: 受理通知书, 一次性告知书, … (rendered as PDF)."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="notices", verbose_name="办件"
    )
    kind = models.CharField("文书类型", max_length=20, choices=rules.NOTICE_CHOICES)
    number = models.CharField("文书编号", max_length=40, unique=True)
    issued_at = models.DateTimeField("出具时间")
    issued_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, verbose_name="出具人"
    )
    content = models.JSONField("内容", default=dict)

    class Meta:
        verbose_name = "告知书/通知书"
        verbose_name_plural = "告知书/通知书"
        ordering = ["case", "issued_at", "id"]

    @property
    def kind_label(self):
        return rules.NOTICE_LABELS.get(self.kind, self.kind)


class ClockPause(models.Model):
    """特别程序 (hearing, inspection, expert review) or 补正: the time limit clock stops."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="pauses", verbose_name="办件"
    )
    kind = models.CharField("类型", max_length=20, choices=rules.PAUSE_CHOICES)
    reason = models.CharField("原因", max_length=300)
    started_at = models.DateTimeField("开始时间")
    started_by = models.ForeignKey(
        Staff,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="发起人",
    )
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    ended_by = models.ForeignKey(
        Staff,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="结束人",
    )
    workdays = models.PositiveIntegerField("暂停工作日", default=0)

    class Meta:
        verbose_name = "时限暂停"
        verbose_name_plural = "时限暂停"
        ordering = ["case", "started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(ended_at__isnull=True),
                name="one_open_pause_per_case",
            ),
        ]


class ApprovalStep(models.Model):
    """One back-office step: 承办 → 审核 → 批准."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="steps", verbose_name="办件"
    )
    seq = models.PositiveSmallIntegerField("环节序号")
    name = models.CharField("环节", max_length=10)
    staff = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="case_steps", verbose_name="办理人"
    )
    at = models.DateTimeField("办理时间")
    opinion = models.TextField("意见", blank=True)

    class Meta:
        verbose_name = "审批环节"
        verbose_name_plural = "审批环节"
        ordering = ["case", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["case", "seq"], name="one_record_per_case_step")
        ]


class Result(models.Model):
    """The result of an approved case (licence/certificate); exactly one per case."""

    case = models.OneToOneField(
        Case, on_delete=models.PROTECT, related_name="result", verbose_name="办件"
    )
    licence_number = models.CharField("证照编号", max_length=60, unique=True)
    title = models.CharField("证照名称", max_length=200)
    holder = models.CharField("持证人", max_length=100)
    issued_at = models.DateTimeField("出证时间")
    issued_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="+", verbose_name="出证人"
    )
    valid_until = models.DateField("有效期至", null=True, blank=True)
    verify_token = models.CharField("核验码", max_length=64, unique=True)
    revoked = models.BooleanField("已注销", default=False)
    delivery_method = models.CharField(
        "送达方式", max_length=12, choices=rules.DELIVERY_CHOICES, blank=True
    )
    tracking_number = models.CharField("邮件单号", max_length=60, blank=True)
    delivered_at = models.DateTimeField("送达时间", null=True, blank=True)
    delivered_by = models.ForeignKey(
        Staff,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="送达人",
    )
    recipient = models.CharField("签收人", max_length=50, blank=True)
    notified_at = models.DateTimeField("领取通知时间", null=True, blank=True)

    class Meta:
        verbose_name = "办理结果"
        verbose_name_plural = "办理结果"


class CaseEvent(models.Model):
    """Every transition of a case: who, when, from → to, why."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="events", verbose_name="办件"
    )
    action = models.CharField("动作", max_length=30)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    at = models.DateTimeField("时间", db_index=True)
    staff = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="操作人"
    )
    reason = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = "办件事件"
        verbose_name_plural = "办件事件"
        ordering = ["case", "id"]


class ProgressLookup(models.Model):
    """Public progress queries, kept for rate limiting (per address and per receipt number)."""

    at = models.DateTimeField(db_index=True)
    ip = models.CharField(max_length=45, db_index=True)
    receipt_number = models.CharField(max_length=32, db_index=True)
    ok = models.BooleanField(default=False)

    class Meta:
        verbose_name = "进度查询记录"
        verbose_name_plural = "进度查询记录"


from .bundle_models import (  # noqa: E402,F401  (一件事, 情形, 告知承诺, 缴费: issue #17)
    BundleApplication,
    BundleCase,
    CaseSituation,
    CashClose,
    CreditRecord,
    Payment,
    Promise,
)
