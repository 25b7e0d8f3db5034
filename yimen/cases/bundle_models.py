"""Models of 高效办成一件事 in cases (issue #17): a bundle application linking its cases, the
answers of a situational guide, 告知承诺 with its verification and credit record, payments at
the window and each window's cash close. Imported by models.py (one app, one migration line)."""

from django.db import models

from yimen.catalog.models import Bundle, Department
from yimen.outlets.models import Outlet, Window
from yimen.queueing.models import Ticket
from yimen.staff.models import Staff

BUNDLE_CHANNELS = [("window", "窗口"), ("portal", "一网通办")]


class BundleApplication(models.Model):
    """一件事申请: one joint form, one merged checklist, one receipt for its linked cases."""

    number = models.CharField("一件事受理编号", max_length=40, unique=True)
    bundle = models.ForeignKey(
        Bundle, on_delete=models.PROTECT, related_name="applications", verbose_name="一件事"
    )
    outlet = models.ForeignKey(
        Outlet, on_delete=models.PROTECT, related_name="bundle_applications", verbose_name="网点"
    )
    window = models.ForeignKey(
        Window, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    applicant_name = models.CharField("申请人", max_length=100)
    form_data = models.JSONField("联合申请表", default=dict)
    channel = models.CharField("渠道", max_length=10, choices=BUNDLE_CHANNELS, default="window")
    opened_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="+", verbose_name="收件人"
    )
    opened_at = models.DateTimeField("收件时间")

    class Meta:
        verbose_name = "一件事申请"
        verbose_name_plural = "一件事申请"
        ordering = ["-opened_at", "-id"]

    def __str__(self):
        return f"{self.number} {self.bundle.name}"


class BundleCase(models.Model):
    application = models.ForeignKey(
        BundleApplication, on_delete=models.CASCADE, related_name="links"
    )
    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="bundle_link")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "一件事办件"
        verbose_name_plural = "一件事办件"
        ordering = ["application", "position"]


class CaseSituation(models.Model):
    """The answers that tailored a case's checklist (情形化办事指南)."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="situation")
    answers = models.JSONField("情形回答", default=dict)
    lines = models.JSONField("情形说明", default=list)

    class Meta:
        verbose_name = "办事情形"
        verbose_name_plural = "办事情形"


PROMISE_PENDING, PROMISE_KEPT, PROMISE_FALSE = "pending", "kept", "false"
PROMISE_STATES = [
    (PROMISE_PENDING, "待核查"),
    (PROMISE_KEPT, "核查属实"),
    (PROMISE_FALSE, "承诺不实（已撤销）"),
]


class Promise(models.Model):
    """告知承诺: a signed promise replacing one material; the department verifies it by a date."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="promises", verbose_name="办件"
    )
    line = models.OneToOneField(
        "cases.CaseMaterial", on_delete=models.CASCADE, related_name="promise"
    )
    number = models.CharField("承诺书编号", max_length=40, unique=True)
    text = models.TextField("承诺内容")
    signed_by = models.CharField("承诺人", max_length=100)
    signed_at = models.DateTimeField("签署时间")
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+", verbose_name="核查部门"
    )
    verify_method = models.CharField("核查方式", max_length=4)
    verify_due = models.DateField("核查期限")
    state = models.CharField(
        "核查结果", max_length=10, choices=PROMISE_STATES, default=PROMISE_PENDING, db_index=True
    )
    verified_at = models.DateTimeField("核查时间", null=True, blank=True)
    verified_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    finding = models.TextField("核查情况", blank=True)

    class Meta:
        verbose_name = "告知承诺"
        verbose_name_plural = "告知承诺"
        ordering = ["verify_due", "id"]


class CreditRecord(models.Model):
    """失信记录 after a false promise: the person may not use 告知承诺 until it is lifted."""

    applicant_id_hash = models.CharField(max_length=64, db_index=True)
    applicant_name = models.CharField("当事人", max_length=100)
    promise = models.OneToOneField(Promise, on_delete=models.PROTECT, related_name="credit")
    reason = models.CharField("失信情形", max_length=300)
    created_at = models.DateTimeField("记录时间")
    lifted_at = models.DateTimeField("信用修复时间", null=True, blank=True)
    lifted_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lift_reason = models.CharField("修复理由", max_length=300, blank=True)

    class Meta:
        verbose_name = "告知承诺失信记录"
        verbose_name_plural = "告知承诺失信记录"
        ordering = ["-created_at"]


PAY_METHODS = [("cash", "现金"), ("card", "银行卡"), ("qr", "扫码")]


class Payment(models.Model):
    """A fee paid at the window (S03: a newborn's premium in cash at a bank branch)."""

    number = models.CharField("缴费凭证号", max_length=40, unique=True)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="payments", verbose_name="办件"
    )
    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="+")
    window = models.ForeignKey(Window, null=True, blank=True, on_delete=models.PROTECT)
    amount = models.DecimalField("金额（元）", max_digits=10, decimal_places=2)
    method = models.CharField("缴费方式", max_length=6, choices=PAY_METHODS)
    gateway_ref = models.CharField("支付流水号", max_length=64, blank=True)
    paid_at = models.DateTimeField("缴费时间")
    taken_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "缴费记录"
        verbose_name_plural = "缴费记录"
        ordering = ["-paid_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_positive"),
        ]


class CashClose(models.Model):
    """A window's day closed: cash expected (from payments) against cash counted."""

    window = models.ForeignKey(Window, on_delete=models.PROTECT, related_name="+")
    day = models.DateField("日期")
    expected = models.DecimalField("应收现金", max_digits=12, decimal_places=2)
    counted = models.DecimalField("实点现金", max_digits=12, decimal_places=2)
    payments = models.PositiveIntegerField("现金笔数", default=0)
    note = models.CharField("差异说明", max_length=300, blank=True)
    closed_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField("日结时间")

    class Meta:
        verbose_name = "现金日结"
        verbose_name_plural = "现金日结"
        constraints = [
            models.UniqueConstraint(fields=["window", "day"], name="one_cash_close_per_window_day")
        ]

    @property
    def difference(self):
        return self.counted - self.expected
