from django.db import models

from yimen.catalog.models import ServiceItem
from yimen.outlets.models import Outlet, Window
from yimen.staff.models import Staff

PRIORITY_CHOICES = [
    ("", "无"),
    ("老年人", "老年人"),
    ("残疾人", "残疾人"),
    ("军人", "军人及退役军人"),
    ("孕妇", "孕妇"),
    ("其他", "其他特殊群体"),
]
CHANNEL_CHOICES = [
    ("kiosk", "自助取号机"),
    ("guide", "引导台"),
    ("api", "接口/终端"),
    ("remote", "远程取号"),
    ("appointment", "预约签到"),
    ("window", "窗口转办"),
]


class Queue(models.Model):
    """A queue of an outlet, usually one per window group (CX-ZH → 综合 A)."""

    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="queues", verbose_name="网点")
    code = models.CharField("队列编码", max_length=40)
    name = models.CharField("队列名称", max_length=60)
    prefix = models.CharField("号码前缀", max_length=3)
    window_group = models.CharField("对应窗口组", max_length=40, blank=True)
    active = models.BooleanField("在用", default=True)

    class Meta:
        verbose_name = "队列"
        verbose_name_plural = "队列"
        ordering = ["outlet", "prefix"]
        constraints = [
            models.UniqueConstraint(fields=["outlet", "code"], name="queue_code_unique_in_outlet"),
            models.UniqueConstraint(fields=["outlet", "prefix"], name="queue_prefix_unique_in_outlet"),
        ]

    def __str__(self):
        return f"{self.outlet.name} {self.name}（{self.prefix}）"


class Ticket(models.Model):
    WAITING, CALLED, SERVING, DONE, NO_SHOW, CANCELLED = "waiting", "called", "serving", "done", "no_show", "cancelled"
    STATUS_CHOICES = [
        (WAITING, "等候中"),
        (CALLED, "已叫号"),
        (SERVING, "办理中"),
        (DONE, "已办结"),
        (NO_SHOW, "过号"),
        (CANCELLED, "已取消"),
    ]
    ACTIVE_STATES = (CALLED, SERVING)

    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="tickets", verbose_name="网点")
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="tickets", verbose_name="队列")
    service_date = models.DateField("日期")
    seq = models.PositiveIntegerField("序号")
    number = models.CharField("号码", max_length=10)
    items = models.ManyToManyField(ServiceItem, blank=True, related_name="tickets", verbose_name="事项")
    handled_items = models.ManyToManyField(ServiceItem, blank=True, related_name="handled_tickets",
                                           verbose_name="实际办理事项")
    priority = models.CharField("优先类别", max_length=10, blank=True, choices=PRIORITY_CHOICES)
    channel = models.CharField("取号渠道", max_length=20, choices=CHANNEL_CHOICES, default="kiosk")
    status = models.CharField("状态", max_length=12, choices=STATUS_CHOICES, default=WAITING, db_index=True)
    window = models.ForeignKey(Window, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets",
                               verbose_name="办理窗口")
    target_window = models.ForeignKey(Window, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="targeted_tickets", verbose_name="指定窗口")
    served_by = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets",
                                  verbose_name="办理人")
    recall_count = models.PositiveSmallIntegerField("重呼次数", default=0)
    issued_at = models.DateTimeField("取号时间")
    called_at = models.DateTimeField("叫号时间", null=True, blank=True)
    started_at = models.DateTimeField("开始办理", null=True, blank=True)
    finished_at = models.DateTimeField("办结时间", null=True, blank=True)
    applicant_name = models.CharField("姓名", max_length=50, blank=True)
    id_number = models.CharField("证件号码", max_length=64, blank=True)
    phone = models.CharField("手机号", max_length=64, blank=True)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)

    class Meta:
        verbose_name = "排队号"
        verbose_name_plural = "排队号"
        ordering = ["-service_date", "queue", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["queue", "service_date", "seq"], name="ticket_seq_unique_per_queue_day"),
            models.UniqueConstraint(fields=["outlet", "service_date", "number"], name="ticket_number_unique_per_day"),
            models.UniqueConstraint(fields=["window"], condition=models.Q(status__in=["called", "serving"]),
                                    name="one_active_ticket_per_window"),
            models.UniqueConstraint(fields=["idempotency_key"], condition=models.Q(idempotency_key__isnull=False),
                                    name="ticket_idempotency_key_unique"),
        ]
        indexes = [models.Index(fields=["outlet", "service_date", "status"])]

    def __str__(self):
        return f"{self.number}（{self.outlet.name} {self.service_date}）"


class TicketEvent(models.Model):
    """Every step of a ticket: issued, called (each recall), started, finished, transferred …"""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events", verbose_name="排队号")
    action = models.CharField("动作", max_length=20)
    at = models.DateTimeField("时间", db_index=True)
    window = models.ForeignKey(Window, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="窗口")
    staff = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="工作人员")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    reason = models.CharField("原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "排队号事件"
        verbose_name_plural = "排队号事件"
        ordering = ["id"]
