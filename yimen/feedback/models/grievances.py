"""办不成事 (grievances) + 升级督办 (escalation levels), their events and notices, and conduct
findings (不作为/慢作为/乱作为). State machines and deadline rules live in rules.py; every write goes
through services/.
"""

from django.db import models
from django.db.models import Q

from yimen.cases.models import Case
from yimen.catalog.models import ServiceItem
from yimen.core.fields import ProtectedCharField, protected_lookup_hash
from yimen.core.tolerant import TolerantDateTimeField
from yimen.outlets.models import Outlet, Window
from yimen.queueing.models import Ticket
from yimen.staff.models import ROLE_CHOICES, Staff

from .. import rules

GRIEVANCE_CHANNELS = [("window", "办不成事窗口"), ("portal", "一网通办"), ("phone", "电话")]


class Grievance(models.Model):
    """办不成事反映. Status flow 受理 → 核查 → 处理 → 反馈 → 归档 (see rules.GRIEVANCE_TRANSITIONS)."""

    number = models.CharField("反映编号", max_length=40, unique=True)
    seq = models.PositiveIntegerField("当日序号")
    received_date = models.DateField("受理日期")
    public_token = models.CharField(max_length=40, unique=True, editable=False)
    channel = models.CharField(
        "反映渠道", max_length=10, choices=GRIEVANCE_CHANNELS, default="window"
    )
    category = models.CharField("类别", max_length=10, choices=rules.CATEGORY_CHOICES)
    status = models.CharField(
        "状态",
        max_length=14,
        choices=rules.GRIEVANCE_STATES,
        default=rules.G_RECEIVED,
        db_index=True,
    )
    outlet = models.ForeignKey(
        Outlet, on_delete=models.PROTECT, related_name="grievances", verbose_name="网点"
    )
    item = models.ForeignKey(
        ServiceItem,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grievances",
        verbose_name="所涉事项",
    )
    window = models.ForeignKey(
        Window,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="grievances",
        verbose_name="所涉窗口",
    )
    staff = models.ForeignKey(
        Staff,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="grievances_about",
        verbose_name="所涉工作人员",
    )
    ticket = models.ForeignKey(
        Ticket,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="grievances",
        verbose_name="原办事排队号",
    )
    case = models.ForeignKey(
        Case,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="grievances",
        verbose_name="原办件",
    )
    # typed by people: a bad value stored before intake checked it reads as None (core.tolerant)
    occurred_at = TolerantDateTimeField("原办事时间", null=True, blank=True)
    applicant_name = ProtectedCharField("反映人", max_length=50, blank=True)
    id_number = ProtectedCharField("证件号码", max_length=18, blank=True)
    id_number_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone = ProtectedCharField("联系电话", max_length=20, blank=True)
    description = models.TextField("反映内容")
    missing_materials = models.JSONField("所缺材料", default=list, blank=True)
    received_at = models.DateTimeField("受理时间")
    received_by = models.ForeignKey(
        Staff,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="受理人",
    )
    first_response_due = models.DateField("首次答复期限")
    first_response_at = models.DateTimeField("首次答复时间", null=True, blank=True)
    # 办不了: face-to-face explanation
    reason_code = models.CharField("不能办理原因", max_length=30, blank=True)
    legal_basis = models.TextField("政策依据", blank=True)
    explanation = models.TextField("当面说明内容", blank=True)
    alternatives = models.TextField("可替代办理建议", blank=True)
    explained_in_person = models.BooleanField("已当面说明", default=False)
    # 很难办: escalation ladder
    level = models.PositiveSmallIntegerField("当前层级", default=0)
    level_due = models.DateField("本级期限", null=True, blank=True)
    # 不给办 / 其他: supervision
    finding_upheld = models.BooleanField("反映属实", null=True, blank=True)
    finding_note = models.TextField("核查结论", blank=True)
    handling_note = models.TextField("处理结果", blank=True)
    answer = models.TextField("书面答复", blank=True)
    # the person's feedback (required for closing)
    person_satisfied = models.BooleanField("群众是否满意", null=True, blank=True)
    person_feedback = models.TextField("群众意见", blank=True)
    person_feedback_at = models.DateTimeField("反馈时间", null=True, blank=True)
    closed_at = models.DateTimeField("归档时间", null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField("重新办理次数", default=0)

    class Meta:
        verbose_name = "办不成事反映"
        verbose_name_plural = "办不成事反映"
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["outlet", "received_date", "seq"], name="grievance_seq_unique_per_day"
            ),
            models.CheckConstraint(
                condition=Q(level__gte=0, level__lte=9), name="grievance_level_range"
            ),
            # S07: every 办不了 that has been answered carries reason + basis + "explained in person".
            models.CheckConstraint(
                condition=~Q(category=rules.CANNOT)
                | Q(status__in=[rules.G_RECEIVED, rules.G_INVESTIGATING, rules.G_HANDLING])
                | (Q(explained_in_person=True) & ~Q(reason_code="") & ~Q(legal_basis="")),
                name="cannot_needs_explanation",
            ),
            # Closure requires the person's feedback.
            models.CheckConstraint(
                condition=~Q(status=rules.G_ARCHIVED) | Q(person_satisfied__isnull=False),
                name="archived_needs_person_feedback",
            ),
        ]
        indexes = [models.Index(fields=["outlet", "status", "level"])]

    def __str__(self):
        return f"{self.number}（{self.get_category_display()}，{self.get_status_display()}）"

    def save(self, *args, **kwargs):
        self.id_number_hash = protected_lookup_hash(self.id_number)
        super().save(*args, **kwargs)

    @property
    def is_open(self):
        return self.status in rules.GRIEVANCE_OPEN


class EscalationLevel(models.Model):
    """One rung of the ladder a 很难办 grievance climbed: owner, time box, meeting, decision."""

    RESOLVED, ESCALATED, AUTO_ESCALATED = "resolved", "escalated", "auto_escalated"
    OUTCOMES = [
        (RESOLVED, "本级解决/答复"),
        (ESCALATED, "研究后升级"),
        (AUTO_ESCALATED, "超期自动升级"),
    ]

    grievance = models.ForeignKey(Grievance, on_delete=models.CASCADE, related_name="levels")
    round = models.PositiveSmallIntegerField("轮次", default=0, help_text="重新办理后重新计轮")
    level = models.PositiveSmallIntegerField("层级")
    name = models.CharField("层级名称", max_length=60)
    owner_role = models.CharField("责任角色", max_length=20, choices=ROLE_CHOICES)
    started_at = models.DateTimeField("开始时间")
    due = models.DateField("期限")
    meeting_at = TolerantDateTimeField("会议/研究时间", null=True, blank=True)
    decision = models.TextField("研究意见/决定", blank=True)
    outcome = models.CharField("结果", max_length=20, choices=OUTCOMES, blank=True)
    decided_by = models.ForeignKey(
        Staff,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="决定人",
    )
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)
    skip_reason = models.TextField("越级理由", blank=True)
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        verbose_name = "升级督办层级"
        verbose_name_plural = "升级督办层级"
        ordering = ["grievance", "level", "id"]
        constraints = [
            # A rung is entered once per round; `round` counts reopenings so a reopened grievance
            # may climb again, while concurrent jobs can never open the same rung twice.
            models.UniqueConstraint(
                fields=["grievance", "round", "level"], name="one_record_per_level"
            ),
        ]

    def __str__(self):
        return f"{self.grievance.number} 第{self.level}级 {self.name}"


class GrievanceEvent(models.Model):
    """Every transition of a grievance: who, when, why."""

    grievance = models.ForeignKey(Grievance, on_delete=models.CASCADE, related_name="events")
    action = models.CharField("操作", max_length=20)
    from_status = models.CharField(max_length=14, blank=True)
    to_status = models.CharField(max_length=14)
    level = models.PositiveSmallIntegerField(default=0)
    note = models.TextField("说明", blank=True)
    by = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=60, blank=True)
    at = models.DateTimeField("时间")

    class Meta:
        ordering = ["id"]
        verbose_name = "反映处理记录"
        verbose_name_plural = "反映处理记录"

    @property
    def to_status_label(self):
        return rules.GRIEVANCE_LABELS.get(self.to_status, self.to_status)

    @property
    def action_label(self):
        return {
            "intake": "受理登记",
            "feedback": "群众反馈",
            "notify": "告知群众",
            **rules.GRIEVANCE_ACTION_LABELS,
        }.get(self.action, self.action)


class GrievanceNotice(models.Model):
    """A notification to the person (after each level, at closure …)."""

    grievance = models.ForeignKey(Grievance, on_delete=models.CASCADE, related_name="notices")
    at = models.DateTimeField("时间")
    channel = models.CharField(
        "方式", max_length=10, choices=[("sms", "短信"), ("slip", "回执"), ("in_person", "当面")]
    )
    text = models.TextField("内容")
    delivered = models.BooleanField("已发送", default=False)
    reference = models.CharField("发送回执", max_length=100, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "告知记录"
        verbose_name_plural = "告知记录"


FINDING_KINDS = [("inaction", "不作为"), ("slow", "慢作为"), ("misconduct", "乱作为")]


class ConductFinding(models.Model):
    """A finding on a member of staff's record from a 不给办 investigation (performance review)."""

    staff = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="conduct_findings", verbose_name="工作人员"
    )
    grievance = models.ForeignKey(Grievance, on_delete=models.PROTECT, related_name="findings")
    kind = models.CharField("认定", max_length=12, choices=FINDING_KINDS)
    note = models.TextField("事实与依据")
    item = models.ForeignKey(
        ServiceItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    occurred_at = TolerantDateTimeField("发生时间", null=True, blank=True)
    recorded_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="+", verbose_name="认定人"
    )
    recorded_at = models.DateTimeField("认定时间")

    class Meta:
        ordering = ["-recorded_at"]
        verbose_name = "履职问题认定"
        verbose_name_plural = "履职问题认定"
        constraints = [
            models.UniqueConstraint(
                fields=["grievance", "staff"], name="one_finding_per_grievance_staff"
            )
        ]
