"""好差评 (ratings) + 差评整改 (rectifications and their steps). State machines and deadline rules
live in rules.py; every write goes through services/.
"""

from django.db import models
from django.db.models import Q

from yimen.cases.models import Case
from yimen.catalog.models import Department, ServiceItem
from yimen.core.fields import ProtectedCharField
from yimen.outlets.models import Outlet, Window
from yimen.queueing.models import Ticket
from yimen.staff.models import Staff

from .. import rules

RATING_CHANNELS = [
    ("window", "窗口评价器"),
    ("qr", "扫码评价"),
    ("portal", "一网通办"),
    ("api", "接口/终端"),
    ("callback", "电话回访"),
]


class Rating(models.Model):
    """One rating of one service event (一次一评、一事一评). Round 2 is the single re-rating the
    person may give after the rectification of a 差评 was closed."""

    TICKET, CASE = "ticket", "case"
    SUBJECTS = [(TICKET, "现场办事（排队号）"), (CASE, "办件")]

    subject = models.CharField("评价对象", max_length=10, choices=SUBJECTS)
    ticket = models.ForeignKey(
        Ticket,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ratings",
        verbose_name="排队号",
    )
    case = models.ForeignKey(
        Case,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ratings",
        verbose_name="办件",
    )
    round = models.PositiveSmallIntegerField(
        "评价轮次", default=1, help_text="1 = 首次评价；2 = 整改后复评"
    )
    score = models.PositiveSmallIntegerField("评价等级", choices=rules.SCORE_CHOICES)
    reasons = models.JSONField("原因", default=list, blank=True)
    comment = models.TextField("评价内容", blank=True)
    # a 差评 may leave a phone for the promised callback (a slip's ticket often has none)
    callback_phone = ProtectedCharField("回访电话", max_length=20, blank=True)
    channel = models.CharField("评价渠道", max_length=10, choices=RATING_CHANNELS)
    outlet = models.ForeignKey(
        Outlet, on_delete=models.PROTECT, related_name="ratings", verbose_name="网点"
    )
    window = models.ForeignKey(
        Window,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ratings",
        verbose_name="窗口",
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ratings",
        verbose_name="责任部门",
    )
    staff = models.ForeignKey(
        Staff,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ratings",
        verbose_name="办理人",
    )
    item = models.ForeignKey(
        ServiceItem,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ratings",
        verbose_name="事项",
    )
    created_at = models.DateTimeField("评价时间", db_index=True)

    class Meta:
        verbose_name = "好差评"
        verbose_name_plural = "好差评"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1, score__lte=5), name="rating_score_1_to_5"
            ),
            models.CheckConstraint(condition=Q(round__in=[1, 2]), name="rating_round_1_or_2"),
            models.UniqueConstraint(
                fields=["ticket", "round"],
                condition=Q(ticket__isnull=False),
                name="one_rating_per_ticket_round",
            ),
            models.UniqueConstraint(
                fields=["case", "round"],
                condition=Q(case__isnull=False),
                name="one_rating_per_case_round",
            ),
            models.CheckConstraint(
                condition=(
                    Q(subject="ticket", ticket__isnull=False, case__isnull=True)
                    | Q(subject="case", case__isnull=False, ticket__isnull=True)
                ),
                name="rating_subject_matches",
            ),
        ]

    def __str__(self):
        return f"{self.get_score_display()}（{self.outlet_id} {self.created_at:%Y-%m-%d %H:%M}）"

    @property
    def is_bad(self) -> bool:
        return rules.is_bad(self.score)

    @property
    def reason_labels(self):
        return [rules.REASON_LABELS.get(r, r) for r in self.reasons]


class Rectification(models.Model):
    """The task a 差评 opens: 回访 within 1 working day, 整改 within N working days."""

    rating = models.OneToOneField(
        Rating, on_delete=models.PROTECT, related_name="rectification", verbose_name="差评"
    )
    outlet = models.ForeignKey(
        Outlet, on_delete=models.PROTECT, related_name="rectifications", verbose_name="网点"
    )
    window = models.ForeignKey(
        Window,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rectifications",
        verbose_name="责任窗口",
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rectifications",
        verbose_name="责任部门",
    )
    staff = models.ForeignKey(
        Staff,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rectifications",
        verbose_name="被评价人员",
    )
    state = models.CharField(
        "状态",
        max_length=12,
        choices=rules.RECTIFICATION_STATES,
        default=rules.R_VERIFY,
        db_index=True,
    )
    callback_due = models.DateField("回访期限")
    rectify_due = models.DateField("整改期限")
    callback_note = models.TextField("回访记录", blank=True)
    callback_at = models.DateTimeField("回访时间", null=True, blank=True)
    callback_by = models.ForeignKey(
        Staff,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="回访人",
    )
    rectification_note = models.TextField("整改情况", blank=True)
    reported_back = models.BooleanField("整改结果已反馈群众", default=False)
    appeal_reason = models.TextField("申诉理由", blank=True)
    appeal_decision = models.TextField("申诉审批意见", blank=True)
    appeal_decided_by = models.ForeignKey(
        Staff,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="申诉审批人",
    )
    unfixable_reason = models.TextField("无法整改说明", blank=True)
    created_at = models.DateTimeField("创建时间")
    closed_at = models.DateTimeField("关闭时间", null=True, blank=True)
    closed_by = models.ForeignKey(
        Staff,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="关闭人",
    )

    class Meta:
        verbose_name = "差评整改"
        verbose_name_plural = "差评整改"
        ordering = ["rectify_due", "id"]
        constraints = [
            # S09: never closed without a callback note, and 已整改 needs the rectification note.
            models.CheckConstraint(
                condition=~Q(state__in=sorted(rules.RECTIFICATION_CLOSED)) | ~Q(callback_note=""),
                name="rectification_closed_needs_callback",
            ),
            models.CheckConstraint(
                condition=~Q(state=rules.R_RECTIFIED) | ~Q(rectification_note=""),
                name="rectification_done_needs_note",
            ),
        ]

    def __str__(self):
        return f"整改 #{self.pk}（{self.get_state_display()}）"

    @property
    def is_open(self):
        return self.state not in rules.RECTIFICATION_CLOSED


class RectificationStep(models.Model):
    rectification = models.ForeignKey(Rectification, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField("操作", max_length=20)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12)
    note = models.TextField("说明", blank=True)
    by = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField("时间")

    class Meta:
        ordering = ["id"]
        verbose_name = "整改记录"
        verbose_name_plural = "整改记录"

    @property
    def action_label(self):
        return {"open": "生成整改任务", **rules.RECTIFICATION_ACTION_LABELS}.get(
            self.action, self.action
        )
