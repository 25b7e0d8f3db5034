"""What outreach keeps (the messages themselves are the outbox's, app `notify`):

- `Trigger`: one row per message a trigger queued (event, recipient), unique on its dedupe key —
  what the ticket and appointment pages show ("已发送提醒 … 至 138****5678");
- `OptOut`: a phone that unsubscribed (link or the reply keyword), honoured before enqueue;
- `Consent`: a relative's agreement to receive the reminders of a person (S01);
- `YearlyReminder`: a proactive reminder (主动服务) due on a date, to the person or a relative;
- `Notice`: an in-app notice for one member of staff (the bell).
"""

from django.db import models

from yimen.catalog.models import Department, ServiceItem
from yimen.core.fields import ProtectedCharField, protected_lookup_hash
from yimen.outlets.models import Outlet
from yimen.queueing.models import Appointment, Ticket
from yimen.staff.models import Staff


class Trigger(models.Model):
    kind = models.CharField("提醒类型", max_length=30)
    dedupe_key = models.CharField("去重键", max_length=120, unique=True)
    phone_masked = models.CharField("手机号（脱敏）", max_length=20)
    # No database foreign keys (db_constraint=False): inserting a row with one takes a KEY SHARE
    # lock on the referenced ticket, and a call transaction that told a ticket "快到您了" while
    # another window held that ticket FOR UPDATE (calling it) deadlocked with it on PostgreSQL
    # (each waiting for the other's row; detected after 1 s, then retried). Django still cascades.
    ticket = models.ForeignKey(
        Ticket,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
    )
    appointment = models.ForeignKey(
        Appointment,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
    )
    message = models.ForeignKey(
        "notify.OutboxMessage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    created_at = models.DateTimeField("加入发送队列时间")

    class Meta:
        verbose_name = "提醒记录"
        verbose_name_plural = "提醒记录"
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.kind} → {self.phone_masked}"


class OptOut(models.Model):
    """A phone that asked for no more messages (退订)."""

    LINK, KEYWORD, STAFF = "link", "keyword", "staff"
    VIA_CHOICES = [(LINK, "退订链接"), (KEYWORD, "回复退订"), (STAFF, "工作人员登记")]

    phone_hash = models.CharField(max_length=64, unique=True, editable=False)
    phone_masked = models.CharField("手机号（脱敏）", max_length=20)
    via = models.CharField("方式", max_length=10, choices=VIA_CHOICES)
    at = models.DateTimeField("退订时间")

    class Meta:
        verbose_name = "短信退订"
        verbose_name_plural = "短信退订"

    def __str__(self):
        return self.phone_masked


class Consent(models.Model):
    """A relative agreed (to the clerk, face to face or by phone) to receive a person's
    reminders on their phone. Withdrawn consent stops the reminders."""

    person_name = ProtectedCharField("本人姓名", max_length=50)
    person_id_hash = models.CharField(max_length=64, db_index=True, editable=False)
    phone = ProtectedCharField("亲属手机号", max_length=20)
    phone_hash = models.CharField(max_length=64, db_index=True, editable=False)
    relation = models.CharField("与本人关系", max_length=20)
    recorded_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="+", verbose_name="登记人"
    )
    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField("同意时间")
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)

    class Meta:
        verbose_name = "亲属接收提醒同意"
        verbose_name_plural = "亲属接收提醒同意"

    def save(self, *args, **kwargs):
        self.phone_hash = protected_lookup_hash(self.phone)
        super().save(*args, **kwargs)


class YearlyReminder(models.Model):
    """主动服务: remind a person (or their consenting relative) before a yearly deadline."""

    SMS, PAPER = "sms", "paper"
    CHANNEL_CHOICES = [(SMS, "短信"), (PAPER, "纸质通知")]
    PLANNED, SENT, CANCELLED = "planned", "sent", "cancelled"
    STATUS_CHOICES = [(PLANNED, "待提醒"), (SENT, "已提醒"), (CANCELLED, "已取消")]

    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="+")
    person_name = ProtectedCharField("本人姓名", max_length=50)
    person_id_hash = models.CharField(max_length=64, db_index=True, editable=False)
    channel = models.CharField("提醒方式", max_length=10, choices=CHANNEL_CHOICES)
    phone = ProtectedCharField("接收手机号", max_length=20, blank=True)
    consent = models.ForeignKey(
        Consent, null=True, blank=True, on_delete=models.PROTECT, related_name="reminders"
    )
    due_date = models.DateField("认证截止日期")
    remind_on = models.DateField("提醒日期")
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=PLANNED)
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "主动服务提醒"
        verbose_name_plural = "主动服务提醒"
        ordering = ["remind_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person_id_hash", "item", "due_date"],
                condition=models.Q(status__in=["planned", "sent"]),
                name="one_yearly_reminder_per_person_item_due",
            )
        ]


class Notice(models.Model):
    """An in-app notice for one member of staff (the bell in the staff pages' header)."""

    DEADLINE, BAD_RATING, GRIEVANCE, ESCALATION = (
        "deadline",
        "bad_rating",
        "grievance",
        "escalation",
    )
    KIND_CHOICES = [
        (DEADLINE, "办件临近时限"),
        (BAD_RATING, "新差评"),
        (GRIEVANCE, "新办不成事反映"),
        (ESCALATION, "即将升级督办"),
    ]
    KIND_LABELS = dict(KIND_CHOICES)

    recipient = models.ForeignKey(
        Staff, on_delete=models.CASCADE, related_name="notices", verbose_name="接收人"
    )
    outlet = models.ForeignKey(
        Outlet, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField("类型", max_length=20, choices=KIND_CHOICES)
    title = models.CharField("标题", max_length=200)
    link = models.CharField("链接", max_length=200, blank=True)
    dedupe_key = models.CharField(max_length=160, unique=True)
    created_at = models.DateTimeField("时间", db_index=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = "站内通知"
        verbose_name_plural = "站内通知"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self):
        return self.title

    @property
    def kind_label(self) -> str:
        return self.KIND_LABELS.get(self.kind, self.kind)
