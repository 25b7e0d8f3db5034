"""What Yimen exchanges with the government platform (docs/exchange.md).

- `Document`: our ledger of every document pushed to an external system (好差评, 12345, 电子证照
  library): its body, the outbox message that carries it, whether the system acknowledged it.
  Reconciliation compares it with what the system says it holds.
- `WorkOrder`: a 12345 work order received by the webhook (idempotent on its number).
- `LicenceUse`: a licence of the library counted as a material at intake (免证办): where it came
  from.
- `ItemCode`: the national codes (GB/T 39554.1) of a catalog item.
- `Reconciliation`: one day's comparison for one outlet and one system.
"""

from __future__ import annotations

from django.db import models

HCP, H12345, LICENCE = "hcp", "12345", "licence"
SYSTEMS = [(HCP, "好差评系统"), (H12345, "12345 热线"), (LICENCE, "电子证照库")]
SYSTEM_LABELS = dict(SYSTEMS)


class Document(models.Model):
    system = models.CharField("系统", max_length=10, choices=SYSTEMS)
    kind = models.CharField("文档类型", max_length=20)
    doc_id = models.CharField("文档编号", max_length=80)
    outlet_code = models.CharField("网点编码", max_length=40, blank=True, db_index=True)
    day = models.DateField("业务日期", db_index=True)
    body = models.JSONField("内容")
    created_at = models.DateTimeField("生成时间")
    message_id = models.BigIntegerField("发件箱消息", null=True, blank=True)
    pushes = models.PositiveSmallIntegerField("推送次数", default=0)
    acknowledged_at = models.DateTimeField("对方确认时间", null=True, blank=True)
    remote_ref = models.CharField("对方回执", max_length=100, blank=True)
    simulated = models.BooleanField("模拟器确认", default=False)

    class Meta:
        verbose_name = "交换文档"
        verbose_name_plural = "交换文档"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["system", "doc_id"], name="exchange_doc_once")
        ]
        indexes = [models.Index(fields=["system", "outlet_code", "day"], name="exchange_doc_day")]

    def __str__(self) -> str:
        return f"{self.system}:{self.doc_id}"


class WorkOrder(models.Model):
    BAD_RATING, GRIEVANCE = "bad_rating", "grievance"
    KINDS = [(BAD_RATING, "差评"), (GRIEVANCE, "办不成事")]

    order_no = models.CharField("工单号", max_length=64, unique=True)
    kind = models.CharField("类型", max_length=12, choices=KINDS)
    body_hash = models.CharField(max_length=64)
    payload = models.JSONField("工单内容")
    outlet_code = models.CharField("网点编码", max_length=40, blank=True)
    rating_id = models.BigIntegerField("差评", null=True, blank=True)
    rectification_id = models.BigIntegerField("整改任务", null=True, blank=True, db_index=True)
    grievance_id = models.BigIntegerField("办不成事反映", null=True, blank=True, db_index=True)
    record_no = models.CharField("本地编号", max_length=60, blank=True)
    received_at = models.DateTimeField("接收时间")

    class Meta:
        verbose_name = "12345 工单"
        verbose_name_plural = "12345 工单"
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.order_no


class LicenceUse(models.Model):
    case_id_ref = models.BigIntegerField("办件", db_index=True)
    case_material_id = models.BigIntegerField("办件材料")
    licence_type = models.CharField("证照类型", max_length=40)
    licence_no = models.CharField("证照编号", max_length=80)
    holder = models.CharField("持证人（脱敏）", max_length=100)
    valid_until = models.DateField("有效期至", null=True, blank=True)
    issuer = models.CharField("发证机关", max_length=100, blank=True)
    source = models.CharField("来源", max_length=200)
    simulated = models.BooleanField("来自模拟器", default=False)
    used_at = models.DateTimeField("调用时间")
    used_by = models.CharField("调用人", max_length=60, blank=True)

    class Meta:
        verbose_name = "电子证照调用"
        verbose_name_plural = "电子证照调用"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["case_material_id"], name="exchange_licence_once")
        ]


class ItemCode(models.Model):
    item = models.OneToOneField(
        "catalog.ServiceItem",
        on_delete=models.CASCADE,
        related_name="national_code",
        verbose_name="事项",
    )
    basic_code = models.CharField("基本编码", max_length=12, blank=True)
    implementation_code = models.CharField("实施编码", max_length=33, blank=True)

    class Meta:
        verbose_name = "国家事项编码"
        verbose_name_plural = "国家事项编码"

    def __str__(self) -> str:
        return self.implementation_code or self.basic_code


class Reconciliation(models.Model):
    system = models.CharField("系统", max_length=10, choices=SYSTEMS)
    outlet_code = models.CharField("网点编码", max_length=40)
    day = models.DateField("业务日期")
    ours = models.PositiveIntegerField("本地条数", default=0)
    acknowledged = models.PositiveIntegerField("对方条数", default=0)
    missing = models.PositiveIntegerField("缺失条数", default=0)
    repushed = models.PositiveIntegerField("补推条数", default=0)
    error = models.CharField("错误", max_length=300, blank=True)
    simulated = models.BooleanField("对方为模拟器", default=False)
    run_at = models.DateTimeField("对账时间")

    class Meta:
        verbose_name = "每日对账"
        verbose_name_plural = "每日对账"
        ordering = ["-day", "outlet_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["system", "outlet_code", "day"], name="exchange_reconcile_once"
            )
        ]
