"""Queues, tickets, ticket events and appointments (排队号、预约).

Invariants kept by the database (the last line of defence behind the services):
- a ticket number is unique per outlet and day (prefixes are unique per outlet);
- one active (called/serving) ticket per window;
- an Idempotency-Key creates at most one ticket;
- a person holds at most one active appointment per item and day, and per slot.
"""

import secrets

from django.db import models

from yimen.catalog.models import ServiceItem
from yimen.core.fields import ProtectedCharField, protected_lookup_hash
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
PRIORITY_VALUES = {value for value, _label in PRIORITY_CHOICES}
CHANNEL_CHOICES = [
    ("kiosk", "自助取号机"),
    ("guide", "引导台"),
    ("api", "接口/终端"),
    ("remote", "远程取号"),
    ("appointment", "预约签到"),
    ("window", "窗口转办"),
]


def new_public_id() -> str:
    """Unguessable id for the public status page / QR code (not the primary key)."""
    return secrets.token_urlsafe(12)


class Queue(models.Model):
    """A queue of an outlet, usually one per window group (CX-ZH → 综合 A)."""

    outlet = models.ForeignKey(
        Outlet, on_delete=models.CASCADE, related_name="queues", verbose_name="网点"
    )
    code = models.CharField("队列编码", max_length=40)
    name = models.CharField("队列名称", max_length=60)
    prefix = models.CharField("号码前缀", max_length=3)
    window_group = models.CharField("对应窗口组", max_length=40, blank=True)
    appointment_capacity = models.PositiveSmallIntegerField(
        "每时段预约名额", default=2, help_text="每个预约时段本队列可预约的人数（0 = 不开放预约）"
    )
    active = models.BooleanField("在用", default=True)

    class Meta:
        verbose_name = "队列"
        verbose_name_plural = "队列"
        # by the foreign key's column: ordering by "outlet" would join the outlet table into
        # every query (and into SELECT … FOR UPDATE); order explicitly where the name matters
        ordering = ["outlet_id", "prefix"]
        constraints = [
            models.UniqueConstraint(fields=["outlet", "code"], name="queue_code_unique_in_outlet"),
            models.UniqueConstraint(
                fields=["outlet", "prefix"], name="queue_prefix_unique_in_outlet"
            ),
        ]

    def __str__(self):
        return f"{self.outlet.name} {self.name}（{self.prefix}）"


class DailyCounter(models.Model):
    """Last number issued per queue and day (numbers reset daily). Incremented with one atomic
    UPSERT … RETURNING statement, so concurrent kiosks never get the same number."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="counters")
    service_date = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["queue", "service_date"], name="counter_unique_per_day")
        ]


class Ticket(models.Model):
    WAITING, CALLED, SERVING, DONE, NO_SHOW, CANCELLED, EXPIRED = (
        "waiting",
        "called",
        "serving",
        "done",
        "no_show",
        "cancelled",
        "expired",
    )
    STATUS_CHOICES = [
        (WAITING, "等候中"),
        (CALLED, "已叫号"),
        (SERVING, "办理中"),
        (DONE, "已办结"),
        (NO_SHOW, "过号"),
        (CANCELLED, "已取消"),
        (EXPIRED, "已失效"),
    ]
    STATUS_LABELS = dict(STATUS_CHOICES)
    ACTIVE_STATES = (CALLED, SERVING)

    public_id = models.CharField(
        "公开编号", max_length=24, unique=True, default=new_public_id, editable=False
    )
    outlet = models.ForeignKey(
        Outlet, on_delete=models.PROTECT, related_name="tickets", verbose_name="网点"
    )
    queue = models.ForeignKey(
        Queue, on_delete=models.PROTECT, related_name="tickets", verbose_name="队列"
    )
    service_date = models.DateField("日期")
    seq = models.PositiveIntegerField("序号")
    number = models.CharField("号码", max_length=10)
    items = models.ManyToManyField(
        ServiceItem, blank=True, related_name="tickets", verbose_name="事项"
    )
    handled_items = models.ManyToManyField(
        ServiceItem, blank=True, related_name="handled_tickets", verbose_name="实际办理事项"
    )
    priority = models.CharField("优先类别", max_length=10, blank=True, choices=PRIORITY_CHOICES)
    channel = models.CharField("取号渠道", max_length=20, choices=CHANNEL_CHOICES, default="kiosk")
    status = models.CharField(
        "状态", max_length=12, choices=STATUS_CHOICES, default=WAITING, db_index=True
    )
    window = models.ForeignKey(
        Window,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name="办理窗口",
    )
    target_window = models.ForeignKey(
        Window,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="targeted_tickets",
        verbose_name="指定窗口",
    )
    served_by = models.ForeignKey(
        Staff,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name="办理人",
    )
    recall_count = models.PositiveSmallIntegerField("重呼次数", default=0)
    # one visit, several queues: the index of the current stop in `legs` (0 when it has none)
    leg = models.PositiveSmallIntegerField("当前站", default=0)
    stops = models.PositiveSmallIntegerField("站数", default=1)  # > 1: it has TicketLegs
    issued_at = models.DateTimeField("取号时间")
    queued_at = models.DateTimeField(
        "排入队列时间", help_text="先到先办的排序时间（过号恢复后为恢复时间）"
    )
    called_at = models.DateTimeField("叫号时间", null=True, blank=True)
    started_at = models.DateTimeField("开始办理", null=True, blank=True)
    finished_at = models.DateTimeField("办结时间", null=True, blank=True)
    appointment_at = models.DateTimeField("预约时段", null=True, blank=True)
    check_in_by = models.DateTimeField(
        "到场签到截止", null=True, blank=True, help_text="远程取号须在此前到场签到"
    )
    checked_in_at = models.DateTimeField("到场签到时间", null=True, blank=True)
    applicant_name = ProtectedCharField("姓名", max_length=50, blank=True)
    id_number = ProtectedCharField("证件号码", max_length=18, blank=True)
    id_number_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone = ProtectedCharField("手机号", max_length=20, blank=True)
    # NULL, not "": many tickets have no key, and the unique constraint must ignore them
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    # keyed hash of the request the key was first used for (core.idempotency): a retry must match
    idempotency_fingerprint = models.CharField(
        max_length=64, blank=True, default="", editable=False
    )

    class Meta:
        verbose_name = "排队号"
        verbose_name_plural = "排队号"
        ordering = ["-service_date", "queue_id", "seq"]  # no join (see Queue.Meta)
        constraints = [
            models.UniqueConstraint(
                fields=["outlet", "service_date", "number"], name="ticket_number_unique_per_day"
            ),
            models.UniqueConstraint(
                fields=["window"],
                condition=models.Q(status__in=["called", "serving"]),
                name="one_active_ticket_per_window",
            ),
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="ticket_idempotency_key_unique",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=["called", "serving"])
                | models.Q(window__isnull=False),
                name="active_ticket_has_window",
            ),
        ]
        indexes = [
            models.Index(fields=["outlet", "service_date", "status"]),
            models.Index(fields=["queue", "service_date", "status"]),
            # the estimated wait's mean service time reads a queue's last 50 finished
            # tickets: without it, a scan of the queue's whole history (13 ms at 16 000
            # tickets, growing every day)
            models.Index(
                fields=["queue", "-finished_at"],
                condition=models.Q(status="done"),
                name="ticket_queue_last_finished",
            ),
        ]

    def __str__(self):
        return f"{self.number}（{self.outlet.name} {self.service_date}）"

    def save(self, *args, **kwargs):
        self.id_number_hash = protected_lookup_hash(self.id_number)
        super().save(*args, **kwargs)

    @property
    def status_label(self):
        return self.STATUS_LABELS.get(self.status, self.status)

    @property
    def is_remote_pending(self) -> bool:
        """A remote ticket whose holder has not checked in yet (keeps its place, is not called)."""
        return self.check_in_by is not None and self.checked_in_at is None


class TicketLeg(models.Model):
    """One stop of a visit that needs several queues (S04: B1 帮办代办, then a 2F window). Only
    such tickets have legs; the ticket waits in one leg's queue at a time (`Ticket.leg`), keeps
    its number throughout and enters each next queue at the place its issue time gives it.
    `Ticket.items` stays the whole visit's items; a leg's `items` are those of that stop."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="legs", verbose_name="排队号"
    )
    position = models.PositiveSmallIntegerField("站序")
    queue = models.ForeignKey(
        Queue, on_delete=models.PROTECT, related_name="+", verbose_name="队列"
    )
    items = models.ManyToManyField(ServiceItem, related_name="+", verbose_name="本站事项")
    window = models.ForeignKey(
        Window,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="办理窗口",
    )
    finished_at = models.DateTimeField("本站办结", null=True, blank=True)

    class Meta:
        verbose_name = "排队号站点"
        verbose_name_plural = "排队号站点"
        ordering = ["ticket_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "position"], name="ticket_leg_unique")
        ]

    def __str__(self):
        return f"{self.ticket_id} 第{self.position + 1}站"


class TicketEvent(models.Model):
    """Every step of a ticket: issued, called (each recall), started, finished, transferred …
    The ids are the Server-Sent Event ids of the boards (resume with Last-Event-ID)."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="events", verbose_name="排队号"
    )
    outlet = models.ForeignKey(
        Outlet, null=True, on_delete=models.CASCADE, related_name="+", verbose_name="网点"
    )
    action = models.CharField("动作", max_length=20)
    at = models.DateTimeField("时间", db_index=True)
    window = models.ForeignKey(
        Window, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="窗口"
    )
    staff = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="工作人员"
    )
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    reason = models.CharField("原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "排队号事件"
        verbose_name_plural = "排队号事件"
        ordering = ["id"]
        indexes = [models.Index(fields=["outlet", "id"])]


class Appointment(models.Model):
    BOOKED, CHECKED_IN, CANCELLED, MISSED = "booked", "checked_in", "cancelled", "missed"
    STATUS_CHOICES = [
        (BOOKED, "已预约"),
        (CHECKED_IN, "已签到"),
        (CANCELLED, "已取消"),
        (MISSED, "已爽约"),
    ]
    STATUS_LABELS = dict(STATUS_CHOICES)
    ACTIVE_STATES = (BOOKED, CHECKED_IN)

    public_id = models.CharField(
        "预约编号", max_length=24, unique=True, default=new_public_id, editable=False
    )
    outlet = models.ForeignKey(
        Outlet, on_delete=models.PROTECT, related_name="appointments", verbose_name="网点"
    )
    queue = models.ForeignKey(
        Queue, on_delete=models.PROTECT, related_name="appointments", verbose_name="队列"
    )
    item = models.ForeignKey(
        ServiceItem, on_delete=models.PROTECT, related_name="appointments", verbose_name="事项"
    )
    service_date = models.DateField("日期")
    slot_start = models.DateTimeField("时段开始")
    slot_end = models.DateTimeField("时段结束")
    name = ProtectedCharField("姓名", max_length=50)
    id_number = ProtectedCharField("证件号码", max_length=18)
    id_number_hash = models.CharField(max_length=64, db_index=True, editable=False)
    phone = ProtectedCharField("手机号", max_length=20, blank=True)
    status = models.CharField("状态", max_length=12, choices=STATUS_CHOICES, default=BOOKED)
    ticket = models.OneToOneField(
        Ticket,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="appointment",
        verbose_name="签到取号",
    )
    created_at = models.DateTimeField("预约时间")
    checked_in_at = models.DateTimeField("签到时间", null=True, blank=True)
    cancelled_at = models.DateTimeField("取消时间", null=True, blank=True)
    cancel_reason = models.CharField("取消原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "预约"
        verbose_name_plural = "预约"
        ordering = ["slot_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_hash", "item", "service_date"],
                condition=models.Q(status__in=["booked", "checked_in"]),
                name="one_active_booking_per_person_item_day",
            ),
            models.UniqueConstraint(
                fields=["id_number_hash", "slot_start"],
                condition=models.Q(status__in=["booked", "checked_in"]),
                name="one_active_booking_per_person_slot",
            ),
        ]
        indexes = [models.Index(fields=["queue", "slot_start", "status"])]

    def __str__(self):
        return f"{self.outlet.name} {self.slot_start:%Y-%m-%d %H:%M} {self.item.code}"

    def save(self, *args, **kwargs):
        self.id_number_hash = protected_lookup_hash(self.id_number)
        super().save(*args, **kwargs)

    @property
    def status_label(self):
        return self.STATUS_LABELS.get(self.status, self.status)
