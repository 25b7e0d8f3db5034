"""The outbox table: one row per (event, recipient), delivered by the worker (services.deliver)."""

from __future__ import annotations

from django.db import models

from yimen.core.fields import ProtectedCharField, protected_lookup_hash
from yimen.core.masking import mask_phone

PENDING, SENT, FAILED, DEAD = "pending", "sent", "failed", "dead"
STATUS_CHOICES = [
    (PENDING, "待发送"),
    (SENT, "已发送"),
    (FAILED, "发送失败待重试"),
    (DEAD, "已放弃"),
]
CHANNEL_CHOICES = [("sms", "短信"), ("exchange", "政务数据交换")]  # exchange: docs/exchange.md


class OutboxMessage(models.Model):
    channel = models.CharField("渠道", max_length=16, choices=CHANNEL_CHOICES, default="sms")
    recipient = ProtectedCharField("接收号码", max_length=20)
    recipient_hash = models.CharField(max_length=64, db_index=True, editable=False)
    template = models.CharField("模板", max_length=64)
    params = models.JSONField("参数", default=dict, blank=True)
    dedupe_key = models.CharField("去重键", max_length=200, unique=True)
    sensitive = models.BooleanField("敏感（验证码等）", default=False)
    status = models.CharField("状态", max_length=8, choices=STATUS_CHOICES, default=PENDING)
    attempts = models.PositiveIntegerField("尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次发送时间")
    last_error = models.CharField("最近错误", max_length=500, blank=True)
    # the claim of a worker (a lease): rows claimed and not yet settled when a worker dies are
    # taken again after `claimed_until`; `in_flight` says a send may have reached the provider,
    # so the next worker asks the provider (Provider.find) before sending again
    claimed_by = models.CharField(max_length=40, blank=True, editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    in_flight = models.BooleanField(default=False, editable=False)
    in_doubt = models.BooleanField(default=False, editable=False)
    provider = models.CharField("通道", max_length=32, blank=True)
    provider_message_id = models.CharField("通道消息编号", max_length=100, blank=True)
    receipt_status = models.CharField("回执状态", max_length=40, blank=True)
    receipt_at = models.DateTimeField("回执时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间")
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)

    class Meta:
        verbose_name = "待发消息"
        verbose_name_plural = "待发消息（发件箱）"
        ordering = ["id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notify_due"),
            models.Index(fields=["provider", "provider_message_id"], name="notify_provider_id"),
        ]

    def save(self, *args, **kwargs):
        self.recipient_hash = protected_lookup_hash(self.recipient)
        super().save(*args, **kwargs)

    @property
    def to_masked(self) -> str:
        return mask_phone(self.recipient)

    def __str__(self) -> str:
        return f"{self.template} → {self.to_masked} [{self.status}]"


class ChoreSchedule(models.Model):
    """When each periodic chore of the worker runs next (one row per chore)."""

    name = models.CharField("任务", max_length=64, unique=True)
    next_run_at = models.DateTimeField("下次运行")
    last_started_at = models.DateTimeField("上次开始", null=True, blank=True)
    last_result = models.JSONField("上次结果", default=dict, blank=True)

    class Meta:
        verbose_name = "定时任务"
        verbose_name_plural = "定时任务"
