from django.core.exceptions import ValidationError
from django.db import models

from yimen.catalog.models import WINDOW_KIND_CHOICES, Department, ServiceItem

from .conf import SPECS, OutletSettings, SettingsError, clean as clean_settings

OUTLET_KINDS = [
    ("city_centre", "市级政务服务中心"),
    ("district_centre", "区县级市民服务中心"),
    ("bank", "银行网点"),
    ("self_service", "自助服务点"),
    ("online", "网上办事大厅"),
]

WINDOW_SCOPES = [
    ("list", "指定事项"),
    ("comprehensive", "全部综合受理事项"),
    ("department", "某部门全部事项"),
]

# Windows that call tickets (引导台 and 自助 terminals do not).
QUEUE_WINDOW_KINDS = {"综合窗口", "绿色通道", "专业窗口", "银行网点", "帮办代办", "办不成事窗口"}


def default_weekly():
    return {k: [] for k in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}


class Outlet(models.Model):
    code = models.CharField("网点编码", max_length=40, unique=True)
    name = models.CharField("网点名称", max_length=100)
    kind = models.CharField("网点类型", max_length=20, choices=OUTLET_KINDS)
    type_label = models.CharField("类型说明", max_length=60, blank=True)
    operator = models.CharField("运营单位", max_length=100, blank=True)
    region_code = models.CharField("行政区划代码", max_length=12, blank=True)
    street = models.CharField("街道", max_length=60, blank=True)
    street_code = models.CharField("街道代码", max_length=12, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    # what a citizen needs before setting out (portal's outlets page)
    phone = models.CharField("咨询电话", max_length=40, blank=True)
    transport = models.CharField("交通指引", max_length=200, blank=True)
    floors = models.JSONField("楼层导引", default=dict, blank=True)
    weekly_hours = models.JSONField("每周办公时间", default=default_weekly)
    lunch_break = models.BooleanField("午间休息", default=False)
    holiday_rule = models.CharField(
        "节假日规则",
        max_length=30,
        default="closed_on_off_days",
        choices=[("closed_on_off_days", "法定节假日休息"), ("open_on_off_days", "节假日照常")],
    )
    makeup_workday_rule = models.CharField(
        "调休规则",
        max_length=30,
        default="weekday_hours",
        choices=[("weekday_hours", "调休上班日按工作日时间"), ("weekly", "按每周时间表")],
    )
    escalation_chain = models.JSONField("升级督办链", default=list, blank=True)
    settings = models.JSONField(
        "网点设置",
        default=dict,
        blank=True,
        help_text="如 priority_age（绿色通道年龄线）、duty_group_odd_weeks 等",
    )
    items = models.ManyToManyField(
        ServiceItem, blank=True, related_name="outlets", verbose_name="可办事项"
    )
    active = models.BooleanField("在用", default=True)

    class Meta:
        verbose_name = "网点"
        verbose_name_plural = "网点"
        ordering = ["code"]

    def __str__(self):
        return self.name

    @property
    def options(self) -> OutletSettings:
        """The typed settings (outlets/conf.py) with their defaults."""
        return OutletSettings.lenient(self.settings, outlet=self.code)

    def setting(self, key, default=None):
        """One setting: typed (with the declared default) when OutletSettings declares it, else
        the raw JSON value. Prefer `outlet.options.<name>`."""
        if key in SPECS:
            value = getattr(self.options, key)
            return default if value is None else value
        return (self.settings or {}).get(key, default)

    def clean(self):
        super().clean()
        try:
            self.settings = clean_settings(self.settings)
        except SettingsError as exc:
            raise ValidationError({"settings": str(exc)}) from None


class OpeningException(models.Model):
    outlet = models.ForeignKey(
        Outlet, on_delete=models.CASCADE, related_name="exceptions", verbose_name="网点"
    )
    date = models.DateField("日期")
    spans = models.JSONField(
        "办公时间", default=list, blank=True, help_text='空 = 当天不开放；如 ["09:00-12:00"]'
    )
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "办公时间例外"
        verbose_name_plural = "办公时间例外"
        constraints = [
            models.UniqueConstraint(fields=["outlet", "date"], name="one_exception_per_day")
        ]
        ordering = ["outlet_id", "date"]  # the column: "outlet" would join the outlet table

    def __str__(self):
        return f"{self.outlet} {self.date}"


class Window(models.Model):
    outlet = models.ForeignKey(
        Outlet, on_delete=models.CASCADE, related_name="windows", verbose_name="网点"
    )
    code = models.CharField("窗口编码", max_length=40)
    group_code = models.CharField(
        "窗口组", max_length=40, help_text="同组窗口共用一个队列，如 CX-ZH"
    )
    number = models.CharField("窗口号", max_length=20)
    kind = models.CharField("窗口类型", max_length=20, choices=WINDOW_KIND_CHOICES)
    label = models.CharField("名称", max_length=100, blank=True)
    floor = models.CharField("楼层", max_length=10, blank=True)
    scope = models.CharField("受理范围", max_length=20, choices=WINDOW_SCOPES, default="list")
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="部门"
    )
    items = models.ManyToManyField(
        ServiceItem, blank=True, related_name="windows", verbose_name="事项"
    )
    serves = models.JSONField("服务对象", default=list, blank=True)
    active = models.BooleanField("在用", default=True)

    class Meta:
        verbose_name = "窗口"
        verbose_name_plural = "窗口"
        # the column: "outlet" would join the outlet table into every window query (and a
        # SELECT … FOR UPDATE of a window would lock the outlet row); lists order explicitly
        ordering = ["outlet_id", "group_code", "number"]
        constraints = [
            models.UniqueConstraint(fields=["outlet", "code"], name="window_code_unique_in_outlet"),
            models.UniqueConstraint(
                fields=["outlet", "number"], name="window_number_unique_in_outlet"
            ),
        ]

    def __str__(self):
        return f"{self.outlet.name} {self.number}号 {self.label or self.kind}"

    @property
    def calls_tickets(self) -> bool:
        return self.kind in QUEUE_WINDOW_KINDS
