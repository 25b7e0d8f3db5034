import hashlib
import json
from datetime import UTC

from django.conf import settings
from django.db import models


class HolidayDay(models.Model):
    """The project's own holiday table. Wins over the chinesecalendar package."""

    date = models.DateField("日期", unique=True)
    name = models.CharField("名称", max_length=50, blank=True)
    is_off_day = models.BooleanField("放假", help_text="勾选：法定节假日休息；不勾选：调休上班")
    source = models.CharField("来源", max_length=200, blank=True)

    class Meta:
        verbose_name = "节假日/调休"
        verbose_name_plural = "节假日/调休"
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.name} {'休' if self.is_off_day else '班'}"


class CalendarYear(models.Model):
    """A year whose official arrangement has been loaded (so its answers are verified)."""

    year = models.PositiveIntegerField("年份", unique=True)
    published = models.BooleanField("已发布官方安排", default=False)
    source = models.CharField("来源", max_length=200, blank=True)

    class Meta:
        verbose_name = "日历年度"
        verbose_name_plural = "日历年度"
        ordering = ["year"]

    def __str__(self):
        return f"{self.year}（{'已核实' if self.published else '未发布'}）"


class AuditEntry(models.Model):
    """Append-only audit log with a hash chain (see core.audit)."""

    at = models.DateTimeField("时间", db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name="操作人",
    )
    actor_label = models.CharField("操作人标识", max_length=150, blank=True)
    action = models.CharField("动作", max_length=80, db_index=True)
    object_type = models.CharField("对象类型", max_length=80, blank=True, db_index=True)
    object_id = models.CharField("对象", max_length=80, blank=True, db_index=True)
    summary = models.JSONField("摘要（前/后）", default=dict, blank=True)
    reason = models.CharField("原因", max_length=500, blank=True)
    source_ip = models.GenericIPAddressField("来源地址", null=True, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"
        ordering = ["id"]

    def payload(self) -> str:
        return json.dumps(
            {
                "id": self.pk,
                # in UTC, as the database returns it: an entry made at a time given in another
                # zone (a frozen test clock in Asia/Shanghai) must verify after the round trip
                "at": self.at.astimezone(UTC).isoformat(),
                "actor": self.actor_id,
                "actor_label": self.actor_label,
                "action": self.action,
                "object_type": self.object_type,
                "object_id": self.object_id,
                "summary": self.summary,
                "reason": self.reason,
                "source_ip": self.source_ip,
                "prev": self.prev_hash,
            },
            sort_keys=True,
            ensure_ascii=False,
            default=str,
        )

    def compute_hash(self) -> str:
        return hashlib.sha256(self.payload().encode()).hexdigest()

    def save(self, *args, **kwargs):
        if self.pk and not kwargs.pop("_chain_write", False):
            raise PermissionError("审计日志只能追加，不能修改。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("审计日志只能追加，不能删除。")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_type}:{self.object_id}"


class AuditSeal(models.Model):
    """The head of the audit chain (one row), updated in the same transaction as each append, so
    `yimen audit verify` also notices entries deleted from the end of the chain."""

    last_id = models.BigIntegerField("最后一条", default=0)
    last_hash = models.CharField("最后哈希", max_length=64, blank=True)
    count = models.BigIntegerField("条数", default=0)

    class Meta:
        verbose_name = "审计链头"
        verbose_name_plural = "审计链头"
